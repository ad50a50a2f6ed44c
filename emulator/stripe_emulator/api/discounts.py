"""Coupons and promotion codes: ``/v1/coupons``, ``/v1/promotion_codes``."""

from __future__ import annotations

from flask import Response

from .. import objects
from ..discounts import redeemable
from ..errors import StripeError, not_emulated, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from ..objects import Json
from ..store import Store
from .common import LIST_PARAMS, list_response, params, respond, route, services


def coupon_param(store: Store, p: Params, key: str) -> Json:
    """The coupon a parameter names (a 400 when there is none)."""
    return store.get_param(store.coupons, p.required_string(key), "coupon", p.name(key))


@route("/coupons", ["POST"])
def create_coupon() -> Response:
    p = params()
    p.check_known(
        (
            "id",
            "percent_off",
            "amount_off",
            "currency",
            "duration",
            "duration_in_months",
            "name",
            "max_redemptions",
            "redeem_by",
            "metadata",
            "applies_to",
            "currency_options",
        )
    )
    p.refuse("applies_to", "coupons for some products only")
    p.refuse("currency_options", "coupons in several currencies")
    store = services().store
    percent_raw, amount_off = p.string("percent_off"), p.integer("amount_off", minimum=1)
    if (percent_raw is None) == (amount_off is None):
        raise parameter_missing("percent_off")  # Stripe: exactly one of the two
    percent = None
    if percent_raw is not None:
        try:
            percent = float(percent_raw)
        except ValueError:
            raise parameter_invalid("percent_off", "Invalid decimal.") from None
        if not 0 < percent <= 100:
            raise parameter_invalid("percent_off", "percent_off must be between 0 and 100.")
    currency = (p.string("currency") or "").lower() or None
    if amount_off is not None and currency is None:
        raise parameter_missing("currency")
    duration = p.string("duration", choices=("forever", "once", "repeating")) or "once"
    months = p.integer("duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise parameter_missing("duration_in_months")
    coupon_id = p.string("id")
    if coupon_id is not None and coupon_id in store.coupons:
        raise StripeError("Coupon already exists.", code="resource_already_exists", param="id")
    now = store.now()
    coupon = objects.coupon(
        coupon_id=coupon_id,
        created=now,
        percent_off=percent,
        amount_off=amount_off,
        currency=currency,
        duration=duration,
        duration_in_months=months if duration == "repeating" else None,
        name=p.string("name", max_length=40),
        max_redemptions=p.integer("max_redemptions", minimum=1),
        redeem_by=p.timestamp("redeem_by"),
        metadata=new_metadata(p.metadata()),
    )
    store.coupons[coupon["id"]] = coupon
    store.record_event("coupon.created", coupon, created=now)
    return respond(coupon)


@route("/coupons/<coupon_id>", ["GET"])
def retrieve_coupon(coupon_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.coupons, coupon_id, "coupon"))


@route("/coupons/<coupon_id>", ["DELETE"])
def delete_coupon(coupon_id: str) -> Response:
    params().check_known(())
    store = services().store
    coupon = store.get(store.coupons, coupon_id, "coupon")
    coupon["valid"] = False  # kept for the discounts that use it; no longer redeemable
    store.record_event("coupon.deleted", coupon, created=store.now())
    return respond(objects.deleted_object(coupon_id, "coupon"))


@route("/coupons", ["GET"])
def list_coupons() -> Response:
    params().check_known(LIST_PARAMS)
    store = services().store
    return list_response(store.coupons.values(), "/v1/coupons", lambda x: bool(x["valid"]))


@route("/promotion_codes", ["POST"])
def create_promotion_code() -> Response:
    p = params()
    p.check_known(
        (
            "promotion",
            "code",
            "active",
            "customer",
            "customer_account",
            "expires_at",
            "max_redemptions",
            "metadata",
            "restrictions",
        )
    )
    p.refuse("restrictions", "promotion code restrictions")
    p.refuse("customer_account", "customer accounts")
    store = services().store
    promotion = p.nested("promotion")
    if promotion is None:
        raise parameter_missing("promotion")
    promotion.check_known(("type", "coupon"))
    promotion.required_string("type", choices=("coupon",))
    coupon = coupon_param(store, promotion, "coupon")
    customer = p.string("customer")
    if customer is not None:
        store.get_param(store.customers, customer, "customer", "customer")
    code = p.string("code", max_length=500)
    if code is None:
        code = coupon["id"][:4].upper() + str(len(store.promotion_codes) + 1000)
    if any(
        other["code"].lower() == code.lower() and other["active"]
        for other in store.promotion_codes.values()
    ):
        raise StripeError("An active promotion code with this code already exists.", param="code")
    now = store.now()
    promo = objects.promotion_code(
        created=now,
        code=code,
        coupon_id=coupon["id"],
        active=p.boolean("active") is not False,
        customer=customer,
        expires_at=p.timestamp("expires_at"),
        max_redemptions=p.integer("max_redemptions", minimum=1),
        metadata=new_metadata(p.metadata()),
    )
    store.promotion_codes[promo["id"]] = promo
    store.record_event("promotion_code.created", promo, created=now)
    return respond(promo)


@route("/promotion_codes/<promo_id>", ["GET"])
def retrieve_promotion_code(promo_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.promotion_codes, promo_id, "promotion_code"))


@route("/promotion_codes/<promo_id>", ["POST"])
def update_promotion_code(promo_id: str) -> Response:
    p = params()
    p.check_known(("active", "metadata", "restrictions"))
    p.refuse("restrictions", "promotion code restrictions")
    store = services().store
    promo = store.get(store.promotion_codes, promo_id, "promotion_code")
    if p.has("active"):
        promo["active"] = bool(p.boolean("active"))
    apply_metadata(promo["metadata"], p.metadata())
    store.record_event("promotion_code.updated", promo, created=store.now())
    return respond(promo)


@route("/promotion_codes", ["GET"])
def list_promotion_codes() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "active", "code", "coupon", "customer", "customer_account"))
    p.refuse("customer_account", "customer accounts")
    active, code = p.boolean("active"), p.string("code")
    coupon, customer = p.string("coupon"), p.string("customer")
    return list_response(
        services().store.promotion_codes.values(),
        "/v1/promotion_codes",
        lambda x: (
            (active is None or x["active"] == active)
            and (code is None or x["code"].lower() == code.lower())
            and (coupon is None or x["promotion"]["coupon"] == coupon)
            and (customer is None or x["customer"] == customer)
        ),
    )


def discounts_param(store: Store, p: Params, now: int) -> list[tuple[Json, Json | None]]:
    """``discounts[][coupon|promotion_code]`` of a subscription or checkout session."""
    result: list[tuple[Json, Json | None]] = []
    for entry in p.hashes("discounts"):
        entry.check_known(("coupon", "promotion_code", "discount"))
        entry.refuse("discount", "reusing an existing discount")
        promo = None
        if entry.has("promotion_code"):
            promo = store.get_param(
                store.promotion_codes,
                entry.required_string("promotion_code"),
                "promotion_code",
                entry.name("promotion_code"),
            )
            coupon = store.coupons[promo["promotion"]["coupon"]]
        else:
            coupon = coupon_param(store, entry, "coupon")
        if not redeemable(coupon, now) or (promo is not None and not promo["active"]):
            raise parameter_invalid(entry.name("coupon"), "This coupon cannot be redeemed.")
        result.append((coupon, promo))
    if len(result) > 1:
        raise not_emulated("discounts", "more than one discount")
    return result
