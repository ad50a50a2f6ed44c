"""The account page's view model: the use case's decisions in words, dates and money a
person reads, and which action is the page's one primary button. No provider status
string reaches the page, nor an ISO date."""

import enum
from dataclasses import dataclass
from datetime import datetime

from application.use_cases.get_account import AccountView, AfterTrial, DateMeaning
from domain.billing import Invoice, InvoiceStatus, PaymentCard
from domain.plan_change import ChangeKind, Discount
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app import formatting
from entrypoints.flask_app.pricing_page import money, price_label, price_name

# The badge beside the plan: a word or two, never the provider's status string.
STATUS_LABEL = {
    SubscriptionStatus.ACTIVE: "Active",
    SubscriptionStatus.TRIALING: "Trial",
    SubscriptionStatus.PAST_DUE: "Payment failed",
    SubscriptionStatus.UNPAID: "Unpaid",
    SubscriptionStatus.PAUSED: "Paused",
    SubscriptionStatus.INCOMPLETE: "Waiting for payment",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "Not completed",
    SubscriptionStatus.CANCELED: "Ended",
}
CANCELING_LABEL = "Canceling"  # live, set to cancel at the period's end
# How the badge looks (a CSS class): good, attention, trouble or over.
TONE = {
    SubscriptionStatus.ACTIVE: "good",
    SubscriptionStatus.TRIALING: "good",
    SubscriptionStatus.PAST_DUE: "trouble",
    SubscriptionStatus.UNPAID: "trouble",
    SubscriptionStatus.PAUSED: "attention",
    SubscriptionStatus.INCOMPLETE: "attention",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "over",
    SubscriptionStatus.CANCELED: "over",
}
# The status in words, with the one date that matters.
DATE_SENTENCE = {
    DateMeaning.RENEWS: "Renews on {date}",
    DateMeaning.TRIAL_ENDS: "Trial ends on {date}",
    DateMeaning.ACCESS_ENDS: "Cancels on {date}",
    DateMeaning.ACCESS_UNTIL: "Payment failed: access until {date}",
    DateMeaning.ENDED: "Ended on {date}",
}
# Still billed but not paid up: the period's end says nothing a reader needs.
UNPAID_SENTENCE = "Payment failed: premium notes are closed until your card is fixed"
WITHOUT_DATE = {
    SubscriptionStatus.PAST_DUE: UNPAID_SENTENCE,
    SubscriptionStatus.UNPAID: UNPAID_SENTENCE,
    SubscriptionStatus.PAUSED: "Paused: nothing is charged and premium notes are closed",
    SubscriptionStatus.INCOMPLETE: "Waiting for the first payment",
    SubscriptionStatus.INCOMPLETE_EXPIRED: "Checkout was not completed",
    SubscriptionStatus.CANCELED: "Ended",
    SubscriptionStatus.ACTIVE: "Active",
    SubscriptionStatus.TRIALING: "In its free trial",
}
CHOICE_ACTION = {
    ChangeKind.UPGRADE: "Upgrade",
    ChangeKind.DOWNGRADE: "Downgrade",
    ChangeKind.TRIAL: "Switch",
}
# Card brands as the provider names them, as a person does; others are spelled out.
BRAND = {
    "amex": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos",
    "interac": "Interac",
    "jcb": "JCB",
    "link": "Link",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
    "unknown": "Card",
}
BILLING_NOTE = (
    "Your card and invoices could not be loaded just now (nor any planned change or "
    "discount). Please try again in a minute."
)


class Primary(enum.StrEnum):
    """The page's one primary button: what the reader most likely came to do."""

    FIX_CARD = "fix_card"  # a payment failed: the billing portal, to fix the card
    RESUME = "resume"  # set to cancel: undo it
    SUBSCRIBE = "subscribe"  # nothing live: choose a plan
    MANAGE = "manage"  # all is well: the billing portal


@dataclass(frozen=True)
class ChoiceLine:
    """A price on offer in the "Change plan" section."""

    lookup_key: str
    name: str  # "Pro (yearly)"
    price_text: str  # "$120.00 / year"
    action: str  # "Upgrade", "Downgrade", "Switch"


@dataclass(frozen=True)
class InvoiceLine:
    date_text: str  # "30 December 2026"
    amount_text: str  # "$12.00"
    status_text: str  # "Paid", "Payment failed"...
    status_tone: str  # a CSS class, as the plan's badge
    url: str | None  # the provider's page for it
    link_label: str  # "View" or "Pay"


@dataclass(frozen=True)
class AccountPage:
    email: str
    has_subscription: bool
    plan_name: str
    price_text: str | None
    trial_note: str | None
    status_label: str  # the badge: "Active", "Canceling"...
    status_tone: str
    status_text: str | None  # "Renews on 30 December 2026"
    premium_text: str
    past_due: bool
    show_portal: bool
    portal_label: str
    show_subscribe: bool
    primary: Primary | None
    pending_text: str | None = None  # "Changes to Basic (monthly) on 30 December 2026"
    keep_label: str | None = None  # "Keep Pro"
    discount_text: str | None = None  # "20% off with code SPRING20 until 1 March 2027"
    billing_note: str | None = None  # the provider could not be asked
    choices: tuple[ChoiceLine, ...] = ()
    card_text: str | None = None  # "Visa ending in 4242"
    card_expiry: str | None = None  # "Expires December 2034"
    invoices: tuple[InvoiceLine, ...] = ()
    can_cancel: bool = False
    can_resume: bool = False

    @property
    def plan_text(self) -> str:
        """`Pro ($120.00 / year)`."""
        return f"{self.plan_name} ({self.price_text})" if self.price_text else self.plan_name

    @classmethod
    def of(cls, view: AccountView) -> "AccountPage":
        status = view.status
        ending = view.can_resume
        owes = status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)
        card = view.card
        return cls(
            email=view.email,
            has_subscription=status is not None,
            plan_name=view.plan_name or "",
            price_text=price_label(view.price) if view.price else None,
            trial_note=None if ending else _trial_note(view),
            status_label=_badge(status, ending and not owes)[0],
            status_tone=_badge(status, ending and not owes)[1],
            status_text=_status_text(view),
            premium_text="Premium notes are open to you."
            if view.has_premium
            else "Premium notes are closed to you.",
            past_due=view.past_due,
            show_portal=view.has_billing_account,
            portal_label="Fix card" if owes else "Manage billing",
            show_subscribe=view.can_subscribe,
            primary=_primary(view, owes),
            pending_text=_pending_text(view),
            keep_label=f"Keep {view.plan_name}" if view.pending and view.plan_name else None,
            discount_text=discount_text(view.discount) if view.discount else None,
            billing_note=BILLING_NOTE if view.billing_unknown else None,
            choices=tuple(
                ChoiceLine(
                    c.price.lookup_key,
                    price_name(c.plan, c.price),
                    price_label(c.price),
                    CHOICE_ACTION[c.kind],
                )
                for c in view.choices
            ),
            card_text=card_text(card) if card else None,
            card_expiry=_expiry(card) if card else None,
            invoices=tuple(invoice_line(invoice) for invoice in view.invoices),
            can_cancel=view.can_cancel,
            can_resume=view.can_resume,
        )


def _badge(status: SubscriptionStatus | None, canceling: bool) -> tuple[str, str]:
    """The badge's word and tone."""
    if status is None:
        return "", "over"
    if canceling:
        return CANCELING_LABEL, "attention"
    return STATUS_LABEL[status], TONE[status]


def _primary(view: AccountView, owes: bool) -> Primary | None:
    if owes and view.has_billing_account:
        return Primary.FIX_CARD
    if view.can_resume:
        return Primary.RESUME
    if view.can_subscribe:
        return Primary.SUBSCRIBE
    return Primary.MANAGE if view.has_billing_account else None


def _status_text(view: AccountView) -> str | None:
    if view.status is None:
        return None
    key = view.key_date
    if key is not None and key.meaning in DATE_SENTENCE:
        return DATE_SENTENCE[key.meaning].format(date=long_date(key.moment))
    return WITHOUT_DATE[view.status]


def card_text(card: PaymentCard) -> str:
    """`Visa ending in 4242`."""
    brand = BRAND.get(card.brand) or card.brand.replace("_", " ").title()
    return f"{brand} ending in {card.last4}"


def _expiry(card: PaymentCard) -> str | None:
    if card.exp_year is None or card.exp_month is None:
        return None
    return f"Expires {formatting.month_and_year(card.exp_year, card.exp_month)}"


INVOICE_STATUS = {
    InvoiceStatus.PAID: ("Paid", "good"),
    InvoiceStatus.OPEN: ("Due", "attention"),
    InvoiceStatus.UNCOLLECTIBLE: ("Not paid", "trouble"),
    InvoiceStatus.VOID: ("Canceled", "over"),
    InvoiceStatus.DRAFT: ("Not final yet", "over"),
}


def invoice_line(invoice: Invoice) -> InvoiceLine:
    text, tone = INVOICE_STATUS[invoice.status]
    if invoice.payment_failed:
        text, tone = "Payment failed", "trouble"
    return InvoiceLine(
        date_text=long_date(invoice.created),
        amount_text=money(invoice.total, invoice.currency),
        status_text=text,
        status_tone=tone,
        url=invoice.url,
        link_label="Pay" if invoice.status is InvoiceStatus.OPEN else "View",
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
