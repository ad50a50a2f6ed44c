"""Subscriptions: ``/v1/subscriptions``."""

from __future__ import annotations

from flask import Response

from .. import statuses
from ..calendar import DAY, current_period_end
from ..cards import DEFAULT_CARD
from ..errors import (
    StripeError,
    card_declined,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from ..forms import Params, new_metadata
from ..lifecycle import ItemChange, LineRequest, StartRequest, SubscriptionChange
from ..objects import Json
from ..outbox import Outbox
from ..store import Store
from .common import (
    LIST_PARAMS,
    list_response,
    params,
    respond,
    route,
    search_response,
    services,
)


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
    card = s.cards.from_param(pm_id, customer["id"], "default_payment_method") if pm_id else None
    if card is None and trial_end is None:
        card = s.cards.customer_default(customer) or s.cards.add_card(customer["id"], DEFAULT_CARD)
    if behaviour == "error_if_incomplete" and card is not None and card.would_decline_now():
        raise card_declined()
    request = StartRequest(
        customer=customer,
        lines=lines,
        metadata=new_metadata(p.metadata()),
        description=p.string("description"),
        card=card,
        trial_end=trial_end,
        missing_payment_method=missing,
        attempt_payment=behaviour != "default_incomplete",
    )
    outbox = Outbox()
    subscription = s.lifecycle.start(request, now=now, outbox=outbox)
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


@route("/subscriptions/search", ["GET"])
def search_subscriptions() -> Response:
    return search_response(
        services().store.subscriptions.values(),
        "/v1/subscriptions/search",
        "subscriptions",
        {"created": lambda x: x["created"], "status": lambda x: x["status"]},
    )


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
        change.card = s.cards.from_param(pm_id, subscription["customer"], "default_payment_method")
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
    s.lifecycle.update(subscription, now=now, change=change)
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
    if subscription["status"] in statuses.ENDED:
        # Stripe treats a canceled subscription as deleted here.
        raise resource_missing("subscription", subscription_id)
    comment = feedback = None
    details = p.nested("cancellation_details")
    if details is not None:
        details.check_known(("comment", "feedback"))
        comment, feedback = details.string("comment"), details.string("feedback")
    now = s.store.now_for_customer(subscription["customer"])
    outbox = Outbox()
    s.lifecycle.cancel(
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
    s.lifecycle.resume(subscription, now=now, outbox=outbox)
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
    store = services().store
    if customer is not None:
        store.get_param(store.customers, customer, "customer", "customer")  # as Stripe: 400
    status = p.string("status", choices=(*statuses.ALL, "all", "ended"))

    def status_matches(x: Json) -> bool:
        if status is None:
            return x["status"] not in statuses.ENDED
        if status == "all":
            return True
        if status == "ended":
            return x["status"] in statuses.ENDED
        return bool(x["status"] == status)

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
