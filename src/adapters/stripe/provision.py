"""Create what the service needs in a Stripe account: a product with a monthly price,
and a webhook endpoint. Used by the local run against the emulator, and usable once
against a real test account (`flask stripe-provision`)."""

from dataclasses import dataclass

import stripe

# The events the service acts on (HandleBillingEvent); the rest would only be ignored.
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "invoice.paid",
    "invoice.payment_failed",
)


@dataclass(frozen=True)
class Provisioned:
    price_id: str
    webhook_secret: str
    webhook_endpoint_id: str

    def __repr__(self) -> str:  # the signing secret stays out of logs
        return f"Provisioned(price_id={self.price_id!r}, webhook_endpoint_id=...)"


def provision(
    secret_key: str,
    *,
    webhook_url: str,
    api_base: str | None = None,
    product_name: str = "Premium Notes",
    unit_amount: int = 500,
    currency: str = "usd",
) -> Provisioned:
    client = stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None)
    lookup_key = "premium_monthly"
    existing = client.v1.prices.list(params={"lookup_keys": [lookup_key], "limit": 1})
    if existing.data:
        price_id = existing.data[0].id
    else:
        price = client.v1.prices.create(
            params={
                "product_data": {"name": product_name},
                "unit_amount": unit_amount,
                "currency": currency,
                "recurring": {"interval": "month"},
                "lookup_key": lookup_key,
            },
            options={"idempotency_key": f"price-{lookup_key}-{unit_amount}-{currency}"},
        )
        price_id = price.id
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": webhook_url, "enabled_events": list(WEBHOOK_EVENTS)},  # type: ignore[arg-type]
        options={"idempotency_key": f"webhook-endpoint-{webhook_url}"},
    )
    return Provisioned(
        price_id=str(price_id),
        webhook_secret=str(endpoint.secret),
        webhook_endpoint_id=str(endpoint.id),
    )
