"""The account page's calls to Stripe: its billing at a glance (the subscription with its
schedule, discount and card, and the customer's latest invoices) and cancelling at the
period's end or undoing it. Current API shapes: a card is a `payment_method` with
`card.brand` and `card.last4`; an invoice's page is its `hosted_invoice_url`."""

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from adapters.stripe.errors import NotFound, translated_errors
from adapters.stripe.plan_changes import BILLING_EXPAND, subscription_billing_of
from adapters.stripe.translate import subscription_from_stripe
from application.ports import AccountBilling
from domain.billing import Invoice, InvoiceStatus, PaymentCard
from domain.errors import CustomerMissing
from domain.provider_events import is_web_page
from domain.subscription import Subscription

SeenAt = Callable[[object], datetime]  # when Stripe answered (its Date header)

# One retrieve: the schedule and discounts (as for a plan change), the subscription's own
# card and its customer's default one.
ACCOUNT_EXPAND = [
    *BILLING_EXPAND,
    "default_payment_method",
    "customer.invoice_settings.default_payment_method",
]


def read_account_billing(
    client: stripe.StripeClient,
    seen_at: SeenAt,
    customer_id: str,
    subscription_id: str | None,
    invoices: int,
) -> AccountBilling:
    """Two requests: the subscription (or, without one, the customer) expanded, and the
    customer's invoices."""
    billing, card = None, None
    found = _subscription(client, subscription_id) if subscription_id else None
    if found is not None:
        data = found.to_dict()
        billing = subscription_billing_of(data, seen_at(found))
        customer = data.get("customer")
        card = card_of(data.get("default_payment_method")) or _customer_card(customer)
    else:
        try:
            with translated_errors():
                customer = client.v1.customers.retrieve(
                    customer_id, params={"expand": ["invoice_settings.default_payment_method"]}
                ).to_dict()
        except NotFound as error:
            raise CustomerMissing() from error
        if customer.get("deleted"):
            raise CustomerMissing()
        card = _customer_card(customer)
    with translated_errors():
        page = client.v1.invoices.list(params={"customer": customer_id, "limit": invoices})
    shown = (invoice_of(invoice.to_dict()) for invoice in page.data)
    return AccountBilling(billing, card, tuple(i for i in shown if i is not None))


def set_cancel_at_period_end(
    client: stripe.StripeClient, seen_at: SeenAt, subscription_id: str, cancel: bool
) -> Subscription:
    # A key of its own per request: the same key again would replay an older answer
    # (cancel, resume, cancel again); setting what is set already changes nothing anyway.
    key = f"cancel-at-period-end-{subscription_id}-{cancel}-{uuid.uuid4()}"
    with translated_errors():
        changed = client.v1.subscriptions.update(
            subscription_id,
            params={"cancel_at_period_end": cancel},
            options={"idempotency_key": key},
        )
    return subscription_from_stripe(changed.to_dict(), as_of=seen_at(changed))


def _subscription(client: stripe.StripeClient, subscription_id: str) -> Any:
    try:
        with translated_errors():
            return client.v1.subscriptions.retrieve(
                subscription_id, params={"expand": ACCOUNT_EXPAND}
            )
    except NotFound:
        return None


def _customer_card(customer: object) -> PaymentCard | None:
    if not isinstance(customer, Mapping):
        return None  # not expanded, or deleted
    settings = customer.get("invoice_settings")
    if not isinstance(settings, Mapping):
        return None
    return card_of(settings.get("default_payment_method"))


def card_of(method: object) -> PaymentCard | None:
    """An expanded card `payment_method` as the card on file (None for anything else)."""
    if not isinstance(method, Mapping) or method.get("type") != "card":
        return None
    card = method.get("card")
    if not isinstance(card, Mapping):
        return None
    last4, month, year = card.get("last4"), card.get("exp_month"), card.get("exp_year")
    try:
        return PaymentCard(
            brand=str(card.get("brand") or "unknown"),
            last4=str(last4),
            exp_month=month if isinstance(month, int) else None,
            exp_year=year if isinstance(year, int) else None,
        )
    except ValueError:
        return None


def invoice_of(invoice: Mapping[str, Any]) -> Invoice | None:
    """A Stripe invoice as the account page lists it; None for a draft (not final yet)
    and for a shape it cannot read."""
    try:
        status = InvoiceStatus(str(invoice.get("status")))
        if status is InvoiceStatus.DRAFT:
            return None
        url = invoice.get("hosted_invoice_url")
        return Invoice(
            id=str(invoice["id"]),
            created=datetime.fromtimestamp(int(invoice["created"]), UTC),
            total=int(invoice.get("total") or 0),
            currency=str(invoice.get("currency") or "").lower(),
            status=status,
            url=url if is_web_page(url) else None,  # shown as a link: https, or loopback
            payment_failed=status is InvoiceStatus.OPEN
            and int(invoice.get("attempt_count") or 0) > 0,
        )
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
