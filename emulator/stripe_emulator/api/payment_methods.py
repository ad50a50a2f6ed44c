"""Saved cards: ``/v1/payment_methods`` (retrieve, and list a customer's). Cards are saved
by the hosted pages (checkout, the portal's "Update card") and by Stripe's test ids
(``pm_card_visa``...); this API only reads them."""

from __future__ import annotations

from flask import Response

from ..errors import resource_missing
from .common import LIST_PARAMS, json_response, list_response, params, route, services


@route("/payment_methods/<method_id>", ["GET"])
def retrieve_payment_method(method_id: str) -> Response:
    params().check_known(())
    store = services().store
    method = store.payment_methods.get(method_id)
    if method is None:
        raise resource_missing("PaymentMethod", method_id)
    return json_response(store.render(method.as_object(), params().strings("expand")))


@route("/payment_methods", ["GET"])
def list_payment_methods() -> Response:
    """A customer's cards, newest first (``type`` may only be ``card``)."""
    p = params()
    p.check_known((*LIST_PARAMS, "customer", "type"))
    p.only("type", "card", "payment methods other than cards")
    store = services().store
    customer = p.required_string("customer")
    store.get_param(store.customers, customer, "customer", "customer")
    cards = sorted(store.payment_methods.values(), key=lambda m: m.created)
    return list_response(
        [method.as_object() for method in cards if method.customer == customer],
        "/v1/payment_methods",
    )
