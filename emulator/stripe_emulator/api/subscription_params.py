"""Reading the parameters of the subscription routes (:mod:`.subscriptions`).

What the emulator models is read into the lifecycle's requests; what it cannot do
(tax rates, discounts, prorations...) is refused with ``not_emulated``, never ignored.
"""

from __future__ import annotations

from ..calendar import DAY, current_period_end
from ..errors import (
    StripeError,
    not_emulated,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from ..forms import Params, new_metadata
from ..lifecycle import LineRequest
from ..objects import Json
from ..prorations import ItemChange, Proration
from ..store import Store

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)


def new_items(store: Store, p: Params) -> list[LineRequest]:
    lines = []
    for item in p.hashes("items"):
        item.check_known(("price", "quantity", "metadata", "tax_rates", "discounts"))
        item.refuse("tax_rates", "tax rates")
        item.refuse("discounts", "discounts and coupons")
        price_id = item.required_string("price")
        price = store.get_param(store.prices, price_id, "price", item.name("price"))
        if price["recurring"] is None:
            raise parameter_invalid(
                item.name("price"),
                "The price specified is set to `type=one_time` but this field only accepts "
                "prices with `type=recurring`.",
            )
        quantity = item.integer("quantity", minimum=1, maximum=999_999) or 1
        lines.append(LineRequest(price, quantity, new_metadata(item.metadata())))
    if not lines:
        raise parameter_missing("items")
    return lines


def trial_end(p: Params, now: int) -> int | None:
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
    end = p.timestamp("trial_end")
    if end is not None and end <= now:
        raise parameter_invalid("trial_end", "Invalid timestamp: must be in the future.")
    return end


def missing_payment_method(p: Params) -> str:
    """``trial_settings[end_behavior][missing_payment_method]`` (Stripe's default)."""
    settings = p.nested("trial_settings")
    end_behavior = settings.nested("end_behavior") if settings is not None else None
    if settings is not None:
        settings.check_known(("end_behavior",))
    if end_behavior is None:
        return "create_invoice"
    end_behavior.check_known(("missing_payment_method",))
    choices = ("cancel", "create_invoice", "pause")
    return end_behavior.string("missing_payment_method", choices=choices) or "create_invoice"


def payment_settings(p: Params) -> Json | None:
    """The subscription's ``payment_settings`` the request sets (card payments only)."""
    settings = p.nested("payment_settings")
    if settings is None:
        return None
    settings.check_known(
        ("payment_method_options", "payment_method_types", "save_default_payment_method")
    )
    settings.refuse("payment_method_options", "payment method options")
    result: Json = {}
    if settings.has("payment_method_types"):
        types = settings.strings("payment_method_types")
        if types and types != ["card"]:
            raise not_emulated(
                settings.name("payment_method_types"), "payment methods other than card"
            )
        result["payment_method_types"] = types or None
    if settings.has("save_default_payment_method"):
        result["save_default_payment_method"] = settings.string(
            "save_default_payment_method", choices=("off", "on_subscription")
        )
    return result


def collection_method(p: Params) -> None:
    p.only("collection_method", "charge_automatically", "invoices sent for manual payment")


def proration(p: Params) -> Proration:
    """How a price change is billed: ``proration_behavior`` (Stripe's default
    ``create_prorations``), ``proration_date``, ``billing_cycle_anchor``,
    ``payment_behavior`` (of an update or of ``subscription_details``)."""
    payment = p.string("payment_behavior", choices=PAYMENT_BEHAVIORS)
    if payment == "pending_if_incomplete":
        raise not_emulated(p.name("payment_behavior"), "pending updates (pending_if_incomplete)")
    return Proration(
        behavior=p.string("proration_behavior", choices=PRORATION_BEHAVIORS) or "create_prorations",
        date=p.timestamp("proration_date"),
        billing_cycle_anchor=p.string("billing_cycle_anchor", choices=("now", "unchanged")),
        payment_behavior=payment,
    )


def cancel_at(p: Params, subscription: Json) -> int:
    raw = p.raw().get("cancel_at")
    if raw in ("min_period_end", "max_period_end"):
        return current_period_end(subscription)
    return p.required_timestamp("cancel_at")


def pause_collection(p: Params) -> Json:
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


def item_changes(store: Store, p: Params, subscription: Json) -> list[ItemChange]:
    changes = []
    items = {item["id"]: item for item in subscription["items"]["data"]}
    for entry in p.hashes("items"):
        entry.check_known(("id", "price", "quantity", "metadata", "tax_rates", "discounts"))
        entry.refuse("tax_rates", "tax rates")
        entry.refuse("discounts", "discounts and coupons")
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
        changes.append(ItemChange(items[item_id], price, quantity, entry.metadata()))
    return changes


def cancellation_details(p: Params) -> tuple[str | None, str | None]:
    """(comment, feedback) of ``cancellation_details``."""
    details = p.nested("cancellation_details")
    if details is None:
        return None, None
    details.check_known(("comment", "feedback"))
    return details.string("comment"), details.string("feedback", choices=FEEDBACK)
