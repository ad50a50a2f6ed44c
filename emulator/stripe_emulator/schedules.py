"""Subscription schedules, as far as a change at the end of the period needs.

A schedule is made ``from_subscription`` (one phase: the current prices until the
period ends); its phases can then be replaced, the first one keeping the current
prices. When a phase ends (:mod:`.engine`), the next phase's prices replace the
subscription's (billed as a price change with the phase's ``proration_behavior``,
nothing to prorate on a period boundary) before the renewal bills them; after the
last phase, ``end_behavior`` releases the subscription or cancels it. Callers hold
``store.lock``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import objects, statuses
from .calendar import current_period_end, current_period_start, shift
from .errors import StripeError, not_emulated, parameter_invalid, parameter_missing
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox, recording_update
from .prorations import ItemChange, Proration
from .store import Store


@dataclass(frozen=True)
class PhaseRequest:
    """One phase of an update: its items as ``{"price": Json, "quantity": int}``."""

    items: list[Json]
    start_date: int | None
    end_date: int | None
    duration: tuple[str, int] | None
    proration_behavior: str


class Schedules:
    """Subscription schedules: made from a subscription, phased, released, cancelled."""

    def __init__(self, store: Store, lifecycle: SubscriptionLifecycle) -> None:
        self.store = store
        self.lifecycle = lifecycle

    def from_subscription(self, subscription: Json, metadata: dict[str, str], now: int) -> Json:
        """A schedule whose one phase is the subscription's current prices and period."""
        if subscription["schedule"] is not None:
            raise StripeError(
                f"The subscription {subscription['id']} is already attached to a schedule.",
                param="from_subscription",
            )
        if subscription["status"] in statuses.ENDED:
            raise StripeError("A subscription that has ended cannot be scheduled.")
        phase = objects.schedule_phase(
            start=current_period_start(subscription),
            end=current_period_end(subscription),
            currency=subscription["currency"],
            items=subscription["items"]["data"],
            proration_behavior="create_prorations",
        )
        schedule = objects.subscription_schedule(
            created=now, subscription=subscription, phases=[phase], metadata=metadata
        )
        self.store.subscription_schedules[schedule["id"]] = schedule
        outbox = Outbox()
        outbox.add("subscription_schedule.created", schedule)
        with recording_update(subscription, outbox):
            subscription["schedule"] = schedule["id"]
        outbox.send(self.store, now)
        return schedule

    def set_phases(
        self, schedule: Json, requests: list[PhaseRequest], end_behavior: str | None, now: int
    ) -> None:
        """Replace the phases (the first keeps the current prices and start)."""
        subscription = self.store.subscriptions[schedule["subscription"]]
        phases: list[Json] = []
        start = requests[0].start_date if requests else None
        start = schedule["current_phase"]["start_date"] if start is None else start
        for index, request in enumerate(requests):
            name = f"phases[{index}]"
            if request.start_date is not None and request.start_date != start:
                raise parameter_invalid(
                    f"{name}[start_date]", "Each phase must start when the previous one ends."
                )
            end = request.end_date
            if end is None and request.duration is not None:
                end = shift(start, request.duration[0], request.duration[1])
            if end is None:
                if index < len(requests) - 1:
                    raise parameter_missing(f"{name}[end_date]")
                recurring = request.items[0]["price"]["recurring"]
                end = shift(start, recurring["interval"], recurring["interval_count"])
            if end <= start:
                raise parameter_invalid(f"{name}[end_date]", "end_date must be after start_date.")
            phases.append(
                objects.schedule_phase(
                    start=start,
                    end=end,
                    currency=subscription["currency"],
                    items=request.items,
                    proration_behavior=request.proration_behavior,
                )
            )
            start = end
        if phases:
            current = [(i["price"]["id"], i["quantity"]) for i in subscription["items"]["data"]]
            if [(i["price"], i["quantity"]) for i in phases[0]["items"]] != current:
                raise not_emulated("phases[0][items]", "changing the current phase's prices")
            if phases[0]["start_date"] != schedule["current_phase"]["start_date"]:
                raise parameter_invalid(
                    "phases[0][start_date]", "The current phase's start_date cannot change."
                )
            if phases[0]["end_date"] <= now:
                raise parameter_invalid("phases[0][end_date]", "The current phase must not end.")
            schedule["phases"] = phases
            schedule["current_phase"] = {
                "end_date": phases[0]["end_date"],
                "start_date": phases[0]["start_date"],
            }
        if end_behavior is not None:
            schedule["end_behavior"] = end_behavior

    def advance(self, schedule: Json, now: int, outbox: Outbox) -> None:
        """The current phase ended: start the next one, or end the schedule."""
        subscription = self.store.subscriptions[schedule["subscription"]]
        starts = [phase["start_date"] for phase in schedule["phases"]]
        index = starts.index(schedule["current_phase"]["start_date"])
        if index + 1 >= len(schedule["phases"]):
            if schedule["end_behavior"] == "cancel":
                schedule["status"], schedule["completed_at"] = "completed", now
                outbox.add("subscription_schedule.completed", schedule)
                self.lifecycle.cancel(
                    subscription, now=now, reason="cancellation_requested", outbox=outbox
                )
            else:
                self.release(schedule, now, outbox)
            return
        phase = schedule["phases"][index + 1]
        items = subscription["items"]["data"]
        changes = [
            ItemChange(items[position], self.store.prices[entry["price"]], entry["quantity"])
            for position, entry in enumerate(phase["items"][: len(items)])
        ]
        schedule["current_phase"] = {
            "end_date": phase["end_date"],
            "start_date": phase["start_date"],
        }
        with recording_update(subscription, outbox):
            proration = Proration(behavior=phase["proration_behavior"], date=now)
            self.lifecycle.plans.apply(subscription, changes, proration, now, outbox)
        outbox.add("subscription_schedule.updated", schedule)

    def release(self, schedule: Json, now: int, outbox: Outbox) -> None:
        """The subscription goes on by itself (``subscription_schedule.released``)."""
        subscription = self.store.subscriptions[schedule["subscription"]]
        schedule.update(
            status="released",
            released_at=now,
            released_subscription=subscription["id"],
            subscription=None,
        )
        outbox.add("subscription_schedule.released", schedule)
        with recording_update(subscription, outbox):
            subscription["schedule"] = None

    def cancel(self, schedule: Json, now: int, outbox: Outbox) -> None:
        """Cancel the schedule and its subscription (``subscription_schedule.canceled``)."""
        subscription = self.store.subscriptions[schedule["subscription"]]
        schedule.update(status="canceled", canceled_at=now)
        outbox.add("subscription_schedule.canceled", schedule)
        if subscription["status"] not in statuses.ENDED:
            self.lifecycle.cancel(
                subscription, now=now, reason="cancellation_requested", outbox=outbox
            )
