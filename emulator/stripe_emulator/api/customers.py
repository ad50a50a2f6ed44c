"""Customers: ``/v1/customers``."""

from __future__ import annotations

import copy
import re

from flask import Response

from ..errors import not_emulated, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata
from ..objects import Json
from .common import (
    LIST_PARAMS,
    json_response,
    keyed,
    list_response,
    params,
    respond,
    route,
    search_response,
    services,
)

_INVOICE_PREFIX = re.compile(r"^[A-Z0-9]{3,12}$")
_ADDRESS = ("city", "country", "line1", "line2", "postal_code", "state")
_SHARED = (
    "email",
    "name",
    "description",
    "phone",
    "metadata",
    "invoice_settings",
    "address",
    "shipping",
    "preferred_locales",
    "tax_exempt",
    "invoice_prefix",
    "next_invoice_sequence",
    "balance",
    "cash_balance",
    "source",
    "tax",
    "tax_id_data",
    "validate",
)
_NOT_EMULATED = {
    "cash_balance": "cash balances",
    "source": "sources (use a payment method)",
    "tax": "tax location checks",
    "tax_id_data": "customer tax ids",
    "validate": "source validation",
}


def _address(p: Params) -> Json:
    p.check_known(_ADDRESS)
    return {key: p.string(key, max_length=200) for key in _ADDRESS}


def _apply(p: Params, customer: Json) -> None:
    """Set on ``customer`` what the request gives; refuse what cannot be emulated."""
    for key, what in _NOT_EMULATED.items():
        p.refuse(key, what)
    if p.integer("balance"):
        raise not_emulated("balance", "customer credit balances (only 0)")
    for key, limit in (("email", 512), ("name", 256), ("description", 5000), ("phone", 20)):
        if p.has(key):
            customer[key] = p.string(key, max_length=limit)
    apply_metadata(customer["metadata"], p.metadata())
    if p.has("address"):
        address = p.nested("address")
        customer["address"] = None if address is None else _address(address)
    if p.has("shipping"):
        shipping = p.nested("shipping")
        if shipping is None:
            customer["shipping"] = None
        else:
            shipping.check_known(("address", "name", "phone"))
            address = shipping.nested("address")
            if address is None:
                raise parameter_missing(shipping.name("address"))
            customer["shipping"] = {
                "address": _address(address),
                "name": shipping.required_string("name"),
                "phone": shipping.string("phone", max_length=20),
            }
    if p.has("preferred_locales"):
        customer["preferred_locales"] = p.strings("preferred_locales")
    if p.has("tax_exempt"):
        customer["tax_exempt"] = (
            p.string("tax_exempt", choices=("none", "exempt", "reverse")) or "none"
        )
    prefix = p.string("invoice_prefix")
    if prefix is not None:
        if not _INVOICE_PREFIX.match(prefix):
            raise parameter_invalid(
                "invoice_prefix", "invoice_prefix must be 3 to 12 uppercase letters or digits."
            )
        customer["invoice_prefix"] = prefix
    sequence = p.integer("next_invoice_sequence", minimum=1, maximum=999_999_999)
    if sequence is not None:
        customer["next_invoice_sequence"] = sequence
    settings = p.nested("invoice_settings")
    if settings is not None:
        _invoice_settings(settings, customer)


def _invoice_settings(p: Params, customer: Json) -> None:
    p.check_known(("default_payment_method", "custom_fields", "footer", "rendering_options"))
    settings = customer["invoice_settings"]
    if p.is_empty("default_payment_method"):
        settings["default_payment_method"] = None
    pm_id = p.string("default_payment_method")
    if pm_id is not None:
        method = services().cards.from_param(
            pm_id, customer["id"], p.name("default_payment_method")
        )
        settings["default_payment_method"] = method.id
    if p.has("footer"):
        settings["footer"] = p.string("footer")
    if p.has("custom_fields"):
        fields = []
        for field in p.hashes("custom_fields"):
            field.check_known(("name", "value"))
            fields.append(
                {
                    "name": field.string("name", required=True, max_length=40),
                    "value": field.string("value", required=True, max_length=140),
                }
            )
        if len(fields) > 4:
            raise parameter_invalid(p.name("custom_fields"), "At most 4 custom fields.")
        settings["custom_fields"] = fields or None
    if p.has("rendering_options"):
        options = p.nested("rendering_options")
        if options is not None:
            options.check_known(("amount_tax_display", "template"))
            options.refuse("template", "invoice rendering templates")
            display = options.string(
                "amount_tax_display", choices=("exclude_tax", "include_inclusive_tax")
            )
            settings["rendering_options"] = {"amount_tax_display": display, "template": None}
        else:
            settings["rendering_options"] = None


@route("/customers", ["POST"])
def create_customer() -> Response:
    p = params()
    p.check_known((*_SHARED, "test_clock", "payment_method"))
    s = services()
    clock_id = p.string("test_clock")
    if clock_id is not None:
        s.store.get_param(s.store.test_clocks, clock_id, "test_helpers.test_clock", "test_clock")
    pm_id = p.string("payment_method")
    customer = s.customers.create(email=None, test_clock=clock_id, apply=lambda c: _apply(p, c))
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
        keyed("created", "email", "name", "phone"),
    )


@route("/customers/<customer_id>", ["GET"])
def retrieve_customer(customer_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.customers, customer_id, "customer"))


@route("/customers/<customer_id>", ["POST"])
def update_customer(customer_id: str) -> Response:
    p = params()
    p.check_known(_SHARED)
    s = services()
    customer = s.store.get(s.store.customers, customer_id, "customer")
    before = copy.deepcopy(customer)
    try:
        _apply(p, customer)
    except BaseException:
        customer.clear()
        customer.update(before)  # a refused request changes nothing
        raise
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
