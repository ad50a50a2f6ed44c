"""Create what the service needs in a Stripe account: a product per plan of the catalog,
each price by its lookup_key, the billing portal's configuration for the catalog, and a
webhook endpoint. Used by the local run against the emulator, and usable against a real
test account (`flask stripe-provision`).

Idempotent: a price whose lookup_key the account already has is left as it is (its
amount too: the pages show what Stripe charges), a plan's product is made once (its id
is derived from the plan's key), one portal configuration is kept (found by its
metadata, updated to the catalog's prices each time), and one endpoint is made per
webhook URL.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import stripe

from adapters.stripe.portal_configuration import configuration_params, ours
from domain.catalog import Catalog, Interval, Plan, PlanPrice

log = logging.getLogger(__name__)

# The events the service acts on (HandleBillingEvent); the rest would only be ignored.
WEBHOOK_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",  # a delayed payment method (SEPA...) paid
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
)
# What endpoints were made with before (newest first): an emulator's state file (or an
# idempotency key less than a day old at Stripe) still answers for that request only.
_BEFORE_ASYNC_PAYMENTS = tuple(
    e for e in WEBHOOK_EVENTS if e != "checkout.session.async_payment_succeeded"
)
_EARLIER_WEBHOOK_EVENTS: tuple[tuple[str, ...], ...] = (
    _BEFORE_ASYNC_PAYMENTS,
    # before plans
    tuple(e for e in _BEFORE_ASYNC_PAYMENTS if e != "customer.subscription.trial_will_end"),
)

# A one-price setup (STRIPE_PRICE_ID) as `make run` and the tests made it before plans:
# provisioning without a catalog makes (or finds) this one price.
ONE_PRICE = Catalog(
    (
        Plan(
            key="premium",
            name="Premium Notes",
            includes=frozenset({"notes.premium"}),
            prices=(PlanPrice("premium_monthly", Interval.MONTH, 500, "usd"),),
        ),
    )
)


@dataclass(frozen=True)
class Provisioned:
    price_id: str  # the catalog's first price: what a one-price setup sells
    webhook_secret: str
    webhook_endpoint_id: str
    prices: Mapping[str, str] = field(default_factory=dict)  # price id by lookup key
    portal_configuration_id: str | None = None

    def __repr__(self) -> str:  # the signing secret stays out of logs
        return f"Provisioned(prices={dict(self.prices)!r}, webhook_endpoint_id=...)"


def provision(
    secret_key: str,
    *,
    webhook_url: str,
    api_base: str | None = None,
    catalog: Catalog = ONE_PRICE,
    portal: bool = True,
) -> Provisioned:
    """`portal=False` leaves the billing portal's configurations alone (a one-price setup
    keeps Stripe's default one: there is nothing to switch between)."""
    client = stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None)
    existing = client.v1.prices.list(params={"lookup_keys": list(catalog.lookup_keys)[:10]})
    found = {str(p.lookup_key): p for p in existing.auto_paging_iter() if p.lookup_key}
    for key in catalog.lookup_keys[10:]:  # Stripe lists at most 10 lookup keys at once
        more = client.v1.prices.list(params={"lookup_keys": [key], "limit": 1}).data
        if more:
            found[key] = more[0]
    prices: dict[str, str] = {}
    products: dict[str, list[str]] = {}  # each price's product, for the portal
    for plan in catalog.plans:
        product_id: str | None = None
        for price in plan.prices:
            if price.lookup_key in found:
                made = found[price.lookup_key]
                prices[price.lookup_key] = str(made.id)
                products.setdefault(str(made.product), []).append(str(made.id))
                continue
            product_id = product_id or _product(client, plan)
            prices[price.lookup_key] = _create_price(client, product_id, price)
            products.setdefault(product_id, []).append(prices[price.lookup_key])
    configuration = _portal_configuration(client, products) if portal else None
    endpoint_id, secret = _webhook_endpoint(client, webhook_url)
    return Provisioned(
        price_id=prices[catalog.lookup_keys[0]],
        webhook_secret=secret,
        webhook_endpoint_id=endpoint_id,
        prices=prices,
        portal_configuration_id=configuration,
    )


def _portal_configuration(client: stripe.StripeClient, products: dict[str, list[str]]) -> str:
    """The billing portal's configuration for the catalog: the one marked as ours,
    updated to `products`' prices, or a new one."""
    params = configuration_params(products)
    listed = client.v1.billing_portal.configurations.list(params={"active": True, "limit": 100})
    existing = ours(configuration.to_dict() for configuration in listed.auto_paging_iter())
    if existing is None:
        made = client.v1.billing_portal.configurations.create(params=params)  # type: ignore[arg-type]
        log.info("created billing-portal configuration %s", made.id)
        return str(made.id)
    configuration_id = str(existing["id"])
    client.v1.billing_portal.configurations.update(configuration_id, params=params)  # type: ignore[arg-type]
    return configuration_id


def product_id_of(plan: Plan) -> str:
    return f"premium_notes_{plan.key}"


def _product(client: stripe.StripeClient, plan: Plan) -> str:
    """The plan's product, made on first need under an id derived from the plan's key."""
    product_id = product_id_of(plan)
    try:
        client.v1.products.retrieve(product_id)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
        client.v1.products.create(
            params={"id": product_id, "name": plan.name, "metadata": {"plan": plan.key}},
            options={"idempotency_key": f"product-{product_id}"},
        )
    return product_id


def _create_price(client: stripe.StripeClient, product_id: str, price: PlanPrice) -> str:
    made = client.v1.prices.create(
        params={
            "product": product_id,
            "unit_amount": price.amount,
            "currency": price.currency,
            "recurring": {"interval": price.interval.value},
            "lookup_key": price.lookup_key,
        },
        options={
            "idempotency_key": f"price-{price.lookup_key}-{price.amount}-{price.currency}"
            f"-{price.interval.value}"
        },
    )
    log.info("created price %s (%s)", made.id, price.lookup_key)
    return str(made.id)


def _webhook_endpoint(client: stripe.StripeClient, url: str) -> tuple[str, str]:
    """The endpoint for `url`, with its signing secret, listening to `WEBHOOK_EVENTS`.

    Stripe shows a secret only in the answer that made the endpoint, so the request is
    made idempotent on the URL and its answer replayed. An endpoint made with an earlier
    list of events is found by replaying that request, then given the current list.
    """
    key = f"webhook-endpoint-{url}"
    try:
        endpoint = _create_endpoint(client, url, WEBHOOK_EVENTS, key)
    except stripe.IdempotencyError:
        for events in _EARLIER_WEBHOOK_EVENTS:
            try:
                endpoint = _create_endpoint(client, url, events, key)
            except stripe.IdempotencyError:
                continue
            client.v1.webhook_endpoints.update(
                str(endpoint.id),
                params={"enabled_events": list(WEBHOOK_EVENTS)},  # type: ignore[arg-type]
            )
            break
        else:
            raise
    return str(endpoint.id), str(endpoint.secret)


def _create_endpoint(
    client: stripe.StripeClient, url: str, events: tuple[str, ...], key: str
) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": list(events)},  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
