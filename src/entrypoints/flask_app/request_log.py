"""Per request: an id, one log line, and its latency in /metrics.

The id is the caller's `X-Request-ID` when it is well-formed (a proxy or load balancer
that made one), else a new one; it goes back in the answer's `X-Request-ID` header and
on the error page, and into every log line written while the request runs.

The line (logger `premium_notes.access`) has the method, the route (the URL rule,
`/notes/<slug>`: never the raw path or query, which may carry a token), the status, the
duration in milliseconds, the request id, the client's address (after
TRUSTED_PROXY_HOPS) and the signed-in user's id when the session names one. Never an
email, a cookie, a password, a header or a form value. Successful health checks and
scrapes are not logged (a load balancer asks every few seconds); they are counted.

Two hooks, the first installed on the app: a failure in any later hook (CSRF, the
limiter) is still answered with an id and logged. This is work on every request, kept
small: see the commit that added it for its cost in `make bench`.
"""

import logging
import os
import re
from time import perf_counter

from flask import Flask, g, request, session
from werkzeug.wrappers import Response

from entrypoints.flask_app.session_user import parse_session_id
from entrypoints.metrics import request_metrics

log = logging.getLogger("premium_notes.access")
HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
UNMATCHED = "(unmatched)"  # the route of a request no URL rule matched (a 404)
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(header: str | None) -> str:
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return os.urandom(16).hex()  # as random as uuid4, without building a UUID


def _user_id() -> str | None:
    # The id Flask-Login keeps in the signed session, read without loading the user (no
    # database read) and without marking the session accessed (which adds Vary: Cookie).
    current = session._get_current_object()  # type: ignore[attr-defined]
    parsed = parse_session_id(dict.get(current, "_user_id"))
    return parsed[0] if parsed else None


def install_request_log(app: Flask) -> None:
    histogram = request_metrics().request_seconds

    @app.before_request
    def _start() -> None:
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_started = perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[HEADER] = request_id
        seconds = perf_counter() - started if started is not None else 0.0
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        status = response.status_code
        histogram.labels(request.method, route, str(status)).observe(seconds)
        if status < 400 and route in QUIET:
            return response
        fields = {
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "request_id": request_id,
            "remote_addr": request.remote_addr,
            "user_id": _user_id(),
        }
        log.info("request", extra={"fields": fields})
        return response
