"""Subscription schedules: ``/v1/subscription_schedules`` (made from a subscription)."""

from __future__ import annotations

from flask import Response

from ..errors import StripeError, not_emulated, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from ..objects import Json
from ..outbox import Outbox
from ..schedules import PhaseRequest
from ..store import Store
from .common import LIST_PARAMS, list_response, params, respond, route, services

_PHASE_NOT_EMULATED = {
    "add_invoice_items": "one-off invoice items",
    "application_fee_percent": "Connect",
    "automatic_tax": "automatic tax",
    "billing_cycle_anchor": "billing cycle anchors in phases",
    "billing_thresholds": "billing thresholds",
    "collection_method": "invoices sent for manual payment",
    "default_payment_method": "a phase's own payment method",
    "default_tax_rates": "tax rates",
    "description": "a phase's description",
    "discounts": "discounts in phases",
    "invoice_settings": "a phase's invoice settings",
    "on_behalf_of": "Connect",
    "transfer_data": "Connect",
    "trial": "trials in phases",
    "trial_end": "trials in phases",
}
_ITEM_KEYS = ("price", "quantity", "metadata", "plan", "price_data", "tax_rates", "discounts")


def _schedule(store: Store, schedule_id: str) -> Json:
    return store.get(store.subscription_schedules, schedule_id, "subscription_schedule")


def _phase_items(store: Store, phase: Params, currency: str) -> list[Json]:
    items = []
    for entry in phase.hashes("items"):
        entry.check_known(_ITEM_KEYS)
        for key in ("price_data", "tax_rates", "discounts"):
            entry.refuse(key, "price_data, tax rates and discounts in phases")
        price_id = entry.string("price") or entry.string("plan")
        if price_id is None:
            raise parameter_missing(entry.name("price"))
        price = store.get_param(store.prices, price_id, "price", entry.name("price"))
        if price["recurring"] is None or price["currency"] != currency:
            raise parameter_invalid(
                entry.name("price"), "Prices must be recurring and in the subscription's currency."
            )
        quantity = entry.integer("quantity", minimum=1, maximum=999_999) or 1
        items.append(
            {"price": price, "quantity": quantity, "metadata": new_metadata(entry.metadata())}
        )
    if not items:
        raise parameter_missing(phase.name("items"))
    return items


def _phases(store: Store, p: Params, currency: str, default_proration: str) -> list[PhaseRequest]:
    requests = []
    for phase in p.hashes("phases"):
        phase.check_known(
            (
                "items",
                "start_date",
                "end_date",
                "duration",
                "proration_behavior",
                "metadata",
                "currency",
                *_PHASE_NOT_EMULATED,
            )
        )
        for key, what in _PHASE_NOT_EMULATED.items():
            phase.refuse(key, what)
        phase.metadata()  # accepted; phases' metadata is not shown
        given = phase.string("currency")
        if given is not None and given.lower() != currency:
            raise parameter_invalid(
                phase.name("currency"), "A phase bills in the subscription's currency."
            )
        duration = None
        nested = phase.nested("duration")
        if nested is not None:
            nested.check_known(("interval", "interval_count"))
            interval = nested.required_string("interval", choices=("day", "week", "month", "year"))
            duration = (interval, nested.integer("interval_count", minimum=1) or 1)
        requests.append(
            PhaseRequest(
                items=_phase_items(store, phase, currency),
                start_date=_moment(phase, "start_date"),
                end_date=_moment(phase, "end_date"),
                duration=duration,
                proration_behavior=phase.string(
                    "proration_behavior", choices=("always_invoice", "create_prorations", "none")
                )
                or default_proration,
            )
        )
    return requests


def _moment(p: Params, key: str) -> int | None:
    if p.raw().get(key) == "now":
        raise not_emulated(p.name(key), "phases starting or ending now")
    return p.timestamp(key)


@route("/subscription_schedules", ["POST"])
def create_schedule() -> Response:
    p = params()
    p.check_known(
        (
            "from_subscription",
            "customer",
            "customer_account",
            "phases",
            "start_date",
            "end_behavior",
            "metadata",
            "default_settings",
            "billing_mode",
        )
    )
    for key in ("customer", "customer_account", "phases", "start_date", "end_behavior"):
        if p.has(key):
            raise not_emulated(key, "schedules not made from_subscription (then update them)")
    p.refuse("default_settings", "a schedule's default settings")
    p.refuse("billing_mode", "flexible billing mode")
    s = services()
    store = s.store
    subscription_id = p.required_string("from_subscription")
    subscription = store.get_param(
        store.subscriptions, subscription_id, "subscription", "from_subscription"
    )
    now = store.now_for_customer(subscription["customer"])
    schedule = s.schedules.from_subscription(subscription, new_metadata(p.metadata()), now)
    return respond(schedule)


@route("/subscription_schedules/<schedule_id>", ["GET"])
def retrieve_schedule(schedule_id: str) -> Response:
    params().check_known(())
    return respond(_schedule(services().store, schedule_id))


@route("/subscription_schedules/<schedule_id>", ["POST"])
def update_schedule(schedule_id: str) -> Response:
    p = params()
    p.check_known(
        (
            "phases",
            "end_behavior",
            "metadata",
            "proration_behavior",
            "default_settings",
            "pause_schedules",
        )
    )
    p.refuse("default_settings", "a schedule's default settings")
    p.refuse("pause_schedules", "paused schedules")
    s = services()
    store = s.store
    schedule = _schedule(store, schedule_id)
    if schedule["status"] not in ("active", "not_started"):
        raise StripeError(
            f"You cannot update a subscription schedule that is {schedule['status']}."
        )
    subscription = store.subscriptions[schedule["subscription"]]
    # The change at a phase's start is billed by that phase's proration_behavior; the
    # request's own (for a change to the current phase) has nothing to prorate here.
    default = p.string(
        "proration_behavior", choices=("always_invoice", "create_prorations", "none")
    )
    requests = _phases(store, p, subscription["currency"], default or "create_prorations")
    end_behavior = p.string("end_behavior", choices=("cancel", "none", "release", "renew"))
    if end_behavior in ("none", "renew"):
        raise not_emulated("end_behavior", "end_behavior none or renew (release or cancel)")
    now = store.now_for_customer(subscription["customer"])
    s.schedules.set_phases(schedule, requests, end_behavior, now)
    apply_metadata(schedule["metadata"], p.metadata())
    store.record_event("subscription_schedule.updated", schedule, created=now)
    return respond(schedule)


def _end(schedule_id: str, action: str) -> Response:
    p = params()
    p.check_known(("preserve_cancel_date", "invoice_now", "prorate"))
    if p.boolean("invoice_now"):
        raise not_emulated("invoice_now", "a final invoice at cancellation")
    if p.boolean("prorate"):
        raise not_emulated("prorate", "prorations at cancellation")
    p.boolean("preserve_cancel_date")  # the emulator's schedules never set a cancel date
    s = services()
    schedule = _schedule(s.store, schedule_id)
    if schedule["status"] not in ("active", "not_started"):
        raise StripeError(
            f"You cannot {action} a subscription schedule that is {schedule['status']}."
        )
    subscription = s.store.subscriptions[schedule["subscription"]]
    now = s.store.now_for_customer(subscription["customer"])
    outbox = Outbox()
    if action == "release":
        s.schedules.release(schedule, now, outbox)
    else:
        s.schedules.cancel(schedule, now, outbox)
    outbox.send(s.store, now)
    return respond(schedule)


@route("/subscription_schedules/<schedule_id>/release", ["POST"])
def release_schedule(schedule_id: str) -> Response:
    return _end(schedule_id, "release")


@route("/subscription_schedules/<schedule_id>/cancel", ["POST"])
def cancel_schedule(schedule_id: str) -> Response:
    return _end(schedule_id, "cancel")


@route("/subscription_schedules", ["GET"])
def list_schedules() -> Response:
    p = params()
    p.check_known(
        (*LIST_PARAMS, "customer", "scheduled", "canceled_at", "completed_at", "released_at")
    )
    customer, scheduled = p.string("customer"), p.boolean("scheduled")
    for key in ("canceled_at", "completed_at", "released_at"):
        p.refuse(key, "filters on a schedule's end dates")
    return list_response(
        services().store.subscription_schedules.values(),
        "/v1/subscription_schedules",
        lambda x: (
            (customer is None or x["customer"] == customer)
            and (scheduled is None or (x["status"] == "not_started") == scheduled)
        ),
    )
