"""Customers, products and prices."""

from __future__ import annotations

import copy

from flask import Response

from .. import objects
from ..billing import Outbox
from ..errors import StripeError, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from ..store import Json, Store
from .common import (
    LIST_PARAMS,
    json_response,
    list_response,
    params,
    respond,
    route,
    services,
)

_CURRENCY_LENGTH = 3
_INTERVALS = ("day", "week", "month", "year")


# -- customers ----------------------------------------------------------------

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
    customer = s.billing.create_customer(
        email=p.string("email", max_length=512),
        name=p.string("name", max_length=256),
        description=p.string("description"),
        phone=p.string("phone", max_length=20),
        metadata=new_metadata(p.metadata()),
        test_clock=clock_id,
    )
    pm_id = p.string("payment_method")
    if pm_id is not None:
        method = s.billing.payment_method_param(pm_id, customer["id"], "payment_method")
        customer["invoice_settings"]["default_payment_method"] = method.id
    return respond(customer)


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
            method = s.billing.payment_method_param(
                pm_id, customer_id, "invoice_settings[default_payment_method]"
            )
            customer["invoice_settings"]["default_payment_method"] = method.id
    previous = {key: value for key, value in before.items() if customer[key] != value}
    if previous:
        s.store.record_event(
            "customer.updated",
            customer,
            created=s.store.now(customer["test_clock"]),
            previous_attributes=previous,
        )
    return respond(customer)


@route("/customers/<customer_id>", ["DELETE"])
def delete_customer(customer_id: str) -> Response:
    """As Stripe: the customer's subscriptions end now, then the customer is gone."""
    params().check_known(())
    s = services()
    customer = s.store.get(s.store.customers, customer_id, "customer")
    now = s.store.now(customer["test_clock"])
    outbox = Outbox()
    for subscription in list(s.store.subscriptions.values()):
        live = subscription["status"] not in ("canceled", "incomplete_expired")
        if subscription["customer"] == customer_id and live:
            s.billing.cancel(subscription, now=now, reason="cancellation_requested", outbox=outbox)
    outbox.send(s.store, now)
    del s.store.customers[customer_id]
    s.store.record_event("customer.deleted", customer, created=now)
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


# -- products and prices ------------------------------------------------------


def _new_product(store: Store, p: Params) -> Json:
    product = objects.product(
        created=store.now(),
        name=p.required_string("name"),
        description=p.string("description"),
        active=p.boolean("active") is not False,
        metadata=new_metadata(p.metadata()),
        product_id=p.string("id"),
    )
    if product["id"] in store.products:
        raise StripeError(
            f"Product already exists: {product['id']}", code="resource_already_exists", param="id"
        )
    store.products[product["id"]] = product
    store.record_event("product.created", product, created=product["created"])
    return product


@route("/products", ["POST"])
def create_product() -> Response:
    p = params()
    p.check_known(
        (
            "name",
            "id",
            "description",
            "active",
            "metadata",
            "images",
            "marketing_features",
            "package_dimensions",
            "shippable",
            "statement_descriptor",
            "tax_code",
            "unit_label",
            "url",
        )
    )
    return respond(_new_product(services().store, p))


@route("/products/<product_id>", ["GET"])
def retrieve_product(product_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.products, product_id, "product"))


@route("/products", ["GET"])
def list_products() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "active", "ids"))
    active, ids = p.boolean("active"), p.strings("ids")
    return list_response(
        services().store.products.values(),
        "/v1/products",
        lambda x: (active is None or x["active"] == active) and (not ids or x["id"] in ids),
    )


@route("/prices", ["POST"])
def create_price() -> Response:
    p = params()
    p.check_known(
        (
            "currency",
            "unit_amount",
            "unit_amount_decimal",
            "product",
            "product_data",
            "recurring",
            "lookup_key",
            "transfer_lookup_key",
            "nickname",
            "active",
            "metadata",
            "billing_scheme",
            "tax_behavior",
        )
    )
    store = services().store
    currency = p.required_string("currency").lower()
    if len(currency) != _CURRENCY_LENGTH or not currency.isalpha():
        raise parameter_invalid("currency", f"Invalid currency: {currency}.")
    if p.has("unit_amount"):
        unit_amount = p.integer("unit_amount", required=True, minimum=0, maximum=99_999_999)
        assert unit_amount is not None
    elif p.has("unit_amount_decimal"):
        decimal = p.required_string("unit_amount_decimal")
        if not decimal.isdigit():
            raise parameter_invalid(
                "unit_amount_decimal", "The emulator supports whole unit amounts only."
            )
        unit_amount = int(decimal)
    else:
        raise parameter_missing("unit_amount")
    product_id = p.string("product")
    product_data = p.nested("product_data")
    if product_id is not None and product_data is not None:
        raise StripeError(
            "You may only specify one of these parameters: product, product_data.",
            param="product",
        )
    if product_id is not None:
        store.get_param(store.products, product_id, "product", "product")
    elif product_data is not None:
        product_data.check_known(
            ("name", "id", "active", "metadata", "statement_descriptor", "tax_code", "unit_label")
        )
        product_id = _new_product(store, product_data)["id"]
    else:
        raise parameter_missing("product")
    interval, interval_count = None, 1
    recurring = p.nested("recurring")
    if recurring is not None:
        recurring.check_known(("interval", "interval_count", "usage_type", "meter"))
        interval = recurring.required_string("interval", choices=_INTERVALS)
        interval_count = recurring.integer("interval_count", minimum=1, maximum=365) or 1
    lookup_key = p.string("lookup_key", max_length=200)
    if lookup_key is not None:
        holder = next((x for x in store.prices.values() if x["lookup_key"] == lookup_key), None)
        if holder is not None:
            if not p.boolean("transfer_lookup_key"):
                raise StripeError(
                    f"A price (`{holder['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            holder["lookup_key"] = None
    price = objects.price(
        created=store.now(),
        product_id=product_id,
        currency=currency,
        unit_amount=unit_amount,
        interval=interval,
        interval_count=interval_count,
        lookup_key=lookup_key,
        nickname=p.string("nickname"),
        active=p.boolean("active") is not False,
        metadata=new_metadata(p.metadata()),
    )
    store.prices[price["id"]] = price
    store.record_event("price.created", price, created=price["created"])
    return respond(price)


@route("/prices/<price_id>", ["GET"])
def retrieve_price(price_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.prices, price_id, "price"))


@route("/prices/<price_id>", ["POST"])
def update_price(price_id: str) -> Response:
    p = params()
    p.check_known(("active", "metadata", "nickname", "lookup_key", "transfer_lookup_key"))
    store = services().store
    price = store.get(store.prices, price_id, "price")
    before = copy.deepcopy(price)
    if p.has("active"):
        price["active"] = bool(p.boolean("active"))
    if p.has("nickname"):
        price["nickname"] = p.string("nickname")
    if p.has("lookup_key"):
        lookup_key = p.string("lookup_key", max_length=200)
        holder = next(
            (x for x in store.prices.values() if lookup_key and x["lookup_key"] == lookup_key),
            None,
        )
        if holder is not None and holder is not price:
            if not p.boolean("transfer_lookup_key"):
                raise StripeError(
                    f"A price (`{holder['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            holder["lookup_key"] = None
        price["lookup_key"] = lookup_key
    apply_metadata(price["metadata"], p.metadata())
    previous = {key: value for key, value in before.items() if price[key] != value}
    if previous:
        store.record_event(
            "price.updated", price, created=store.now(), previous_attributes=previous
        )
    return respond(price)


@route("/prices", ["GET"])
def list_prices() -> Response:
    p = params()
    p.check_known(
        (*LIST_PARAMS, "active", "product", "currency", "type", "lookup_keys", "lookup_key")
    )
    active, product = p.boolean("active"), p.string("product")
    currency, kind = p.string("currency"), p.string("type", choices=("one_time", "recurring"))
    lookup_keys = p.strings("lookup_keys") + (
        [p.required_string("lookup_key")] if p.has("lookup_key") else []
    )
    return list_response(
        services().store.prices.values(),
        "/v1/prices",
        lambda x: (
            (active is None or x["active"] == active)
            and (product is None or x["product"] == product)
            and (currency is None or x["currency"] == currency)
            and (kind is None or x["type"] == kind)
            and (not lookup_keys or x["lookup_key"] in lookup_keys)
        ),
    )
