"""The account page's view model: the use case's decisions in words and dates a person
reads. No provider status string reaches the page."""

from dataclasses import dataclass
from datetime import datetime

from application.use_cases.get_account import AccountView, DateMeaning
from domain.subscription import SubscriptionStatus

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
    DateMeaning.ACCESS_ENDS: "Access ends on",
    DateMeaning.ACCESS_UNTIL: "Access until",
    DateMeaning.PERIOD_ENDS: "Period ends on",
    DateMeaning.ENDED: "Ended on",
}


@dataclass(frozen=True)
class AccountPage:
    email: str
    has_subscription: bool
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
            status_label=STATUS_LABEL[view.status] if view.status else "",
            date_label=DATE_LABEL[key.meaning] if key else None,
            date_text=long_date(key.moment) if key else None,
            premium_text="Yes" if view.has_premium else "No",
            past_due=view.past_due,
            show_portal=view.has_billing_account,
            portal_label="Fix payment method" if view.past_due else "Manage billing",
            show_subscribe=view.can_subscribe,
        )


def long_date(moment: datetime) -> str:
    """`30 December 2026`: no ISO date on a page (UTC; locales come with the design)."""
    return f"{moment.day} {moment:%B %Y}"
