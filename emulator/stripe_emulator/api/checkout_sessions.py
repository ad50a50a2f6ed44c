"""Checkout sessions: ``/v1/checkout/sessions`` (their page is in :mod:`..pages`)."""

from __future__ import annotations

from flask import Response

from .. import objects
from ..calendar import DAY
from ..errors import StripeError, not_emulated, parameter_invalid, parameter_missing
from ..forms import Params, new_metadata
from ..lifecycle import LineRequest
from ..objects import Json
from ..store import CheckoutExtras, Store
from .common import LIST_PARAMS, list_response, params, respond, route, services, url_param
from .discounts import discounts_param

_OPTIONS = (
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
_NOT_EMULATED = {
    "consent_collection": "consent collection",
    "custom_fields": "custom fields on the checkout page",
    "custom_text": "custom text on the checkout page",
    "payment_method_configuration": "payment method configurations",
    "payment_method_options": "payment method options",
    "saved_payment_method_options": "saved payment methods on the checkout page",
}
_PAYMENT_MODE_ONLY = ("customer_creation", "invoice_creation", "submit_type")


def _options(p: Params, currency: str) -> Json:
    """The session's fields the request's options set; what the emulator's page cannot
    do is refused, never ignored."""
    for key, what in _NOT_EMULATED.items():
        p.refuse(key, what)
    for key in _PAYMENT_MODE_ONLY:
        if p.has(key):
            raise parameter_invalid(key, f"`{key}` can only be used in `payment` mode.")
    fields: Json = {}
    if p.has("allow_promotion_codes"):  # there are no promotion codes to enter
        fields["allow_promotion_codes"] = p.boolean("allow_promotion_codes")
    if p.disabled("adaptive_pricing", "adaptive pricing"):
        fields["adaptive_pricing"] = {"enabled": False}
    tax = p.nested("automatic_tax")
    if tax is not None:
        tax.check_known(("enabled", "liability"))
        tax.refuse("liability", "tax liability")
        if tax.boolean("enabled"):
            raise not_emulated(tax.name("enabled"), "automatic tax")
    if p.disabled("phone_number_collection", "phone number collection"):
        fields["phone_number_collection"] = {"enabled": False}
    p.disabled("tax_id_collection", "tax id collection")  # not shown on the session
    if p.has("billing_address_collection"):
        fields["billing_address_collection"] = p.only(
            "billing_address_collection", "auto", "address collection (required)"
        )
    if p.has("payment_method_collection"):
        fields["payment_method_collection"] = p.string(
            "payment_method_collection", choices=("always", "if_required")
        )
    types = p.strings("payment_method_types")
    if types and types != ["card"]:
        raise not_emulated("payment_method_types", "payment methods other than card")
    given = p.string("currency")
    if given is not None and given.lower() != currency:
        raise parameter_invalid(
            "currency", f"currency must be the prices' currency ({currency}) in subscription mode."
        )
    if p.string("ui_mode") not in (None, "hosted_page", "hosted"):
        raise not_emulated("ui_mode", "embedded and custom Checkout (only ui_mode=hosted_page)")
    update = p.nested("customer_update")
    if update is not None:  # the page collects no address or name: auto and never agree
        update.check_known(("address", "name", "shipping"))
        for key in ("address", "name", "shipping"):
            update.string(key, choices=("auto", "never"))
    return fields


def _checkout_lines(store: Store, p: Params) -> list[LineRequest]:
    lines = []
    for line in p.hashes("line_items"):
        line.check_known(("price", "quantity", "adjustable_quantity", "tax_rates"))
        line.refuse("tax_rates", "tax rates")
        line.disabled("adjustable_quantity", "adjustable quantities")
        price_id = line.required_string("price")
        price = store.get_param(store.prices, price_id, "price", line.name("price"))
        if not price["active"]:
            raise parameter_invalid(
                line.name("price"), f"The price specified is inactive: {price_id}."
            )
        if price["recurring"] is None:
            raise parameter_invalid(
                line.name("price"),
                "`mode=subscription` needs recurring prices; the emulator supports no "
                "one-time prices in checkout.",
            )
        quantity = line.integer("quantity", minimum=1, maximum=999_999)
        if quantity is None:
            raise parameter_missing(line.name("quantity"))
        lines.append(LineRequest(price, quantity))
    if not lines:
        raise parameter_missing("line_items")

    def billing(price: Json) -> tuple[str, str, int]:
        recurring = price["recurring"]
        return price["currency"], recurring["interval"], recurring["interval_count"]

    for index, requested in enumerate(lines[1:], start=1):
        if billing(requested.price) != billing(lines[0].price):
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
            *_OPTIONS,
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
    success_url = url_param(p, "success_url", required=True)
    assert success_url is not None
    lines = _checkout_lines(store, p)
    options = _options(p, lines[0].price["currency"])
    extras = CheckoutExtras(
        lines=[], subscription_metadata={}, subscription_description=None, trial_period_days=None
    )
    data = p.nested("subscription_data")
    if data is not None:
        _subscription_data(data, extras)
    now = store.now(customer["test_clock"] if customer else None)
    extras.discounts = _discounts(store, p, now)
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
        cancel_url=url_param(p, "cancel_url"),
        metadata=new_metadata(p.metadata()),
        extras=extras,
        expires_at=expires_at,
        locale=p.string("locale"),
    )
    session.update(options)
    session["discounts"] = [{"coupon": c, "promotion_code": d} for c, d in extras.discounts]
    return respond(session)


def _discounts(store: Store, p: Params, now: int) -> list[list[str | None]]:
    given = discounts_param(store, p, now)
    if given and p.boolean("allow_promotion_codes"):
        raise StripeError(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="discounts",
        )
    return [[coupon["id"], promo["id"] if promo else None] for coupon, promo in given]


def _subscription_data(data: Params, extras: CheckoutExtras) -> None:
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
    data.refuse("billing_cycle_anchor", "billing cycle anchors")
    data.refuse("default_tax_rates", "tax rates")
    # Prorations only follow from a billing_cycle_anchor, refused above: no effect.
    data.string("proration_behavior", choices=("create_prorations", "none"))
    extras.subscription_metadata = new_metadata(data.metadata())
    extras.subscription_description = data.string("description")
    extras.trial_period_days = data.integer("trial_period_days", minimum=1, maximum=730)
    settings = data.nested("trial_settings")
    if settings is not None:
        settings.check_known(("end_behavior",))
        end_behavior = settings.nested("end_behavior")
        if end_behavior is not None:
            end_behavior.check_known(("missing_payment_method",))
            extras.missing_payment_method = (
                end_behavior.string(
                    "missing_payment_method", choices=("cancel", "create_invoice", "pause")
                )
                or extras.missing_payment_method
            )


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
    s.checkout.expire_now(session)
    return respond(session)


@route("/checkout/sessions", ["GET"])
def list_checkout_sessions() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "customer", "status", "subscription", "payment_intent"))
    customer, subscription = p.string("customer"), p.string("subscription")
    payment_intent = p.string("payment_intent")  # subscription mode: sessions have none
    status = p.string("status", choices=("open", "complete", "expired"))
    store = services().store
    if customer is not None:
        store.get_param(store.customers, customer, "customer", "customer")  # as Stripe: 400
    return list_response(
        services().store.checkout_sessions.values(),
        "/v1/checkout/sessions",
        lambda x: (
            (customer is None or x["customer"] == customer)
            and (status is None or x["status"] == status)
            and (subscription is None or x["subscription"] == subscription)
            and (payment_intent is None or x["payment_intent"] == payment_intent)
        ),
    )
