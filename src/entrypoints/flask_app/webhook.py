"""Stripe's webhook: verify, then hand to `HandleBillingEvent`. No CSRF here (signed)."""

import logging

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from application.ports import PaymentGateway
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from domain.errors import InvalidWebhook
from entrypoints.container import Container

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


@bp.post("/webhook")
@inject
def webhook(
    gateway: PaymentGateway = Provide[Container.gateway],
    handle: HandleBillingEvent = Provide[Container.handle_billing_event],
) -> ResponseReturnValue:
    payload = request.get_data(cache=False)
    try:
        event = gateway.parse_webhook(payload, request.headers.get("Stripe-Signature"))
    except InvalidWebhook as error:
        log.info("webhook refused: %s", error.message)
        return error.message, 400, {"Content-Type": "text/plain; charset=utf-8"}
    result = handle.execute(HandleBillingEventCommand(event))
    return jsonify(received=True, status=result.status.value, duplicate=result.duplicate)
