"""Customers: ``/v1/customers``."""

from __future__ import annotations

import copy

from flask import Response

from ..forms import apply_metadata, new_metadata
from .common import (
    LIST_PARAMS,
    json_response,
    list_response,
    params,
    respond,
    route,
    search_response,
    services,
)

_CUSTOMER_IGNORED = (
    "address",
    "balance",
    "cash_balance",
    "invoice_prefix",
    "next_invoice_sequence",
    "preferred_locales",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "tax_id_data",
    "validate",
)


@route("/customers", ["POST"])
def create_customer() -> Response:
    p = params()
    p.check_known(
        (
            "email",
            "name",
            "description",
            "phone",
            "metadata",
            "test_clock",
            "payment_method",
            "invoice_settings",
            *_CUSTOMER_IGNORED,
        )
    )
    s = services()
    clock_id = p.string("test_clock")
    if clock_id is not None:
        s.store.get_param(s.store.test_clocks, clock_id, "test_helpers.test_clock", "test_clock")
    customer = s.customers.create(
        email=p.string("email", max_length=512),
        name=p.string("name", max_length=256),
        description=p.string("description"),
        phone=p.string("phone", max_length=20),
        metadata=new_metadata(p.metadata()),
        test_clock=clock_id,
    )
    pm_id = p.string("payment_method")
    if pm_id is not None:
        method = s.cards.from_param(pm_id, customer["id"], "payment_method")
        customer["invoice_settings"]["default_payment_method"] = method.id
    return respond(customer)


@route("/customers/search", ["GET"])
def search_customers() -> Response:
    return search_response(
        services().store.customers.values(),
        "/v1/customers/search",
        "customers",
        {
            "created": lambda c: c["created"],
            "email": lambda c: c["email"],
            "name": lambda c: c["name"],
            "phone": lambda c: c["phone"],
        },
    )


@route("/customers/<customer_id>", ["GET"])
def retrieve_customer(customer_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.customers, customer_id, "customer"))


@route("/customers/<customer_id>", ["POST"])
def update_customer(customer_id: str) -> Response:
    p = params()
    p.check_known(
        (
            "email",
            "name",
            "description",
            "phone",
            "metadata",
            "invoice_settings",
            *_CUSTOMER_IGNORED,
        )
    )
    s = services()
    customer = s.store.get(s.store.customers, customer_id, "customer")
    before = copy.deepcopy(customer)
    for key, limit in (("email", 512), ("name", 256), ("description", 5000), ("phone", 20)):
        if p.has(key):
            customer[key] = p.string(key, max_length=limit)
    metadata = p.metadata()
    apply_metadata(customer["metadata"], metadata)
    settings = p.nested("invoice_settings")
    if settings is not None:
        settings.check_known(
            ("default_payment_method", "custom_fields", "footer", "rendering_options")
        )
        if settings.is_empty("default_payment_method"):
            customer["invoice_settings"]["default_payment_method"] = None
        pm_id = settings.string("default_payment_method")
        if pm_id is not None:
            method = s.cards.from_param(
                pm_id, customer_id, "invoice_settings[default_payment_method]"
            )
            customer["invoice_settings"]["default_payment_method"] = method.id
    s.customers.record_update(customer, before)
    return respond(customer)


@route("/customers/<customer_id>", ["DELETE"])
def delete_customer(customer_id: str) -> Response:
    """As Stripe: the customer's subscriptions end now, then the customer is gone."""
    params().check_known(())
    s = services()
    s.customers.delete(s.store.get(s.store.customers, customer_id, "customer"))
    return json_response({"id": customer_id, "object": "customer", "deleted": True})


@route("/customers", ["GET"])
def list_customers() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "email", "test_clock"))
    email, clock = p.string("email"), p.string("test_clock")
    return list_response(
        services().store.customers.values(),
        "/v1/customers",
        lambda c: (
            (email is None or c["email"] == email) and (clock is None or c["test_clock"] == clock)
        ),
    )
