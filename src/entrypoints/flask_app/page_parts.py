"""What pages render the same way again and again, made once: links and CSRF tokens.

Every page's navigation builds the same half-dozen links through the URL map, and its
log-out form signs the session's CSRF token anew (a timestamp, a MAC): each costs more
than looking up the one made before. The links are kept per endpoint, arguments, host
and script root; a signed token per session token and key, for as long as Flask-WTF
would accept it (half its time limit; for ever when there is none, as here). Both caches
are bounded: full, they start again.
"""

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_wtf.csrf import generate_csrf

KEPT = 4096  # entries a cache holds before it starts again


def kept_links(app: Flask) -> Callable[..., str]:
    """`url_for` for templates: the link made for the same request root, endpoint and
    arguments is reused. Relative endpoints ('.x') and the `_external`, `_anchor`,
    `_method` and `_scheme` options are built each time, as are all links once the app
    has URL defaults (they may depend on the request)."""
    build = app.url_for
    links: dict[tuple[Any, ...], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        if (
            endpoint[0] == "."
            or app.url_default_functions
            or (values and any(name[0] == "_" for name in values))
            or not has_request_context()
        ):
            return build(endpoint, **values)
        environ = request.environ
        try:
            # What Flask's URL adapter is bound from, as the server (or ProxyFix) gave it.
            key = (
                environ.get("SCRIPT_NAME"),
                environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"),
                environ.get("SERVER_PORT"),
                environ.get("wsgi.url_scheme"),
                endpoint,
                *sorted(values.items()),
            )
            hash(key)
        except TypeError:  # an argument that is not hashable
            return build(endpoint, **values)
        link = links.get(key)
        if link is None:
            link = build(endpoint, **values)
            if len(links) >= KEPT:
                links.clear()
            links[key] = link
        return link

    return url_for


_signed: dict[tuple[Any, ...], tuple[str, float]] = {}


def kept_csrf_token() -> str:
    """Flask-WTF's `csrf_token()` for templates, signing each session's token once."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g:
        return str(g.get(field))
    raw = session.get(field)
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    limit = config.get("WTF_CSRF_TIME_LIMIT")
    now = time.time()
    if isinstance(raw, str):
        kept = _signed.get((secret, field, raw))
        if kept is not None and (limit is None or now - kept[1] < limit / 2):
            setattr(g, field, kept[0])
            return kept[0]
    token = str(generate_csrf())  # makes the session's token first if it has none
    raw = session.get(field)
    if isinstance(raw, str):  # kept from the first page on, a new session's too
        if len(_signed) >= KEPT:
            _signed.clear()
        _signed[(secret, field, raw)] = (token, now)
    return token


def install(app: Flask) -> None:
    """Templates use the kept versions (the views' own `url_for` is Flask's). After
    CSRFProtect: its context processor offers its own `csrf_token`, this one wins."""
    app.jinja_env.globals["url_for"] = kept_links(app)
    app.jinja_env.globals["csrf_token"] = kept_csrf_token
    app.context_processor(lambda: {"csrf_token": kept_csrf_token})
