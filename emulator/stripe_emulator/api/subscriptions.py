"""Subscriptions: ``/v1/subscriptions`` (parameters are read in :mod:`.subscription_params`)."""

from __future__ import annotations

from flask import Response

from .. import statuses
from ..calendar import current_period_end, current_period_start
from ..cards import DEFAULT_CARD
from ..errors import StripeError, card_declined, not_emulated, parameter_invalid, resource_missing
from ..forms import new_metadata
from ..lifecycle import StartRequest, SubscriptionChange
from ..objects import Json
from ..outbox import Outbox
from . import subscription_params as read
from .common import (
    LIST_PARAMS,
    keyed,
    list_response,
    params,
    range_filter,
    respond,
    route,
    search_response,
    services,
)
from .discounts import discounts_param


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
            "days_until_due",
            "off_session",
            "payment_settings",
            "proration_behavior",
            "discounts",
        )
    )
    read.collection_method(p)
    p.refuse("days_until_due", "invoices sent for manual payment")
    s = services()
    store = s.store
    customer = store.get_param(
        store.customers, p.required_string("customer"), "customer", "customer"
    )
    lines = read.new_items(store, p)
    now = store.now(customer["test_clock"])
    behaviour = p.string("payment_behavior", choices=read.PAYMENT_BEHAVIORS)
    if behaviour == "pending_if_incomplete":
        raise parameter_invalid(
            "payment_behavior",
            "payment_behavior=pending_if_incomplete is only used with updates and cannot be "
            "passed when creating a subscription.",
        )
    p.boolean("off_session")  # no customer authentication is ever needed here
    # Prorations at creation follow only from backdating or an anchor (not accepted).
    p.string("proration_behavior", choices=read.PRORATION_BEHAVIORS)
    trial_end = read.trial_end(p, now)
    missing = read.missing_payment_method(p)
    payment_settings = read.payment_settings(p)
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
        payment_settings=payment_settings,
        discounts=discounts_param(store, p, now),
    )
    outbox = Outbox()
    subscription = s.lifecycle.start(request, now=now, outbox=outbox)
    outbox.send(store, now)
    return respond(subscription)


@route("/subscriptions/search", ["GET"])
def search_subscriptions() -> Response:
    return search_response(
        services().store.subscriptions.values(),
        "/v1/subscriptions/search",
        "subscriptions",
        keyed("created", "status"),
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
            "payment_settings",
            "off_session",
            "proration_date",
            "billing_cycle_anchor",
        )
    )
    s = services()
    store = s.store
    subscription = store.get(store.subscriptions, subscription_id, "subscription")
    now = store.now_for_customer(subscription["customer"])
    p.boolean("off_session")
    change = SubscriptionChange(
        cancel_at_period_end=p.boolean("cancel_at_period_end"), metadata=p.metadata()
    )
    if p.has("cancel_at"):
        if p.is_empty("cancel_at"):
            change.clear_cancel_at = True
        else:
            cancel_at = read.cancel_at(p, subscription)
            if cancel_at <= now:
                raise parameter_invalid("cancel_at", "cancel_at must be in the future.")
            change.cancel_at = cancel_at
        if change.cancel_at_period_end:
            raise StripeError(
                "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
                param="cancel_at",
            )
    if change.touches_cancellation() and subscription["schedule"] is not None:
        # As Stripe: a schedule decides what happens at the phase's end, cancellation too.
        raise StripeError(
            f"The subscription is managed by the subscription schedule "
            f"`{subscription['schedule']}`, and updating any cancelation behavior directly "
            "is not allowed. Please update the schedule instead.",
            param="cancel_at" if p.has("cancel_at") else "cancel_at_period_end",
        )
    if p.has("description"):
        change.description = p.string("description") or ""
    if p.has("pause_collection"):
        change.pause_collection = read.pause_collection(p)
    pm_id = p.string("default_payment_method")
    if pm_id is not None:
        change.card = s.cards.from_param(pm_id, subscription["customer"], "default_payment_method")
    change.items = read.item_changes(store, p, subscription)
    change.proration = read.proration(p)
    change.payment_settings = read.payment_settings(p)
    change.cancellation_comment, change.cancellation_feedback = read.cancellation_details(p)
    s.lifecycle.update(subscription, now=now, change=change)
    return respond(subscription)


@route("/subscriptions/<subscription_id>", ["DELETE"])
def cancel_subscription(subscription_id: str) -> Response:
    p = params()
    p.check_known(("invoice_now", "prorate", "cancellation_details"))
    if p.boolean("invoice_now"):
        raise not_emulated("invoice_now", "a final invoice at cancellation")
    if p.boolean("prorate"):
        raise not_emulated("prorate", "prorations")
    s = services()
    subscription = s.store.get(s.store.subscriptions, subscription_id, "subscription")
    if subscription["status"] in statuses.ENDED:
        # Stripe treats a canceled subscription as deleted here.
        raise resource_missing("subscription", subscription_id)
    comment, feedback = read.cancellation_details(p)
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
    # Resuming starts a new period now: a paused subscription has no unused time to
    # prorate, so proration_behavior and proration_date change nothing.
    p.only("billing_cycle_anchor", "now", "resuming on the old billing cycle (unchanged)")
    p.string("proration_behavior", choices=read.PRORATION_BEHAVIORS)
    p.timestamp("proration_date")
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
    read.collection_method(p)  # every subscription charges automatically
    store = services().store
    if customer is not None:
        store.get_param(store.customers, customer, "customer", "customer")  # as Stripe: 400
    status = p.string("status", choices=(*statuses.ALL, "all", "ended"))
    period_end = range_filter(p, "current_period_end", current_period_end)
    period_start = range_filter(p, "current_period_start", current_period_start)

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
            and period_end(x)
            and period_start(x)
            and (customer is None or x["customer"] == customer)
            and (clock is None or x["test_clock"] == clock)
            and (price is None or any(i["price"]["id"] == price for i in x["items"]["data"]))
        ),
    )
