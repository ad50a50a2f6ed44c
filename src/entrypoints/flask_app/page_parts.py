"""What pages render the same way again and again, made once: links, CSRF tokens, and
the navigation and footer.

Every page's navigation builds the same half-dozen links through the URL map, and its
log-out form signs the session's CSRF token anew (a timestamp, a MAC): each costs more
than looking up the one made before. The links are kept per endpoint, arguments, host
and script root; a signed token per session token and key, for as long as Flask-WTF
would accept it (half its time limit; for ever when there is none, as here). Both caches
are bounded: full, they start again.

The navigation and the footer (`_site_nav.html`, `_site_footer.html`) are rendered once
per request root, page (endpoint), whether the page is bare (a 5xx), whether someone is
signed in and the plan badge: those templates read nothing else. The log-out form's
CSRF token, which differs per session, is put into the kept HTML on each page.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from entrypoints.flask_app.layout import plan_badge

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
        try:
            key = (*_request_root(), endpoint, *sorted(values.items()))
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


_ROOT = "premium_notes.request_root"  # where a request's root is kept, in its environ


def _request_root() -> tuple[Any, ...]:
    """What Flask's URL adapter is bound from, as the server (or ProxyFix) gave it; made
    once per request (a page asks for it for each link)."""
    environ = request.environ
    root: tuple[Any, ...] | None = environ.get(_ROOT)
    if root is None:
        root = environ[_ROOT] = (
            environ.get("SCRIPT_NAME"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("wsgi.url_scheme"),
        )
    return root


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


@dataclass(frozen=True)
class Chrome:
    """The navigation and the footer's links of one page, as HTML."""

    nav: Markup
    footer: Markup


_TOKEN = "\x00csrf-token\x00"  # noqa: S105  # where a session's token goes in a kept nav


def kept_chrome(app: Flask) -> Callable[..., Chrome]:
    """`site_chrome(bare)` for base.html. Rendered each time (never kept) outside a
    request, while templates reload (debug), and once the app has URL defaults."""
    kept: dict[tuple[Any, ...], tuple[tuple[Markup, ...], Markup]] = {}

    def render(
        current: str | None, bare: bool, signed_in: bool, badge: str | None
    ) -> tuple[tuple[Markup, ...], Markup]:
        values = {
            "current": current,
            "bare": bare,
            "signed_in": signed_in,
            "badge": badge,
            "csrf_token": lambda: _TOKEN,  # no character of it is escaped
        }
        env = app.jinja_env
        nav = env.get_template("_site_nav.html").render(values).strip()
        footer = env.get_template("_site_footer.html").render(values).strip()
        # Jinja's output, every value escaped as it rendered (autoescape): HTML already.
        return tuple(Markup(part) for part in nav.split(_TOKEN)), Markup(footer)  # noqa: S704

    def site_chrome(bare: object = False) -> Chrome:
        bare = bool(bare)
        signed_in = not bare and bool(current_user.is_authenticated)
        badge = plan_badge() if signed_in else None
        current = request.endpoint if has_request_context() else None
        if not has_request_context() or app.jinja_env.auto_reload or app.url_default_functions:
            nav_parts, footer = render(current, bare, signed_in, badge)
        else:
            key = (*_request_root(), current, bare, signed_in, badge)
            parts = kept.get(key)
            if parts is None:
                parts = render(current, bare, signed_in, badge)
                if len(kept) >= KEPT:
                    kept.clear()
                kept[key] = parts
            nav_parts, footer = parts
        if len(nav_parts) == 1:
            return Chrome(nav_parts[0], footer)
        return Chrome(escape(kept_csrf_token()).join(nav_parts), footer)  # parts kept as HTML

    return site_chrome


def install(app: Flask) -> None:
    """Templates use the kept versions (the views' own `url_for` is Flask's). After
    CSRFProtect, whose context processor offers its own `csrf_token` to every template
    over the global: that processor is removed (a processor is a call and a dict update
    on every render), or, if not found, outdone by one offering the kept version."""
    app.jinja_env.globals["url_for"] = kept_links(app)
    app.jinja_env.globals["site_chrome"] = kept_chrome(app)
    app.jinja_env.globals["csrf_token"] = kept_csrf_token
    processors = app.template_context_processors[None]
    flask_wtfs = [p for p in processors if "CSRFProtect" in getattr(p, "__qualname__", "")]
    for processor in flask_wtfs:
        processors.remove(processor)
    if not flask_wtfs:
        app.context_processor(lambda: {"csrf_token": kept_csrf_token})
