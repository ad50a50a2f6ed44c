"""Stripe's event types and what each means to us.

Shared by the Stripe adapter and the in-memory fake (which speaks Stripe's event
names), and kept apart from `adapters.stripe` so that importing the fakes does not
load the Stripe SDK.
"""

from domain.provider_events import BillingEventKind

KIND_OF_TYPE = {
    "checkout.session.completed": BillingEventKind.CHECKOUT_COMPLETED,
    "checkout.session.async_payment_succeeded": BillingEventKind.CHECKOUT_COMPLETED,
    "customer.subscription.created": BillingEventKind.SUBSCRIPTION_CHANGED,
    "customer.subscription.updated": BillingEventKind.SUBSCRIPTION_CHANGED,
    "customer.subscription.paused": BillingEventKind.SUBSCRIPTION_CHANGED,
    "customer.subscription.resumed": BillingEventKind.SUBSCRIPTION_CHANGED,
    "customer.subscription.deleted": BillingEventKind.SUBSCRIPTION_ENDED,
    "customer.subscription.trial_will_end": BillingEventKind.TRIAL_WILL_END,
    "invoice.paid": BillingEventKind.INVOICE_PAID,
    "invoice.payment_failed": BillingEventKind.PAYMENT_FAILED,
}
