"""What time does to a subscription: renewals, trial ends, payment retries, expiry.

The :mod:`.engine` decides when each of these falls due and calls them in time
order; what requests do to a subscription is in :mod:`.lifecycle`. Callers hold
``store.lock``.
"""

from __future__ import annotations

from . import statuses
from .calendar import current_period_end, current_period_start
from .invoicing import Invoicing
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .outbox import Outbox, changed_attributes, recording_update
from .payment_methods import PaymentMethods
from .store import Store


class Renewals:
    """The billing events a clock reaching a moment causes."""

    def __init__(
        self,
        store: Store,
        cards: PaymentMethods,
        invoicing: Invoicing,
        lifecycle: SubscriptionLifecycle,
    ) -> None:
        self.store = store
        self.cards = cards
        self.invoicing = invoicing
        self.lifecycle = lifecycle

    def renew(self, subscription: Json, now: int, outbox: Outbox) -> None:
        """Start the next period and bill it (or not, while collection is paused)."""
        with recording_update(subscription, outbox):
            ended = self._advance_period(subscription)
            invoice = self.invoicing.create(
                subscription,
                now=now,
                reason="subscription_cycle",
                period=ended,
                free=False,
                outbox=outbox,
                items=self.store.pending_items.pop(subscription["id"], []),
            )
            pause = subscription["pause_collection"]
            if pause:
                behavior = pause.get("behavior")
                if behavior == "keep_as_draft":
                    invoice["auto_advance"] = False
                else:
                    self.invoicing.finalize(invoice, now, outbox)
                    status = "void" if behavior == "void" else "uncollectible"
                    self.invoicing.close(invoice, status, now, outbox)
                return
            self.invoicing.finalize(invoice, now, outbox)
            if subscription["status"] == "unpaid":
                invoice["auto_advance"] = False  # Stripe stops charging unpaid subscriptions
                return
            card = self.cards.card_for(subscription)
            if self.invoicing.attempt(invoice, card, now, outbox, retry=True):
                if not self.invoicing.open_ones(subscription["id"]):
                    subscription["status"] = "active"  # also the end of a trial
            elif subscription["status"] in ("active", "trialing"):
                subscription["status"] = "past_due"

    def _advance_period(self, subscription: Json) -> tuple[int, int]:
        """Move the items to the next period; returns the period that just ended."""
        cycle = self.store.cycles[subscription["id"]]
        ended = (current_period_start(subscription), current_period_end(subscription))
        cycle.periods += 1
        new_end = cycle.end_of(cycle.periods)
        for item in subscription["items"]["data"]:
            item["current_period_start"] = ended[1]
            item["current_period_end"] = new_end
        return ended

    def end_trial(self, subscription: Json, now: int, outbox: Outbox) -> None:
        """Bill the first paid period, or pause or cancel a trial without a card."""
        if self.cards.card_for(subscription) is None:
            behaviour = subscription["trial_settings"]["end_behavior"]["missing_payment_method"]
            if behaviour == "pause":
                with recording_update(subscription, outbox):
                    subscription["status"] = "paused"
                outbox.add("customer.subscription.paused", subscription)
                return
            if behaviour == "cancel":
                self.lifecycle.cancel(
                    subscription, now=now, reason="cancellation_requested", outbox=outbox
                )
                return
        self.renew(subscription, now, outbox)

    def announce_trial_end(self, subscription: Json, outbox: Outbox) -> None:
        """``customer.subscription.trial_will_end``, once per trial end."""
        self.store.trial_notices[subscription["id"]] = subscription["trial_end"]
        outbox.add("customer.subscription.trial_will_end", subscription)

    def retry(self, invoice: Json, now: int, outbox: Outbox) -> None:
        """Charge a failed invoice again; after the last retry, cancel or leave ``unpaid``."""
        subscription_id = invoice["parent"]["subscription_details"]["subscription"]
        subscription = self.store.subscriptions[subscription_id]
        with recording_update(subscription, outbox):
            card = self.cards.card_for(subscription)
            if self.invoicing.attempt(invoice, card, now, outbox, retry=True):
                self.lifecycle.reactivate_if_settled(subscription)
                return
            if invoice["next_payment_attempt"] is not None:
                return
            # The last retry failed.
            if self.store.settings.after_retries == "past_due":
                return  # left past due, the invoice open: the next renewal bills all the same
            if self.store.settings.after_retries == "unpaid":
                subscription["status"] = "unpaid"
                return
            self.invoicing.close(invoice, "uncollectible", now, outbox)
            self.lifecycle.cancel(subscription, now=now, reason="payment_failed", outbox=outbox)

    def expire_incomplete(self, subscription: Json, now: int, outbox: Outbox) -> None:
        """An ``incomplete`` subscription whose first payment never came: void and expire."""
        for invoice in self.invoicing.open_ones(subscription["id"]):
            self.invoicing.close(invoice, "void", now, outbox)
        before = {"status": subscription["status"], "ended_at": subscription["ended_at"]}
        subscription["status"] = "incomplete_expired"
        subscription["ended_at"] = now
        outbox.add(
            "customer.subscription.updated", subscription, changed_attributes(before, subscription)
        )

    def unpause_collection(self, subscription: Json, outbox: Outbox) -> None:
        """``pause_collection.resumes_at`` reached: collect payments again."""
        with recording_update(subscription, outbox):
            subscription["pause_collection"] = None

    @staticmethod
    def is_billed_by_time(subscription: Json) -> bool:
        """Live and not paused: renewals, trial ends and retries fall due on its clock."""
        return subscription["status"] in statuses.LIVE and subscription["status"] != "paused"
