"""For load balancers and Prometheus: /healthz, /readyz, /metrics. Short text answers.

- /healthz: the process answers (nothing else is asked: a database outage must not get
  every worker restarted).
- /readyz: the database answers and its schema is at the code's head (a broker too,
  once one is configured); otherwise 503 and the first reason, a few words.
- /metrics: Prometheus' text format. METRICS_ENABLED=false: 404. With METRICS_TOKEN,
  only to `Authorization: Bearer <token>` (401 otherwise); without it, only to a
  request from this machine (loopback) that no proxy forwarded (404 otherwise): behind
  a proxy on this machine every request comes from loopback, so set a token there.
"""

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import machine_answer
from entrypoints.metrics import render_metrics

bp = Blueprint("operations", __name__)
bp.register_error_handler(Exception, machine_answer)
_TEXT = "text/plain"
_FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _plain(text: str, status: int = 200) -> Response:
    answer = Response(text + "\n", status, mimetype=_TEXT)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.get("/healthz")
def healthz() -> Response:
    return _plain("ok")


@bp.get("/readyz")
def readyz() -> Response:
    for check in container().readiness_checks():
        problem = check()
        if problem is not None:
            return _plain(f"not ready: {problem}", 503)
    return _plain("ready")


def _from_this_machine() -> bool:
    address = request.remote_addr or ""
    local = address == "::1" or address.startswith("127.")
    return local and not any(name in request.headers for name in _FORWARDED)


@bp.get("/metrics")
def metrics() -> Response:
    settings = container().settings()
    if not settings.metrics_enabled:
        abort(404)
    if settings.metrics_token:
        expected = f"Bearer {settings.metrics_token}".encode()
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            answer = _plain("a bearer token is required", 401)
            answer.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return answer
    elif not _from_this_machine():
        abort(404)
    answer = Response(render_metrics(container().scrape_gauges()), content_type=CONTENT_TYPE_LATEST)
    answer.headers["Cache-Control"] = "no-store"
    return answer
