"""The account page's view model: the use case's decisions in words and dates a person
reads. No provider status string reaches the page."""

from dataclasses import dataclass
from datetime import datetime

from application.use_cases.get_account import AccountView, AfterTrial, DateMeaning
from domain.plan_change import ChangeKind, Discount
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app import formatting
from entrypoints.flask_app.pricing_page import money, price_label, price_name

STATUS_LABEL = {
    SubscriptionStatus.ACTIVE: "Active",
    SubscriptionStatus.TRIALING: "Trial",
    SubscriptionStatus.PAST_DUE: "Payment failed",
    SubscriptionStatus.UNPAID: "Unpaid",
    SubscriptionStatus.PAUSED: "Paused",
    SubscriptionStatus.INCOMPLETE: "Waiting for the first payment",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "Checkout not completed",
    SubscriptionStatus.CANCELED: "Canceled",
}
DATE_LABEL = {
    DateMeaning.RENEWS: "Renews on",
    DateMeaning.TRIAL_ENDS: "Trial ends on",
    DateMeaning.ACCESS_ENDS: "Access ends on",
    DateMeaning.ACCESS_UNTIL: "Access until",
    DateMeaning.PERIOD_ENDS: "Period ends on",
    DateMeaning.ENDED: "Ended on",
}


CHOICE_ACTION = {
    ChangeKind.UPGRADE: "Upgrade",
    ChangeKind.DOWNGRADE: "Downgrade",
    ChangeKind.TRIAL: "Switch",
}


@dataclass(frozen=True)
class ChoiceLine:
    """A price on offer in the "Change plan" section."""

    lookup_key: str
    name: str  # "Pro (yearly)"
    price_text: str  # "$120.00 / year"
    action: str  # "Upgrade", "Downgrade", "Switch"


@dataclass(frozen=True)
class AccountPage:
    email: str
    has_subscription: bool
    plan_name: str
    price_text: str | None
    trial_note: str | None
    status_label: str
    date_label: str | None
    date_text: str | None
    premium_text: str
    past_due: bool
    show_portal: bool
    portal_label: str
    show_subscribe: bool
    pending_text: str | None = None  # "Changes to Basic (monthly) on 30 December 2026"
    keep_label: str | None = None  # "Keep Pro"
    discount_text: str | None = None  # "20% off with code SPRING20 until 1 March 2027"
    billing_note: str | None = None  # the provider could not be asked
    choices: tuple[ChoiceLine, ...] = ()
    email_verified: bool = True
    pending_email: str | None = None  # a change of email waiting for its link

    @classmethod
    def of(cls, view: AccountView) -> "AccountPage":
        key = view.key_date
        return cls(
            email=view.email,
            email_verified=view.email_verified,
            pending_email=view.pending_email,
            has_subscription=view.status is not None,
            plan_name=view.plan_name or "",
            price_text=price_label(view.price) if view.price else None,
            trial_note=_trial_note(view),
            status_label=STATUS_LABEL[view.status] if view.status else "",
            date_label=DATE_LABEL[key.meaning] if key else None,
            date_text=long_date(key.moment) if key else None,
            premium_text="Yes" if view.has_premium else "No",
            past_due=view.past_due,
            show_portal=view.has_billing_account,
            portal_label="Fix payment method" if view.past_due else "Manage billing",
            show_subscribe=view.can_subscribe,
            pending_text=_pending_text(view),
            keep_label=f"Keep {view.plan_name}" if view.pending and view.plan_name else None,
            discount_text=discount_text(view.discount) if view.discount else None,
            billing_note="Planned plan changes and discounts could not be checked just now."
            if view.billing_unknown
            else None,
            choices=tuple(
                ChoiceLine(
                    c.price.lookup_key,
                    price_name(c.plan, c.price),
                    price_label(c.price),
                    CHOICE_ACTION[c.kind],
                )
                for c in view.choices
            ),
        )


def _pending_text(view: AccountView) -> str | None:
    pending = view.pending
    if pending is None:
        return None
    name = price_name(pending.plan, pending.price) if pending.plan and pending.price else None
    target = f" to {name}" if name else ""
    return f"Changes{target} on {long_date(pending.at)}"


def discount_text(discount: Discount) -> str:
    """`20% off with code SPRING20 until 1 March 2027`, `$5.00 off (Launch)`."""
    if discount.percent_off is not None:
        off = f"{discount.percent_off:g}% off"
    else:
        off = f"{money(discount.amount_off or 0, discount.currency or 'usd')} off"
    if discount.code:
        off += f" with code {discount.code}"
    elif discount.name:
        off += f" ({discount.name})"
    if discount.ends_at is not None:
        off += f" until {long_date(discount.ends_at)}"
    return off


def _trial_note(view: AccountView) -> str | None:
    if view.after_trial is AfterTrial.CHARGED:
        then = f" {price_label(view.price)}" if view.price else ""
        return f"When the trial ends, your card is charged{then}."
    if view.after_trial is AfterTrial.ENDS_WITHOUT_CARD:
        return (
            "No card is needed for the trial: when it ends, the subscription ends unless "
            "you add a card in Manage billing."
        )
    return None


def long_date(moment: datetime) -> str:
    """`30 December 2026`, in the reader's locale: never an ISO date."""
    return formatting.long_date(moment)
