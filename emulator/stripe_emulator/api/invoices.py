"""Invoices: ``/v1/invoices``."""

from __future__ import annotations

from copy import deepcopy

from flask import Response

from .. import statuses
from ..errors import StripeError, not_emulated, parameter_invalid
from ..forms import Params
from . import subscription_params as read
from .common import (
    LIST_PARAMS,
    keyed,
    list_response,
    params,
    respond,
    route,
    search_response,
    services,
)


@route("/invoices/search", ["GET"])
def search_invoices() -> Response:
    return search_response(
        services().store.invoices.values(),
        "/v1/invoices/search",
        "invoices",
        {
            **keyed("created", "currency", "customer", "number", "status", "total"),
            "subscription": lambda x: x["parent"]["subscription_details"]["subscription"],
        },
    )


@route("/invoices/<invoice_id>", ["GET"])
def retrieve_invoice(invoice_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.invoices, invoice_id, "invoice"))


@route("/invoices", ["GET"])
def list_invoices() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "customer", "subscription", "status", "collection_method"))
    customer, subscription = p.string("customer"), p.string("subscription")
    p.only("collection_method", "charge_automatically", "invoices sent for manual payment")
    status = p.string("status", choices=("draft", "open", "paid", "uncollectible", "void"))
    return list_response(
        services().store.invoices.values(),
        "/v1/invoices",
        lambda x: (
            (customer is None or x["customer"] == customer)
            and (status is None or x["status"] == status)
            and (
                subscription is None
                or x["parent"]["subscription_details"]["subscription"] == subscription
            )
        ),
    )


_PREVIEW_NOT_EMULATED = {
    "automatic_tax": "automatic tax",
    "customer_details": "previews for a customer that does not exist",
    "discounts": "discounts on a preview",
    "invoice_items": "one-off invoice items",
    "issuer": "Connect",
    "on_behalf_of": "Connect",
    "schedule": "previews of subscription schedules",
    "schedule_details": "previews of subscription schedules",
}
_DETAILS_NOT_EMULATED = {
    "billing_mode": "flexible billing mode",
    "cancel_at": "previews of cancellations",
    "cancel_at_period_end": "previews of cancellations",
    "cancel_now": "previews of cancellations",
    "default_tax_rates": "tax rates",
    "resume_at": "previews of resumptions",
    "start_date": "previews of new subscriptions",
    "trial_end": "previews of trial changes",
}


@route("/invoices/create_preview", ["POST"])
def create_preview() -> Response:
    """The invoice a subscription change would issue (now, or at the next renewal), not
    saved: ``subscription`` and ``subscription_details`` (``items``,
    ``proration_behavior``, ``proration_date``, ``billing_cycle_anchor``)."""
    p = params()
    p.check_known(
        (
            "customer",
            "customer_account",
            "currency",
            "preview_mode",
            "subscription",
            "subscription_details",
            *_PREVIEW_NOT_EMULATED,
        )
    )
    for key, what in _PREVIEW_NOT_EMULATED.items():
        p.refuse(key, what)
    p.refuse("customer_account", "customer accounts")
    p.only("preview_mode", "next", "recurring previews (preview_mode=recurring)")
    s = services()
    store = s.store
    subscription_id = p.string("subscription")
    if subscription_id is None:
        raise not_emulated("subscription", "previews of invoices without a subscription")
    subscription = store.get_param(
        store.subscriptions, subscription_id, "subscription", "subscription"
    )
    customer = p.string("customer")
    if customer is not None and customer != subscription["customer"]:
        raise parameter_invalid("customer", "The subscription belongs to another customer.")
    currency = p.string("currency")
    if currency is not None and currency.lower() != subscription["currency"]:
        raise parameter_invalid("currency", "The subscription is billed in another currency.")
    if subscription["status"] in statuses.ENDED:
        raise StripeError("No upcoming invoices for a subscription that has ended.")
    details = p.nested("subscription_details") or Params({}, "subscription_details")
    details.check_known(
        (
            "items",
            "proration_behavior",
            "proration_date",
            "billing_cycle_anchor",
            *_DETAILS_NOT_EMULATED,
        )
    )
    for key, what in _DETAILS_NOT_EMULATED.items():
        details.refuse(key, what)
    copy = deepcopy(subscription)
    changes = read.item_changes(store, details, copy)
    now = store.now_for_customer(subscription["customer"])
    invoice = s.plans.preview(copy, changes, read.proration(details), now)
    return respond(invoice)
