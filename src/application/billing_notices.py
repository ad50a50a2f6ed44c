"""The emails a billing event sends: which events make one, to whom, and under which
cause key, so that each is sent once however often its event comes."""

import logging
from dataclasses import dataclass
from datetime import datetime

from application.mail import Mailer
from application.ports import UnitOfWork
from application.subscription_sync import Outcome
from domain.access import AccessPolicy
from domain.provider_events import BillingEvent, BillingEventKind
from domain.subscription import Subscription, SubscriptionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    key: str  # the cause: one email per key, ever
    template: str
    context: dict[str, object]


@dataclass(frozen=True)
class BillingNotices:
    """Billing notices, written to the outbox in the transaction that applies their event.

    Rules (only for a subscription to one of our prices, of a user we have: an account
    deleted gets nothing; each goes to the address the account has when its event is
    applied):
    - receipt (`invoice.paid` with something paid): the amount in the invoice's
      currency, the plan, the period it pays for, and the provider's page for the
      invoice. Once per invoice. An invoice that charged nothing (a trial's first one,
      one paid by the account's credit, a 100% discount) sends none: nothing was paid;
    - payment failed (`invoice.payment_failed`, the subscription owing): what was not
      paid, until when access lasts (the past-due grace; none left: access has
      stopped), and a link that opens the billing portal after log-in. Once per
      invoice: the provider's retries of it fail again without a new email;
    - trial ending (`customer.subscription.trial_will_end`, still trialing): when, and
      what happens then (charged, or ended for want of a card). Once per trial end;
    - canceled (a subscription event that sets an end to a live subscription): when
      access ends. Once per end date (resuming and canceling again for the same date
      sends nothing more);
    - ended (`customer.subscription.deleted`, canceled): access has ended, and how to
      come back. Once per subscription.
    A duplicate or replayed event is rolled back before it writes anything, and a second
    event of the same cause finds its key taken: nothing is sent twice. A notice that
    cannot be composed (whatever its renderer raises) is logged and left out: the
    billing change it tells of is applied and committed all the same.
    """

    mailer: Mailer
    policy: AccessPolicy

    def queue(
        self, uow: UnitOfWork, event: BillingEvent, outcome: Outcome, now: datetime
    ) -> Notice | None:
        user, subscription = outcome.user, outcome.after
        if user is None or subscription is None or not self.policy.sells(subscription):
            return None
        notice = self._notice(event, outcome, subscription, now)
        if notice is None:
            return None
        try:
            message = self.mailer.compose(notice.template, user.email, notice.context)
        except Exception as error:  # an email is never worth rolling back a payment for
            # The error's type only: its text may quote the notice's values.
            log.error(
                "billing notice %s of event %s left out: it could not be composed (%s)",
                notice.key,
                event.id,
                type(error).__name__,
            )
            return None
        self.mailer.queue(uow, notice.key, message, now, owner=user.id)
        return notice

    def _notice(
        self, event: BillingEvent, outcome: Outcome, subscription: Subscription, now: datetime
    ) -> Notice | None:
        kind = event.kind
        if kind is BillingEventKind.INVOICE_PAID:
            return self._receipt(event, subscription)
        if kind is BillingEventKind.PAYMENT_FAILED and subscription.owes:
            return self._payment_failed(event, subscription, now)
        if kind is BillingEventKind.TRIAL_WILL_END:
            return self._trial_ending(subscription)
        if kind is BillingEventKind.SUBSCRIPTION_ENDED:
            if subscription.status is SubscriptionStatus.CANCELED:
                return self._ended(subscription, event.occurred_at)
            return None
        if kind is BillingEventKind.SUBSCRIPTION_CHANGED and outcome.applied:
            before = outcome.before.ends_at if outcome.before else None
            ends_at = subscription.ends_at
            if subscription.is_live and ends_at is not None and ends_at != before:
                return self._canceled(subscription, ends_at)
        return None

    def _receipt(self, event: BillingEvent, subscription: Subscription) -> Notice | None:
        # Nothing paid, nothing to acknowledge: a trial starting is invoiced for 0, and
        # a receipt for 0.00 would read as a charge. An amount or currency the provider
        # did not state plainly sends none either, rather than a wrong one.
        if not event.amount_paid or not event.currency:
            return None
        return Notice(
            f"receipt:{event.invoice_id or event.id}",
            "receipt",
            {
                "plan_name": self._plan_name(subscription),
                "amount": event.amount_paid,
                "currency": event.currency,
                "period_start": event.period_start,
                "period_end": event.period_end,
                "invoice_number": event.invoice_number,
                "invoice_url": event.invoice_url,
                "paid_at": event.occurred_at,
                "link": self.mailer.links.account(),
            },
        )

    def _payment_failed(
        self, event: BillingEvent, subscription: Subscription, now: datetime
    ) -> Notice:
        grace_ends = None
        if subscription.status is SubscriptionStatus.PAST_DUE:
            ends = subscription.grace_ends(self.policy.past_due_grace)
            grace_ends = ends if now < ends else None
        amount = event.amount_due if event.amount_due and event.currency else None
        return Notice(
            f"payment-failed:{event.invoice_id or event.id}",
            "payment_failed",
            {
                "plan_name": self._plan_name(subscription),
                "amount": amount,
                "currency": event.currency or "",
                "grace_ends": grace_ends,
                "link": self.mailer.links.fix_payment(),
            },
        )

    def _trial_ending(self, subscription: Subscription) -> Notice | None:
        trial_ends = subscription.current_period_end
        plan = self.policy.plan_of(subscription)
        if subscription.status is not SubscriptionStatus.TRIALING or not trial_ends or not plan:
            return None
        sold = self.policy.catalog.price_by_id(subscription.price_id or "")
        price = sold[1] if sold and self.policy.catalog.from_provider else None
        return Notice(
            f"trial-ending:{subscription.id}:{int(trial_ends.timestamp())}",
            "trial_ending",
            {
                "plan_name": plan.name,
                "trial_ends": trial_ends,
                "needs_card": plan.trial_without_card,
                # Canceled during the trial (or set to end by then): nothing is charged.
                "ends_with_trial": subscription.ends_at is not None
                and subscription.ends_at <= trial_ends,
                "price": price,
                "link": self.mailer.links.account(),
            },
        )

    def _canceled(self, subscription: Subscription, ends_at: datetime) -> Notice:
        return Notice(
            f"subscription-canceled:{subscription.id}:{int(ends_at.timestamp())}",
            "subscription_canceled",
            {
                "plan_name": self._plan_name(subscription),
                "access_until": ends_at,
                "link": self.mailer.links.account(),
            },
        )

    def _ended(self, subscription: Subscription, occurred_at: datetime) -> Notice:
        return Notice(
            f"subscription-ended:{subscription.id}",
            "subscription_ended",
            {
                "plan_name": self._plan_name(subscription),
                "ended_at": subscription.ended_at or occurred_at,
                "link": self.mailer.links.pricing(),
            },
        )

    def _plan_name(self, subscription: Subscription) -> str:
        plan = self.policy.plan_of(subscription)
        return plan.name if plan else "Premium"
