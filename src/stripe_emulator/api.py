"""The ``/v1`` REST API: parse Stripe-encoded parameters, act on the state, answer JSON.

Authentication, idempotency keys and error bodies are handled in
:mod:`stripe_emulator.server`; every handler here runs with ``g.params`` (the
decoded parameters) and holds the store's lock while it reads or changes state.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, current_app, g

from . import objects
from .billing import (
    DAY,
    ItemChange,
    LineRequest,
    Outbox,
    SubscriptionChange,
    current_period_end,
)
from .cards import DEFAULT_CARD
from .errors import (
    StripeError,
    card_declined,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from .forms import Params, apply_metadata, new_metadata
from .services import Services
from .store import CheckoutExtras, Json, Store

api = Blueprint("stripe_api", __name__, url_prefix="/v1")

LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")
_CURRENCY_LENGTH = 3
_INTERVALS = ("day", "week", "month", "year")
_SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)


def services() -> Services:
    return current_app.extensions["stripe_emulator"]  # type: ignore[no-any-return]


def params() -> Params:
    return g.params  # type: ignore[no-any-return]


def respond(obj: Json, status: int = 200) -> Response:
    """Answer ``obj`` as JSON, expanding what the request's ``expand[]`` asks for."""
    store = services().store
    body = store.render(obj, params().strings("expand"))
    return json_response(body, status)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2) + "\n", status=status, mimetype="application/json")


def _url(p: Params, key: str, *, required: bool = False) -> str | None:
    """A URL parameter; only http(s) URLs are accepted, as on Stripe."""
    url = p.string(key, required=required, max_length=5000)
    if url is not None and not url.startswith(("http://", "https://")):
        raise parameter_invalid(p.name(key), f"Not a valid URL: {p.name(key)}")
    return url


# -- lists ------------------------------------------------------------------


def _created_filter(p: Params) -> Callable[[Json], bool]:
    if not p.has("created"):
        return lambda obj: True
    bounds = p.nested("created") if isinstance(p.raw().get("created"), dict) else None
    if bounds is None:
        exact = p.integer("created")
        return lambda obj: exact is None or obj["created"] == exact
    bounds.check_known(("gt", "gte", "lt", "lte"))
    gt, gte = bounds.integer("gt"), bounds.integer("gte")
    lt, lte = bounds.integer("lt"), bounds.integer("lte")

    def accept(obj: Json) -> bool:
        created = obj["created"]
        return (
            (gt is None or created > gt)
            and (gte is None or created >= gte)
            and (lt is None or created < lt)
            and (lte is None or created <= lte)
        )

    return accept


def list_response(
    items: Iterable[Json], url: str, predicate: Callable[[Json], bool] | None = None
) -> Response:
    """A Stripe list of ``items`` (given oldest first), newest first, paginated."""
    p = params()
    accept_created = _created_filter(p)
    ordered = [
        obj
        for obj in reversed(list(items))
        if accept_created(obj) and (predicate is None or predicate(obj))
    ]
    limit = p.integer("limit", minimum=1, maximum=100) or 10
    starting_after, ending_before = p.string("starting_after"), p.string("ending_before")
    ids = [obj["id"] for obj in ordered]
    if starting_after is not None:
        if starting_after not in ids:
            raise resource_missing("object", starting_after, param="starting_after")
        start = ids.index(starting_after) + 1
        page, has_more = ordered[start : start + limit], len(ordered) > start + limit
    elif ending_before is not None:
        if ending_before not in ids:
            raise resource_missing("object", ending_before, param="ending_before")
        end = ids.index(ending_before)
        page, has_more = ordered[max(0, end - limit) : end], end - limit > 0
    else:
        page, has_more = ordered[:limit], len(ordered) > limit
    store = services().store
    body = store.render(objects.list_object(page, url, has_more=has_more), p.strings("expand"))
    return json_response(body)


def _with_lock(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Run a handler while holding the store's lock."""

    def wrapper(**kwargs: Any) -> Response:
        with services().store.lock:
            return handler(**kwargs)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def route(rule: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
    def decorate(handler: Callable[..., Response]) -> Any:
        return api.route(rule, methods=methods)(_with_lock(handler))

    return decorate


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


# -- checkout sessions --------------------------------------------------------

_CHECKOUT_IGNORED = (
    "adaptive_pricing",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer_creation",
    "customer_update",
    "discounts",
    "invoice_creation",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_options",
    "payment_method_types",
    "phone_number_collection",
    "saved_payment_method_options",
    "submit_type",
    "tax_id_collection",
    "ui_mode",
)


def _checkout_lines(store: Store, p: Params) -> list[LineRequest]:
    lines = []
    for line in p.hashes("line_items"):
        line.check_known(("price", "quantity", "adjustable_quantity", "tax_rates"))
        price_id = line.required_string("price")
        price = store.get_param(store.prices, price_id, "price", line.name("price"))
        if not price["active"]:
            raise parameter_invalid(
                line.name("price"), f"The price specified is inactive: {price_id}."
            )
        if price["recurring"] is None:
            raise parameter_invalid(
                line.name("price"),
                "The emulator supports recurring prices only "
                "(`mode=subscription` with a one-time price).",
            )
        quantity = line.integer("quantity", minimum=1, maximum=999_999)
        if quantity is None:
            raise parameter_missing(line.name("quantity"))
        lines.append(LineRequest(price, quantity))
    if not lines:
        raise parameter_missing("line_items")
    first = lines[0].price
    for index, line in enumerate(lines[1:], start=1):
        if line.price["currency"] != first["currency"] or (
            line.price["recurring"]["interval"],
            line.price["recurring"]["interval_count"],
        ) != (first["recurring"]["interval"], first["recurring"]["interval_count"]):
            raise parameter_invalid(
                f"line_items[{index}][price]",
                "All prices of a subscription must share currency and billing interval.",
            )
    return lines


@route("/checkout/sessions", ["POST"])
def create_checkout_session() -> Response:
    p = params()
    p.check_known(
        (
            "mode",
            "customer",
            "customer_email",
            "client_reference_id",
            "line_items",
            "success_url",
            "cancel_url",
            "metadata",
            "subscription_data",
            "expires_at",
            "locale",
            *_CHECKOUT_IGNORED,
        )
    )
    s = services()
    store = s.store
    mode = p.required_string("mode", choices=("payment", "setup", "subscription"))
    if mode != "subscription":
        raise parameter_invalid("mode", "The emulator supports `mode=subscription` only.")
    customer_id, customer_email = p.string("customer"), p.string("customer_email")
    if customer_id and customer_email:
        raise StripeError(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    customer = (
        store.get_param(store.customers, customer_id, "customer", "customer")
        if customer_id
        else None
    )
    success_url = _url(p, "success_url", required=True)
    assert success_url is not None
    lines = _checkout_lines(store, p)
    data = p.nested("subscription_data")
    extras = CheckoutExtras(
        lines=[], subscription_metadata={}, subscription_description=None, trial_period_days=None
    )
    if data is not None:
        data.check_known(
            (
                "metadata",
                "description",
                "trial_period_days",
                "billing_cycle_anchor",
                "default_tax_rates",
                "proration_behavior",
                "trial_settings",
            )
        )
        extras.subscription_metadata = new_metadata(data.metadata())
        extras.subscription_description = data.string("description")
        extras.trial_period_days = data.integer("trial_period_days", minimum=1, maximum=730)
    now = store.now(customer["test_clock"] if customer else None)
    expires_at = p.timestamp("expires_at")
    if expires_at is not None and not now + 1800 <= expires_at <= now + DAY:
        raise parameter_invalid(
            "expires_at", "expires_at must be between 30 minutes and 24 hours from now."
        )
    session = s.checkout.create(
        customer=customer,
        customer_email=customer_email,
        client_reference_id=p.string("client_reference_id", max_length=200),
        lines=lines,
        success_url=success_url,
        cancel_url=_url(p, "cancel_url"),
        metadata=new_metadata(p.metadata()),
        extras=extras,
        expires_at=expires_at,
        locale=p.string("locale"),
    )
    return respond(session)


@route("/checkout/sessions/<session_id>", ["GET"])
def retrieve_checkout_session(session_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.checkout_sessions, session_id, "checkout.session"))


@route("/checkout/sessions/<session_id>/line_items", ["GET"])
def checkout_session_line_items(session_id: str) -> Response:
    params().check_known(LIST_PARAMS)
    store = services().store
    store.get(store.checkout_sessions, session_id, "checkout.session")
    items = []
    for line in store.checkout_extras[session_id].lines:
        price = store.prices[line.price_id]
        product = store.products.get(price["product"])
        items.append(
            objects.checkout_item(
                item_id=line.item_id,
                price_obj=price,
                product_name=product["name"] if product else price["product"],
                quantity=line.quantity,
            )
        )
    return list_response(reversed(items), f"/v1/checkout/sessions/{session_id}/line_items")


@route("/checkout/sessions/<session_id>/expire", ["POST"])
def expire_checkout_session(session_id: str) -> Response:
    params().check_known(())
    s = services()
    session = s.store.get(s.store.checkout_sessions, session_id, "checkout.session")
    if session["status"] != "open":
        raise StripeError(
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f'This Checkout Session has a status of "{session["status"]}".',
            param="session",
        )
    s.checkout.expire(session)
    return respond(session)


@route("/checkout/sessions", ["GET"])
def list_checkout_sessions() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "customer", "status", "subscription", "payment_intent"))
    customer, subscription = p.string("customer"), p.string("subscription")
    status = p.string("status", choices=("open", "complete", "expired"))
    return list_response(
        services().store.checkout_sessions.values(),
        "/v1/checkout/sessions",
        lambda x: (
            (customer is None or x["customer"] == customer)
            and (status is None or x["status"] == status)
            and (subscription is None or x["subscription"] == subscription)
        ),
    )


# -- subscriptions ------------------------------------------------------------


def _subscription_items(store: Store, p: Params) -> list[LineRequest]:
    lines = []
    for item in p.hashes("items"):
        item.check_known(("price", "quantity", "metadata", "tax_rates", "discounts"))
        price_id = item.required_string("price")
        price = store.get_param(store.prices, price_id, "price", item.name("price"))
        if price["recurring"] is None:
            raise parameter_invalid(
                item.name("price"),
                "The price specified is set to `type=one_time` but this field only accepts "
                "prices with `type=recurring`.",
            )
        quantity = item.integer("quantity", minimum=1, maximum=999_999) or 1
        lines.append(LineRequest(price, quantity))
    if not lines:
        raise parameter_missing("items")
    return lines


@route("/subscriptions", ["POST"])
def create_subscription() -> Response:
    p = params()
    p.check_known(
        (
            "customer",
            "items",
            "metadata",
            "description",
            "default_payment_method",
            "payment_behavior",
            "trial_period_days",
            "trial_end",
            "trial_settings",
            "collection_method",
            "off_session",
            "payment_settings",
            "proration_behavior",
        )
    )
    s = services()
    store = s.store
    customer = store.get_param(
        store.customers, p.required_string("customer"), "customer", "customer"
    )
    lines = _subscription_items(store, p)
    now = store.now(customer["test_clock"])
    p.string("collection_method", choices=("charge_automatically",))
    behaviour = p.string(
        "payment_behavior",
        choices=(
            "allow_incomplete",
            "default_incomplete",
            "error_if_incomplete",
            "pending_if_incomplete",
        ),
    )
    trial_end = _trial_end(p, now)
    missing = "create_invoice"
    settings = p.nested("trial_settings")
    if settings is not None:
        end_behavior = settings.nested("end_behavior")
        if end_behavior is not None:
            missing = (
                end_behavior.string(
                    "missing_payment_method", choices=("cancel", "create_invoice", "pause")
                )
                or missing
            )
    pm_id = p.string("default_payment_method")
    card = (
        s.billing.payment_method_param(pm_id, customer["id"], "default_payment_method")
        if pm_id
        else None
    )
    if card is None and trial_end is None:
        pm_default = customer["invoice_settings"]["default_payment_method"]
        card = store.payment_methods.get(pm_default) if pm_default else None
    if card is None and trial_end is None:
        card = s.billing.add_card(customer["id"], DEFAULT_CARD)
    if behaviour == "error_if_incomplete" and card is not None and card.would_decline_now():
        raise card_declined()
    outbox = Outbox()
    subscription = s.billing.start_subscription(
        customer,
        lines,
        now=now,
        metadata=new_metadata(p.metadata()),
        description=p.string("description"),
        card=card,
        trial_end=trial_end,
        missing_payment_method=missing,
        attempt_payment=behaviour != "default_incomplete",
        outbox=outbox,
    )
    outbox.send(store, now)
    return respond(subscription)


def _trial_end(p: Params, now: int) -> int | None:
    if p.has("trial_period_days") and p.has("trial_end"):
        raise StripeError(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
            param="trial_end",
        )
    days = p.integer("trial_period_days", minimum=0, maximum=730)
    if days:
        return now + days * DAY
    if p.raw().get("trial_end") == "now":
        return None
    trial_end = p.timestamp("trial_end")
    if trial_end is not None and trial_end <= now:
        raise parameter_invalid("trial_end", "Invalid timestamp: must be in the future.")
    return trial_end


@route("/subscriptions/<subscription_id>", ["GET"])
def retrieve_subscription(subscription_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.subscriptions, subscription_id, "subscription"))


@route("/subscriptions/<subscription_id>", ["POST"])
def update_subscription(subscription_id: str) -> Response:
    p = params()
    p.check_known(
        (
            "cancel_at_period_end",
            "cancel_at",
            "metadata",
            "description",
            "pause_collection",
            "default_payment_method",
            "items",
            "cancellation_details",
            "proration_behavior",
            "payment_behavior",
            "off_session",
        )
    )
    s = services()
    store = s.store
    subscription = store.get(store.subscriptions, subscription_id, "subscription")
    now = store.now_for_customer(subscription["customer"])
    change = SubscriptionChange(
        cancel_at_period_end=p.boolean("cancel_at_period_end"), metadata=p.metadata()
    )
    if p.has("cancel_at"):
        if p.is_empty("cancel_at"):
            change.clear_cancel_at = True
        else:
            cancel_at = _cancel_at(p, subscription)
            if cancel_at <= now:
                raise parameter_invalid("cancel_at", "cancel_at must be in the future.")
            change.cancel_at = cancel_at
        if change.cancel_at_period_end:
            raise StripeError(
                "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
                param="cancel_at",
            )
    if p.has("description"):
        change.description = p.string("description") or ""
    if p.has("pause_collection"):
        change.pause_collection = _pause_collection(p)
    pm_id = p.string("default_payment_method")
    if pm_id is not None:
        change.card = s.billing.payment_method_param(
            pm_id, subscription["customer"], "default_payment_method"
        )
    change.items = _item_changes(store, p, subscription)
    details = p.nested("cancellation_details")
    if details is not None:
        details.check_known(("comment", "feedback"))
        change.cancellation_comment = details.string("comment")
        change.cancellation_feedback = details.string(
            "feedback",
            choices=(
                "customer_service",
                "low_quality",
                "missing_features",
                "other",
                "switched_service",
                "too_complex",
                "too_expensive",
                "unused",
            ),
        )
    s.billing.update(subscription, now=now, change=change)
    return respond(subscription)


def _cancel_at(p: Params, subscription: Json) -> int:
    raw = p.raw().get("cancel_at")
    if raw in ("min_period_end", "max_period_end"):
        return current_period_end(subscription)
    return p.required_timestamp("cancel_at")


def _pause_collection(p: Params) -> Json:
    if p.is_empty("pause_collection"):
        return {}
    pause = p.nested("pause_collection")
    assert pause is not None
    pause.check_known(("behavior", "resumes_at"))
    return {
        "behavior": pause.required_string(
            "behavior", choices=("keep_as_draft", "mark_uncollectible", "void")
        ),
        "resumes_at": pause.timestamp("resumes_at"),
    }


def _item_changes(store: Store, p: Params, subscription: Json) -> list[ItemChange]:
    changes = []
    items = {item["id"]: item for item in subscription["items"]["data"]}
    for entry in p.hashes("items"):
        entry.check_known(("id", "price", "quantity", "metadata", "tax_rates", "discounts"))
        item_id = entry.string("id")
        if item_id is None:
            raise parameter_invalid(
                entry.name("id"),
                "The emulator can change the price or quantity of existing items only; "
                "give the item's id.",
            )
        if item_id not in items:
            raise resource_missing("subscription_item", item_id, param=entry.name("id"))
        price = None
        price_id = entry.string("price")
        if price_id is not None:
            price = store.get_param(store.prices, price_id, "price", entry.name("price"))
            if price["recurring"] is None or price["currency"] != subscription["currency"]:
                raise parameter_invalid(
                    entry.name("price"),
                    "The new price must be recurring and in the subscription's currency.",
                )
        quantity = entry.integer("quantity", minimum=1, maximum=999_999)
        changes.append(ItemChange(items[item_id], price, quantity))
    return changes


@route("/subscriptions/<subscription_id>", ["DELETE"])
def cancel_subscription(subscription_id: str) -> Response:
    p = params()
    p.check_known(("invoice_now", "prorate", "cancellation_details"))
    s = services()
    subscription = s.store.get(s.store.subscriptions, subscription_id, "subscription")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        # Stripe treats a canceled subscription as deleted here.
        raise StripeError(
            f"No such subscription: '{subscription_id}'",
            status=404,
            code="resource_missing",
            param="id",
        )
    comment = feedback = None
    details = p.nested("cancellation_details")
    if details is not None:
        details.check_known(("comment", "feedback"))
        comment, feedback = details.string("comment"), details.string("feedback")
    now = s.store.now_for_customer(subscription["customer"])
    outbox = Outbox()
    s.billing.cancel(
        subscription,
        now=now,
        reason="cancellation_requested",
        outbox=outbox,
        comment=comment,
        feedback=feedback,
    )
    outbox.send(s.store, now)
    return respond(subscription)


@route("/subscriptions/<subscription_id>/resume", ["POST"])
def resume_subscription(subscription_id: str) -> Response:
    p = params()
    p.check_known(("billing_cycle_anchor", "proration_behavior", "proration_date"))
    p.string("billing_cycle_anchor", choices=("now",))
    s = services()
    subscription = s.store.get(s.store.subscriptions, subscription_id, "subscription")
    if subscription["status"] != "paused":
        raise StripeError(
            "Only a subscription with status `paused` can be resumed; this one is "
            f"`{subscription['status']}`.",
        )
    now = s.store.now_for_customer(subscription["customer"])
    outbox = Outbox()
    s.billing.resume(subscription, now=now, outbox=outbox)
    outbox.send(s.store, now)
    return respond(subscription)


@route("/subscriptions", ["GET"])
def list_subscriptions() -> Response:
    p = params()
    p.check_known(
        (
            *LIST_PARAMS,
            "customer",
            "price",
            "status",
            "test_clock",
            "collection_method",
            "current_period_end",
            "current_period_start",
        )
    )
    customer, price, clock = p.string("customer"), p.string("price"), p.string("test_clock")
    status = p.string("status", choices=(*_SUBSCRIPTION_STATUSES, "all", "ended"))

    def status_matches(x: Json) -> bool:
        if status is None:
            return x["status"] not in ("canceled", "incomplete_expired")
        if status == "all":
            return True
        if status == "ended":
            return x["status"] in ("canceled", "incomplete_expired")
        return x["status"] == status

    return list_response(
        services().store.subscriptions.values(),
        "/v1/subscriptions",
        lambda x: (
            status_matches(x)
            and (customer is None or x["customer"] == customer)
            and (clock is None or x["test_clock"] == clock)
            and (price is None or any(i["price"]["id"] == price for i in x["items"]["data"]))
        ),
    )


# -- invoices -----------------------------------------------------------------


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


# -- billing portal -----------------------------------------------------------


@route("/billing_portal/sessions", ["POST"])
def create_portal_session() -> Response:
    p = params()
    p.check_known(("customer", "return_url", "locale", "configuration", "on_behalf_of"))
    s = services()
    customer = s.store.get_param(
        s.store.customers, p.required_string("customer"), "customer", "customer"
    )
    session = s.portal.create(customer, return_url=_url(p, "return_url"), locale=p.string("locale"))
    return respond(session)


# -- events -------------------------------------------------------------------


@route("/events/<event_id>", ["GET"])
def retrieve_event(event_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.events, event_id, "event"))


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@route("/events", ["GET"])
def list_events() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "type", "types", "delivery_success"))
    pattern, types = p.string("type"), p.strings("types")
    if pattern is not None and types:
        raise StripeError(
            "You may only specify one of these parameters: type, types.", param="types"
        )
    return list_response(
        services().store.events.values(),
        "/v1/events",
        lambda x: (
            (pattern is None or _type_matches(pattern, x["type"]))
            and (not types or x["type"] in types)
        ),
    )


# -- webhook endpoints --------------------------------------------------------


def _enabled_events(p: Params) -> list[str]:
    events = p.strings("enabled_events")
    if not events:
        raise parameter_missing("enabled_events")
    return events


@route("/webhook_endpoints", ["POST"])
def create_webhook_endpoint() -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "api_version", "connect"))
    s = services()
    endpoint = s.add_webhook_endpoint(
        url=_webhook_url(p),
        enabled_events=_enabled_events(p),
        description=p.string("description"),
        metadata=new_metadata(p.metadata()),
        api_version=p.string("api_version"),
    )
    return respond(endpoint)


def _webhook_url(p: Params) -> str:
    url = _url(p, "url", required=True)
    assert url is not None
    return url


@route("/webhook_endpoints/<endpoint_id>", ["GET"])
def retrieve_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints/<endpoint_id>", ["POST"])
def update_webhook_endpoint(endpoint_id: str) -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "disabled"))
    store = services().store
    endpoint = store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    if p.has("url"):
        endpoint["url"] = _webhook_url(p)
    if p.has("enabled_events"):
        endpoint["enabled_events"] = _enabled_events(p)
    if p.has("description"):
        endpoint["description"] = p.string("description")
    disabled = p.boolean("disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    apply_metadata(endpoint["metadata"], p.metadata())
    return respond(endpoint)


@route("/webhook_endpoints/<endpoint_id>", ["DELETE"])
def delete_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    del store.webhook_endpoints[endpoint_id]
    store.webhook_secrets.pop(endpoint_id, None)
    return respond(objects.deleted_object(endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints", ["GET"])
def list_webhook_endpoints() -> Response:
    params().check_known(LIST_PARAMS)
    return list_response(services().store.webhook_endpoints.values(), "/v1/webhook_endpoints")


# -- test clocks --------------------------------------------------------------


@route("/test_helpers/test_clocks", ["POST"])
def create_test_clock() -> Response:
    p = params()
    p.check_known(("frozen_time", "name"))
    store = services().store
    clock = objects.test_clock(
        created=int(store.now()),
        frozen_time=p.required_timestamp("frozen_time"),
        name=p.string("name", max_length=300),
    )
    store.test_clocks[clock["id"]] = clock
    store.record_event("test_helpers.test_clock.created", clock, created=clock["frozen_time"])
    return respond(clock)


@route("/test_helpers/test_clocks/<clock_id>", ["GET"])
def retrieve_test_clock(clock_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.test_clocks, clock_id, "test_helpers.test_clock"))


@route("/test_helpers/test_clocks", ["GET"])
def list_test_clocks() -> Response:
    params().check_known(LIST_PARAMS)
    return list_response(services().store.test_clocks.values(), "/v1/test_helpers/test_clocks")


@route("/test_helpers/test_clocks/<clock_id>", ["DELETE"])
def delete_test_clock(clock_id: str) -> Response:
    """Delete a clock and, as Stripe does, every customer on it with their objects."""
    params().check_known(())
    store = services().store
    clock = store.get(store.test_clocks, clock_id, "test_helpers.test_clock")
    customers = {c for c, obj in store.customers.items() if obj["test_clock"] == clock_id}
    for collection in (
        store.subscriptions,
        store.invoices,
        store.checkout_sessions,
        store.portal_sessions,
    ):
        for object_id in [k for k, v in collection.items() if v.get("customer") in customers]:
            del collection[object_id]
    for customer_id in customers:
        del store.customers[customer_id]
    del store.test_clocks[clock_id]
    store.record_event("test_helpers.test_clock.deleted", clock, created=clock["frozen_time"])
    return respond(objects.deleted_object(clock_id, "test_helpers.test_clock"))


@route("/test_helpers/test_clocks/<clock_id>/advance", ["POST"])
def advance_test_clock(clock_id: str) -> Response:
    p = params()
    p.check_known(("frozen_time",))
    s = services()
    clock = s.store.get(s.store.test_clocks, clock_id, "test_helpers.test_clock")
    s.billing.advance_test_clock(clock, p.required_timestamp("frozen_time"))
    return respond(clock)
