"""Products and prices: ``/v1/products``, ``/v1/prices``."""

from __future__ import annotations

import copy

from flask import Response

from .. import objects
from ..errors import StripeError, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from ..objects import Json
from ..store import Store
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

_CURRENCY_LENGTH = 3
_INTERVALS = ("day", "week", "month", "year")


def _store() -> Store:
    return services().store


_PRODUCT_DATA = (
    "name",
    "id",
    "active",
    "metadata",
    "statement_descriptor",
    "tax_code",
    "unit_label",
)
_PRODUCT = (
    *_PRODUCT_DATA,
    "description",
    "images",
    "marketing_features",
    "package_dimensions",
    "shippable",
    "url",
)


def _product_fields(p: Params) -> Json:
    """What a product request sets, besides name, id, active and metadata."""
    fields: Json = {}
    for key, limit in (
        ("description", 40_000),
        ("statement_descriptor", 22),
        ("tax_code", 5000),
        ("unit_label", 12),
        ("url", 5000),
    ):
        if p.has(key):
            fields[key] = p.string(key, max_length=limit)
    if p.has("images"):
        fields["images"] = p.strings("images")[:8]
    if p.has("marketing_features"):
        features = []
        for feature in p.hashes("marketing_features"):
            feature.check_known(("name",))
            features.append({"name": feature.required_string("name")})
        fields["marketing_features"] = features
    if p.has("package_dimensions"):
        dimensions = p.nested("package_dimensions")
        if dimensions is None:
            fields["package_dimensions"] = None
        else:
            keys = ("height", "length", "weight", "width")
            dimensions.check_known(keys)
            fields["package_dimensions"] = {key: _number(dimensions, key) for key in keys}
    if p.has("shippable"):
        fields["shippable"] = p.boolean("shippable")
    return fields


def _number(p: Params, key: str) -> float:
    raw = p.required_string(key)
    try:
        return float(raw)
    except ValueError:
        raise parameter_invalid(p.name(key), f"Invalid decimal: {raw[:100]}") from None


def _new_product(store: Store, p: Params, fields: Json) -> Json:
    product = objects.product(
        created=store.now(),
        name=p.required_string("name"),
        description=None,
        active=p.boolean("active") is not False,
        metadata=new_metadata(p.metadata()),
        product_id=p.string("id"),
    )
    product.update(fields)
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
    p.check_known(_PRODUCT)
    return respond(_new_product(_store(), p, _product_fields(p)))


@route("/products/search", ["GET"])
def search_products() -> Response:
    return search_response(
        _store().products.values(),
        "/v1/products/search",
        "products",
        keyed("active", "created", "description", "name", "shippable", "url"),
    )


@route("/products/<product_id>", ["GET"])
def retrieve_product(product_id: str) -> Response:
    params().check_known(())
    store = _store()
    return respond(store.get(store.products, product_id, "product"))


@route("/products", ["GET"])
def list_products() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "active", "ids"))
    active, ids = p.boolean("active"), p.strings("ids")
    return list_response(
        _store().products.values(),
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
    store = _store()
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
        product_data.check_known(_PRODUCT_DATA)
        product_data.required_string("name")
    else:
        raise parameter_missing("product")
    p.only("billing_scheme", "per_unit", "tiered prices (billing_scheme=tiered)")
    tax_behavior = p.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
    interval, interval_count = None, 1
    recurring = p.nested("recurring")
    if recurring is not None:
        recurring.check_known(("interval", "interval_count", "usage_type", "meter"))
        interval = recurring.required_string("interval", choices=_INTERVALS)
        interval_count = recurring.integer("interval_count", minimum=1, maximum=365) or 1
        recurring.only("usage_type", "licensed", "metered prices (usage_type=metered)")
        recurring.refuse("meter", "billing meters")
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
    if product_data is not None:  # last: a refused request creates nothing
        product_id = _new_product(store, product_data, _product_fields(product_data))["id"]
    assert product_id is not None
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
    if tax_behavior is not None:
        price["tax_behavior"] = tax_behavior
    store.prices[price["id"]] = price
    store.record_event("price.created", price, created=price["created"])
    return respond(price)


@route("/prices/search", ["GET"])
def search_prices() -> Response:
    return search_response(
        _store().prices.values(),
        "/v1/prices/search",
        "prices",
        keyed("active", "created", "currency", "lookup_key", "product", "type"),
    )


@route("/prices/<price_id>", ["GET"])
def retrieve_price(price_id: str) -> Response:
    params().check_known(())
    store = _store()
    return respond(store.get(store.prices, price_id, "price"))


@route("/prices/<price_id>", ["POST"])
def update_price(price_id: str) -> Response:
    p = params()
    p.check_known(("active", "metadata", "nickname", "lookup_key", "transfer_lookup_key"))
    store = _store()
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
        _store().prices.values(),
        "/v1/prices",
        lambda x: (
            (active is None or x["active"] == active)
            and (product is None or x["product"] == product)
            and (currency is None or x["currency"] == currency)
            and (kind is None or x["type"] == kind)
            and (not lookup_keys or x["lookup_key"] in lookup_keys)
        ),
    )
