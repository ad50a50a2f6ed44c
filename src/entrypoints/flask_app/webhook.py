"""Stripe's webhook: verify, then hand to `HandleBillingEvent`. No CSRF here (signed)."""

import json
import logging
from functools import cache

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from application.use_cases.handle_billing_event import HandleBillingEventCommand
from domain.errors import InvalidWebhook
from domain.provider_events import BillingEvent, BillingEventKind
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import machine_answer
from entrypoints.metrics import request_metrics

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)
# Stripe reads the status, not a page: a short text answer; any 5xx makes it retry.
bp.register_error_handler(Exception, machine_answer)


@bp.post("/webhook")
def webhook() -> ResponseReturnValue:
    payload = request.get_data(cache=False)
    try:
        event = (
            container().gateway().parse_webhook(payload, request.headers.get("Stripe-Signature"))
        )
    except InvalidWebhook as error:
        log.info("webhook refused: %s", error.message)
        return error.message, 400, {"Content-Type": "text/plain; charset=utf-8"}
    if container().settings().webhook_processing == "queue":
        return _received(event)
    result = container().handle_billing_event().execute(HandleBillingEventCommand(event))
    return _answer(result.status.value, result.duplicate)


def _received(event: BillingEvent) -> ResponseReturnValue:
    """The queue mode: stored as received (one transaction), sent to the worker, 2xx."""
    result = container().receive_billing_event().execute(event)
    kind = "other" if event.kind is BillingEventKind.UNHANDLED else event.provider_type
    outcome = "duplicate" if result.duplicate else "received"
    request_metrics().webhook_events.labels(kind, outcome).inc()
    return _answer(result.status.value, result.duplicate)


def _answer(status: str, duplicate: bool) -> Response:
    """What `jsonify(received=True, status=..., duplicate=...)` answers, its body encoded
    once per outcome (a handful) instead of once per delivery."""
    return Response(_answer_body(status, duplicate), mimetype="application/json")


@cache
def _answer_body(status: str, duplicate: bool) -> bytes:
    answer = {"duplicate": duplicate, "received": True, "status": status}
    return (json.dumps(answer, separators=(",", ":"), sort_keys=True) + "\n").encode()
