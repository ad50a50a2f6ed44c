"""The clock-driven billing engine: what falls due on a clock, processed in time order.

Each subscription and open checkout session says what falls due for it and when
(:meth:`Engine.due`); the engine takes the earliest, runs the handler its
:class:`Action` names in a dispatch table, records the events at that moment,
and looks again. Callers hold ``store.lock``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from .calendar import DAY, current_period_end
from .checkout import Checkout
from .errors import StripeError
from .invoicing import Invoicing
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox
from .renewals import Renewals
from .schedules import Schedules
from .store import Store

log = logging.getLogger(__name__)

MAX_ADVANCE = 100 * 366 * DAY
TRIAL_NOTICE_DAYS = 3
"""``customer.subscription.trial_will_end`` comes this many days before a trial ends
(at once for a shorter trial)."""
_MAX_STEPS = 100_000


class Action(enum.Enum):
    """What falls due; at the same moment, a lower ``priority`` goes first."""

    EXPIRE_SESSION = ("expire_session", 0)
    EXPIRE_INCOMPLETE = ("expire_incomplete", 0)
    CANCEL = ("cancel", 0)
    SCHEDULE_PHASE = ("schedule_phase", 0)
    TRIAL_WILL_END = ("trial_will_end", 0)
    END_TRIAL = ("end_trial", 1)
    RENEW = ("renew", 1)
    UNPAUSE = ("unpause", 2)
    RETRY = ("retry", 3)

    @property
    def priority(self) -> int:
        return self.value[1]


@dataclass(frozen=True)
class Due:
    when: int
    action: Action
    object_id: str


class Engine:
    """Runs what falls due on the default clock or on a test clock."""

    def __init__(
        self,
        store: Store,
        invoicing: Invoicing,
        lifecycle: SubscriptionLifecycle,
        renewals: Renewals,
        checkout: Checkout,
        schedules: Schedules,
    ) -> None:
        self.store = store
        self.invoicing = invoicing
        self._handlers: dict[Action, Callable[[str, int, Outbox], None]] = {
            Action.EXPIRE_SESSION: lambda i, now, out: checkout.expire(
                store.checkout_sessions[i], out
            ),
            Action.EXPIRE_INCOMPLETE: lambda i, now, out: renewals.expire_incomplete(
                store.subscriptions[i], now, out
            ),
            Action.CANCEL: lambda i, now, out: lifecycle.cancel(
                store.subscriptions[i],
                now=now,
                reason="cancellation_requested",
                outbox=out,
                keep_canceled_at=True,
            ),
            Action.SCHEDULE_PHASE: lambda i, now, out: schedules.advance(
                store.subscription_schedules[i], now, out
            ),
            Action.TRIAL_WILL_END: lambda i, now, out: renewals.announce_trial_end(
                store.subscriptions[i], out
            ),
            Action.END_TRIAL: lambda i, now, out: renewals.end_trial(
                store.subscriptions[i], now, out
            ),
            Action.RENEW: lambda i, now, out: renewals.renew(store.subscriptions[i], now, out),
            Action.UNPAUSE: lambda i, now, out: renewals.unpause_collection(
                store.subscriptions[i], out
            ),
            Action.RETRY: lambda i, now, out: renewals.retry(store.invoices[i], now, out),
        }
        assert set(self._handlers) == set(Action), "every action needs a handler"

    # -- clocks ---------------------------------------------------------------

    def advance_default_clock(self, seconds: float) -> int:
        """Move the default clock forward and run everything that fell due; returns its time."""
        if not 0 <= seconds <= MAX_ADVANCE:
            raise StripeError(
                f"seconds must be between 0 and {MAX_ADVANCE} (100 years).", param="seconds"
            )
        self.store.clock_offset += seconds
        now = self.store.now()
        self.run_due(None, now)
        return now

    def advance_test_clock(self, clock: Json, frozen_time: int) -> None:
        """Move a test clock to ``frozen_time``, running the engine for its customers.

        The clock is ``advancing`` while the engine runs and ``ready`` after; the
        events ``test_helpers.test_clock.advancing`` and ``.ready`` frame the run.
        The clock's time follows each due moment, so that what the engine creates
        (invoices) carries the moment it was created at.
        """
        if frozen_time <= clock["frozen_time"]:
            raise StripeError(
                "The frozen time must be after the test clock's current frozen time.",
                param="frozen_time",
            )
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": frozen_time}}
        self.store.record_event(
            "test_helpers.test_clock.advancing", clock, created=clock["frozen_time"]
        )
        try:
            self.run_due(
                clock["id"], frozen_time, on_step=lambda due: clock.update(frozen_time=due)
            )
        finally:
            clock["frozen_time"] = frozen_time
            clock["status"] = "ready"
            clock["status_details"] = {}
        self.store.record_event("test_helpers.test_clock.ready", clock, created=frozen_time)

    # -- the engine -----------------------------------------------------------

    def run_due(
        self, test_clock: str | None, now: int, on_step: Callable[[int], object] | None = None
    ) -> int:
        """Process everything due on a clock up to ``now``, earliest first.

        ``test_clock`` None means the default clock; ``on_step`` is told each due
        moment before it is processed. Returns the number of steps.
        """
        for steps in range(_MAX_STEPS):
            due = self.next_due(test_clock, now)
            if due is None:
                return steps
            if on_step is not None:
                on_step(due.when)
            outbox = Outbox()
            self._handlers[due.action](due.object_id, due.when, outbox)
            outbox.send(self.store, due.when)
        log.warning("billing engine stopped after %d steps on clock %s", _MAX_STEPS, test_clock)
        return _MAX_STEPS

    def next_due(self, test_clock: str | None, now: int) -> Due | None:
        """The earliest thing due on ``test_clock`` at or before ``now``."""
        candidates: list[Due] = []
        for subscription in self.store.subscriptions.values():
            if self._on_clock(subscription["customer"], test_clock):
                candidates.extend(self.due(subscription))
        for session in self.store.checkout_sessions.values():
            if session["status"] == "open" and self._on_clock(session["customer"], test_clock):
                candidates.append(Due(session["expires_at"], Action.EXPIRE_SESSION, session["id"]))
        due = [candidate for candidate in candidates if candidate.when <= now]
        return min(due, key=lambda d: (d.when, d.action.priority)) if due else None

    def due(self, subscription: Json) -> list[Due]:
        """Everything that will fall due for ``subscription``, whenever it is."""
        subscription_id = subscription["id"]
        if subscription["status"] == "incomplete":
            expiry = subscription["created"] + self.store.settings.incomplete_expiry_seconds
            return [Due(expiry, Action.EXPIRE_INCOMPLETE, subscription_id)]
        if not Renewals.is_billed_by_time(subscription):
            return []
        result = []
        if subscription["cancel_at"] is not None:
            result.append(Due(subscription["cancel_at"], Action.CANCEL, subscription_id))
        period_end = current_period_end(subscription)
        schedule = self.store.subscription_schedules.get(subscription["schedule"] or "")
        if schedule is not None and schedule["status"] == "active":
            end = schedule["current_phase"]["end_date"]
            result.append(Due(end, Action.SCHEDULE_PHASE, schedule["id"]))
        if subscription["status"] == "trialing":
            result.append(Due(period_end, Action.END_TRIAL, subscription_id))
            trial_end = subscription["trial_end"]
            if trial_end is not None and self.store.trial_notices.get(subscription_id) != trial_end:
                notice = trial_end - TRIAL_NOTICE_DAYS * DAY
                result.append(Due(notice, Action.TRIAL_WILL_END, subscription_id))
        else:
            result.append(Due(period_end, Action.RENEW, subscription_id))
        pause = subscription["pause_collection"]
        if pause and pause.get("resumes_at"):
            result.append(Due(pause["resumes_at"], Action.UNPAUSE, subscription_id))
        for invoice in self.invoicing.open_ones(subscription_id):
            if invoice["next_payment_attempt"] is not None:
                result.append(Due(invoice["next_payment_attempt"], Action.RETRY, invoice["id"]))
        return result

    def _on_clock(self, customer_id: str | None, test_clock: str | None) -> bool:
        customer = self.store.customers.get(customer_id) if customer_id else None
        return (customer["test_clock"] if customer else None) == test_clock
