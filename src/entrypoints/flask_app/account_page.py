"""The account page's view model: the use case's decisions in words and dates a person
reads. No provider status string reaches the page."""

from dataclasses import dataclass
from datetime import datetime

from application.use_cases.get_account import AccountView, AfterTrial, DateMeaning
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app import formatting
from entrypoints.flask_app.pricing_page import price_label

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

    @classmethod
    def of(cls, view: AccountView) -> "AccountPage":
        key = view.key_date
        return cls(
            email=view.email,
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
        )


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
