"""One contract for the payment gateway, run against the in-memory fake and against the
Stripe adapter talking to the Stripe emulator over HTTP (real SDK, real signatures)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests
import stripe

from adapters.catalog_file import load_catalog
from adapters.memory import FakePaymentGateway, ManualClock
from adapters.stripe import StripePaymentGateway, StripeSettings
from adapters.stripe.provision import provision
from application.ports import CheckoutOffer, PaymentGateway
from domain.catalog import Catalog, Interval
from domain.email import EmailAddress
from domain.errors import (
    CheckoutNotFound,
    CustomerMissing,
    InvalidWebhook,
    PaymentProviderError,
)
from domain.provider_events import BillingEventKind
from domain.subscription import SubscriptionStatus
from stripe_emulator import Emulator
from tests.support import stripe_events as se

KEY = "sk_test_contract"
CARD = "4242424242424242"
CARD_THAT_PAYS_ONCE = "4000000000000341"  # pays its first charge, declines the later ones
HOOK = "http://127.0.0.1:9/webhook"
REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"


class Provider(Protocol):
    """What the provider does on its own (a person paying, Stripe sending events)."""

    @property
    def price_id(self) -> str:
        """A price checkouts are made for."""

    def pay(
        self, session_id: str, url: str, *, card: str = CARD, promotion_code: str | None = None
    ) -> None:
        """Pay on the checkout page with `card` (a test card number), typing the code."""

    def add_promotion_code(self, code: str, *, percent_off: float, months: int, name: str) -> None:
        """A coupon (`repeating` for `months`) and its promotion code, made in the dashboard."""

    def charges(self, subscription_id: str) -> list[int]:
        """The amounts charged to the subscription's card, oldest first."""

    def end_period(self, subscription_id: str) -> None:
        """Time passes until just after the subscription's current period ends."""

    def can_pay(self, session_id: str, url: str) -> bool: ...

    def sign(self, payload: bytes) -> str: ...

    def event_payloads(self, type_: str | None = None) -> list[str]:
        """The events the provider sent (of `type_`), oldest first."""

    def stock(self, catalog: Catalog) -> None:
        """Create the catalog's prices, as `stripe-provision` does."""

    def customer_email(self, customer_id: str) -> str:
        """The customer's email, as the provider's dashboard shows it."""


@dataclass
class FakeProvider:
    gateway: FakePaymentGateway

    @property
    def price_id(self) -> str:
        return self.gateway.price_id

    def pay(
        self, session_id: str, url: str, *, card: str = CARD, promotion_code: str | None = None
    ) -> None:
        self.gateway.pay_checkout(
            session_id,
            card=bool(card),  # no number: a trial that asks for no card
            card_declines_later=card == CARD_THAT_PAYS_ONCE,
            promotion_code=promotion_code,
        )

    def add_promotion_code(self, code: str, *, percent_off: float, months: int, name: str) -> None:
        self.gateway.add_promotion_code(code, percent_off=percent_off, months=months, name=name)

    def charges(self, subscription_id: str) -> list[int]:
        return [amount for s, amount in self.gateway.charges if s == subscription_id]

    def end_period(self, subscription_id: str) -> None:
        subscription = self.gateway.subscriptions[subscription_id]
        assert subscription.current_period_end is not None
        clock = self.gateway.clock
        assert isinstance(clock, ManualClock)
        clock.advance(subscription.current_period_end - clock.now() + timedelta(seconds=60))
        if self.gateway.would_decline(subscription.customer_id):
            self.gateway.fail_renewal(subscription_id)
        else:
            self.gateway.renew(subscription_id)

    def can_pay(self, session_id: str, url: str) -> bool:
        try:
            self.gateway.pay_checkout(session_id)
        except PaymentProviderError:
            return False
        return True

    def sign(self, payload: bytes) -> str:
        return self.gateway.signature(payload)

    def event_payloads(self, type_: str | None = None) -> list[str]:
        events = self.gateway.events
        return [e.payload for e in events if type_ in (None, e.provider_type)]

    def stock(self, catalog: Catalog) -> None:
        self.gateway.stock(catalog)

    def customer_email(self, customer_id: str) -> str:
        return self.gateway.customers[customer_id].email


@dataclass
class EmulatedStripe:
    emulator: Emulator
    secret: str
    price_id: str

    def pay(
        self, session_id: str, url: str, *, card: str = CARD, promotion_code: str | None = None
    ) -> None:
        assert self.can_pay(session_id, url, card=card, promotion_code=promotion_code)

    def can_pay(
        self, session_id: str, url: str, *, card: str = CARD, promotion_code: str | None = None
    ) -> bool:
        fields = {"card_number": card, "card_expiry": "12/34", "card_cvc": "123"}
        if promotion_code:
            fields["promotion_code"] = promotion_code
        response = requests.post(url, data=fields, allow_redirects=False, timeout=10)
        return response.status_code == 303

    def add_promotion_code(self, code: str, *, percent_off: float, months: int, name: str) -> None:
        coupon = self._post(
            "coupons",
            {
                "percent_off": str(percent_off),
                "duration": "repeating",
                "duration_in_months": str(months),
                "name": name,
            },
        )
        self._post(
            "promotion_codes",
            {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": code},
        )

    def charges(self, subscription_id: str) -> list[int]:
        invoices = self._get(f"invoices?subscription={subscription_id}&limit=100")["data"]
        paid = [i for i in reversed(invoices) if i["status"] == "paid" and i["amount_paid"] > 0]
        return [int(i["amount_paid"]) for i in paid]

    def end_period(self, subscription_id: str) -> None:
        item = self._get(f"subscriptions/{subscription_id}")["items"]["data"][0]
        self.emulator.advance(item["current_period_end"] - self.emulator.now() + 60)

    def _get(self, path: str) -> Any:
        response = requests.get(
            f"{self.emulator.url}/v1/{path}",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, data: dict[str, str]) -> Any:
        response = requests.post(
            f"{self.emulator.url}/v1/{path}",
            data=data,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def sign(self, payload: bytes) -> str:
        return se.sign(payload, self.secret)

    def event_payloads(self, type_: str | None = None) -> list[str]:
        response = requests.get(
            f"{self.emulator.url}/v1/events?limit=100" + (f"&type={type_}" if type_ else ""),
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        return [json.dumps(event) for event in reversed(response.json()["data"])]

    def stock(self, catalog: Catalog) -> None:
        provision(KEY, webhook_url=HOOK, api_base=self.emulator.url, catalog=catalog)

    def customer_email(self, customer_id: str) -> str:
        return str(self._get(f"customers/{customer_id}")["email"])


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, tick_interval=None) as emu:
        yield emu


@pytest.fixture(params=["fake", "stripe-emulator"])
def pair(request: pytest.FixtureRequest) -> tuple[PaymentGateway, Provider]:
    return make_pair(request)


def make_pair(request: pytest.FixtureRequest) -> tuple[PaymentGateway, Provider]:
    """The gateway and its provider for `request.param`; "stripe-emulator" uses the
    requesting module's `emulator` fixture."""
    if request.param == "fake":
        fake = FakePaymentGateway(ManualClock(datetime.now(UTC)))
        return fake, FakeProvider(fake)
    emulator: Emulator = request.getfixturevalue("emulator")
    # The webhook endpoint is only registered for its signing secret; nothing listens.
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url)
    gateway = StripePaymentGateway(
        StripeSettings(KEY, (made.webhook_secret,), api_base=emulator.url)
    )
    return gateway, EmulatedStripe(emulator, made.webhook_secret, made.price_id)


def _checkout(pair: tuple[PaymentGateway, Provider], user_id: str) -> tuple[str, Any]:
    """A customer and an open checkout for `user_id` (unique per test: one emulator serves
    the module, and Stripe refuses an idempotency key reused with other parameters)."""
    customer = pair[0].create_customer(user_id, EmailAddress(f"{user_id}@example.com"))
    return customer, _another_checkout(pair, user_id, customer)


def _another_checkout(
    pair: tuple[PaymentGateway, Provider],
    user_id: str,
    customer: str,
    requested_at: datetime | None = None,
    offer: CheckoutOffer | None = None,
) -> Any:
    gateway, provider = pair
    return gateway.create_checkout_session(
        user_id=user_id,
        customer_id=customer,
        offer=offer or CheckoutOffer(provider.price_id),
        success_url="http://127.0.0.1:9/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/cancel",
        requested_at=requested_at or datetime.now(UTC),
    )


def test_a_customer_is_created_once_per_user(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, _ = pair
    first = gateway.create_customer("user-a", EmailAddress("one@example.com"))
    again = gateway.create_customer("user-a", EmailAddress("one@example.com"))
    other = gateway.create_customer("user-b", EmailAddress("two@example.com"))
    assert first == again
    assert other != first


def test_a_replacement_customer_is_a_new_one(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, _ = pair
    lost = gateway.create_customer("user-r", EmailAddress("r@example.com"))
    new = gateway.create_customer("user-r", EmailAddress("r@example.com"), replacing=lost)
    again = gateway.create_customer("user-r", EmailAddress("r@example.com"), replacing=lost)
    assert new != lost
    assert again == new


def test_the_customers_email_follows_the_users(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, provider = pair
    customer = gateway.create_customer("user-e", EmailAddress("old@example.com"))
    assert provider.customer_email(customer) == "old@example.com"
    gateway.update_customer_email(customer, EmailAddress("new@example.com"))
    gateway.update_customer_email(customer, EmailAddress("new@example.com"))  # again: the same
    assert provider.customer_email(customer) == "new@example.com"
    gateway.update_customer_email(customer, EmailAddress("old@example.com"))  # and back
    assert provider.customer_email(customer) == "old@example.com"
    with pytest.raises(CustomerMissing):
        gateway.update_customer_email("cus_does_not_exist", EmailAddress("x@example.com"))


def test_a_customer_the_provider_does_not_know_is_customer_missing(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, _ = pair
    with pytest.raises(CustomerMissing):
        gateway.list_subscriptions("cus_does_not_exist")
    with pytest.raises(CustomerMissing):
        _another_checkout(pair, "user-m", "cus_does_not_exist")
    with pytest.raises(CustomerMissing):
        gateway.create_portal_session("cus_does_not_exist", "http://127.0.0.1:9/account")


def test_an_unpaid_checkout_is_tied_to_its_user_and_not_paid(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, _ = pair
    customer, checkout = _checkout(pair, "user-1")
    assert checkout.url.startswith("http")
    session = gateway.get_checkout_session(checkout.session_id)
    assert session.user_ref == "user-1"
    assert session.customer_id == customer
    assert session.paid is False
    assert session.subscription_id is None


def test_a_paid_checkout_names_an_active_subscription(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, provider = pair
    customer, checkout = _checkout(pair, "user-2")
    provider.pay(checkout.session_id, checkout.url)

    session = gateway.get_checkout_session(checkout.session_id)
    assert session.paid is True
    assert session.subscription_id is not None
    subscription = gateway.get_subscription(session.subscription_id)
    assert subscription is not None
    assert subscription.status is SubscriptionStatus.ACTIVE
    assert subscription.customer_id == customer
    assert subscription.current_period_end is not None
    assert subscription.current_period_start is not None
    assert subscription.current_period_end > subscription.current_period_start
    listed = gateway.list_subscriptions(customer)
    assert [s.id for s in listed] == [session.subscription_id]


def test_cancel_ends_the_subscription_now(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, provider = pair
    customer, checkout = _checkout(pair, "user-3")
    provider.pay(checkout.session_id, checkout.url)
    subscription_id = gateway.get_checkout_session(checkout.session_id).subscription_id
    assert subscription_id is not None

    canceled = gateway.cancel_subscription(subscription_id)
    assert canceled.status is SubscriptionStatus.CANCELED
    assert canceled.ended_at is not None
    current = gateway.get_subscription(subscription_id)
    assert current is not None
    assert current.status is SubscriptionStatus.CANCELED
    assert [s.status for s in gateway.list_subscriptions(customer)] == [SubscriptionStatus.CANCELED]


def test_unknown_ids_are_not_found(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, _ = pair
    assert gateway.get_subscription("sub_does_not_exist") is None
    with pytest.raises(CheckoutNotFound):
        gateway.get_checkout_session("cs_test_does_not_exist")


def test_the_portal_is_a_url_for_the_customer(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, _ = pair
    customer, _ = _checkout(pair, "user-4")
    url = gateway.create_portal_session(customer, "http://127.0.0.1:9/account")
    assert url.startswith("http")


def test_the_providers_own_events_verify_and_translate(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, provider = pair
    customer, checkout = _checkout(pair, "user-5")
    provider.pay(checkout.session_id, checkout.url)
    subscription_id = gateway.get_checkout_session(checkout.session_id).subscription_id

    translated = []
    for payload in provider.event_payloads():
        body = payload.encode()
        translated.append(gateway.parse_webhook(body, provider.sign(body)))
    ours = [e for e in translated if e.subscription_id == subscription_id]
    kinds = {e.kind for e in ours}
    assert BillingEventKind.CHECKOUT_COMPLETED in kinds
    assert BillingEventKind.SUBSCRIPTION_CHANGED in kinds
    assert BillingEventKind.INVOICE_PAID in kinds
    completed = next(e for e in ours if e.kind is BillingEventKind.CHECKOUT_COMPLETED)
    assert completed.user_ref == "user-5"
    assert completed.customer_id == customer
    # As Stripe: created incomplete, then updated to active once the first invoice is paid.
    created = next(e for e in ours if e.provider_type == "customer.subscription.created")
    assert created.snapshot is not None
    assert created.snapshot.status is SubscriptionStatus.INCOMPLETE
    assert gateway.translate_event(created.payload) == created
    updated = [e for e in ours if e.provider_type == "customer.subscription.updated"]
    assert updated and updated[-1].snapshot is not None
    assert updated[-1].snapshot.status is SubscriptionStatus.ACTIVE


def test_events_no_endpoint_acknowledged_are_listed_oldest_first_and_translated(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    """Nothing acknowledges the events here (the emulator's endpoint is a closed port; the
    fake's events are delivered only when a test says so): all of them are undelivered."""
    gateway, provider = pair
    customer, checkout = _checkout(pair, "user-undelivered")
    provider.pay(checkout.session_id, checkout.url)
    subscription_id = gateway.get_checkout_session(checkout.session_id).subscription_id

    listed = gateway.list_undelivered_events(datetime(2000, 1, 1, tzinfo=UTC))

    ours = [e for e in listed if e.subscription_id == subscription_id]
    assert {e.kind for e in ours} >= {
        BillingEventKind.CHECKOUT_COMPLETED,
        BillingEventKind.SUBSCRIPTION_CHANGED,
        BillingEventKind.INVOICE_PAID,
    }
    assert [e.occurred_at for e in listed] == sorted(e.occurred_at for e in listed)
    completed = next(e for e in ours if e.kind is BillingEventKind.CHECKOUT_COMPLETED)
    assert (completed.user_ref, completed.customer_id) == ("user-undelivered", customer)
    # Translated as a signed delivery of the same event is.
    assert all(gateway.translate_event(e.payload) == e for e in ours)
    # Nothing before `since`.
    assert gateway.list_undelivered_events(datetime(2200, 1, 1, tzinfo=UTC)) == []


def test_a_wrong_or_missing_signature_is_refused(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, provider = pair
    _, checkout = _checkout(pair, "user-6")
    provider.pay(checkout.session_id, checkout.url)
    body = provider.event_payloads()[-1].encode()
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(body, None)
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(body, provider.sign(body + b" "))
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(b"not an event", provider.sign(b"not an event"))


@pytest.mark.parametrize("signature", ["t=1,v1=\xe9", "\u00e9\u00e9", "t=\xff"])
def test_a_signature_that_is_not_ascii_is_refused_not_crashed_on(
    pair: tuple[PaymentGateway, Provider], signature: str
) -> None:
    gateway, _ = pair
    body = b'{"id": "evt_1", "object": "event"}'
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(body, signature)


@pytest.mark.parametrize(
    "body", [b"[1]", b"null", b"1", b'"text"', b"{}", b"\xff", b"[" * 5000 + b"]" * 5000]
)
def test_a_signed_body_that_is_not_an_event_object_is_refused(
    pair: tuple[PaymentGateway, Provider], body: bytes
) -> None:
    gateway, provider = pair
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(body, provider.sign(body))


def test_settling_keeps_the_most_recently_requested_checkout_payable(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, provider = pair
    now = datetime.now(UTC)
    customer = gateway.create_customer("user-7", EmailAddress("user-7@example.com"))
    # Created in another order than requested: a slow request creates last.
    last = _another_checkout(pair, "user-7", customer, now + timedelta(milliseconds=2))
    first = _another_checkout(pair, "user-7", customer, now)
    middle = _another_checkout(pair, "user-7", customer, now + timedelta(milliseconds=1))

    assert gateway.settle_open_checkouts(customer) == last
    assert gateway.settle_open_checkouts(customer) == last
    payable = [provider.can_pay(c.session_id, c.url) for c in (first, middle, last)]
    assert payable == [False, False, True]
    assert len(gateway.list_subscriptions(customer)) == 1
    assert gateway.settle_open_checkouts(customer) is None  # none open any more


def test_settling_leaves_a_paid_checkout_alone(pair: tuple[PaymentGateway, Provider]) -> None:
    gateway, provider = pair
    now = datetime.now(UTC)
    customer = gateway.create_customer("user-8", EmailAddress("user-8@example.com"))
    paid = _another_checkout(pair, "user-8", customer, now)
    provider.pay(paid.session_id, paid.url)
    newer = _another_checkout(pair, "user-8", customer, now + timedelta(seconds=1))

    assert gateway.settle_open_checkouts(customer) == newer
    assert gateway.get_checkout_session(paid.session_id).paid


def test_expiring_makes_every_open_checkout_unpayable_and_leaves_a_paid_one_alone(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, provider = pair
    now = datetime.now(UTC)
    customer = gateway.create_customer("user-9", EmailAddress("user-9@example.com"))
    paid = _another_checkout(pair, "user-9", customer, now)
    provider.pay(paid.session_id, paid.url)
    left_open = [
        _another_checkout(pair, "user-9", customer, now + timedelta(seconds=n)) for n in (1, 2)
    ]

    assert gateway.expire_open_checkouts(customer) == 2
    assert gateway.expire_open_checkouts(customer) == 0
    assert [provider.can_pay(c.session_id, c.url) for c in left_open] == [False, False]
    assert gateway.get_checkout_session(paid.session_id).paid
    assert len(gateway.list_subscriptions(customer)) == 1
    assert gateway.settle_open_checkouts(customer) is None


def test_expiring_the_checkouts_of_an_unknown_customer_is_customer_missing(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, _ = pair
    with pytest.raises(CustomerMissing):
        gateway.expire_open_checkouts("cus_NeverMade0001")


def test_find_prices_answers_each_known_lookup_key_as_the_provider_charges_it(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, provider = pair
    catalog = load_catalog(REPO_CATALOG)
    provider.stock(catalog)

    found = gateway.find_prices([*catalog.lookup_keys, "no_such_lookup_key"])

    assert set(found) == set(catalog.lookup_keys)  # the unknown key is absent, no error
    pro_yearly = found["pro_yearly"]
    assert (pro_yearly.interval, pro_yearly.amount, pro_yearly.currency) == (
        Interval.YEAR,
        12000,
        "usd",
    )
    assert found["basic_monthly"].interval is Interval.MONTH
    assert all(price.lookup_key == key for key, price in found.items())
    ids = [price.price_id for price in found.values()]
    assert all(ids) and len(set(ids)) == len(ids)
    assert catalog.resolved(found).plan_of(pro_yearly.price_id) == catalog.resolved(found).plan(
        "pro"
    )


def test_find_prices_of_no_key_or_unknown_keys_is_empty(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    gateway, _ = pair
    assert dict(gateway.find_prices([])) == {}
    assert dict(gateway.find_prices(["nobody_sells_this"])) == {}


def test_the_catalogs_portal_configuration_is_found_and_used_once_provisioned(
    pair: tuple[PaymentGateway, Provider],
) -> None:
    """`stripe-provision` makes one billing-portal configuration offering switches between
    the catalog's prices; the gateway finds it (its id, its prices) and opens the portal
    with it. Provisioning again updates that one, never a second."""
    gateway, provider = pair
    catalog = load_catalog(REPO_CATALOG)
    provider.stock(catalog)
    found = gateway.find_portal_configuration()
    assert found is not None
    resolved = catalog.resolved(gateway.find_prices(catalog.lookup_keys))
    assert found.price_ids == {price.price_id for plan in resolved.plans for price in plan.prices}
    provider.stock(catalog)
    assert gateway.find_portal_configuration() == found

    customer, _ = _checkout(pair, "user-portal")
    url = gateway.create_portal_session(customer, "http://127.0.0.1:9/account", found.id)
    assert url.startswith("http")
    with pytest.raises(PaymentProviderError):
        gateway.create_portal_session(customer, "http://127.0.0.1:9/account", "bpc_nothing")


@pytest.fixture(params=["fake", "stripe-emulator"])
def unprovisioned(request: pytest.FixtureRequest) -> Iterator[PaymentGateway]:
    """A provider account nobody provisioned: in the emulator, its default portal
    configuration and one made by hand, neither marked as the catalog's."""
    if request.param == "fake":
        yield FakePaymentGateway(ManualClock(datetime.now(UTC)))
        return
    with Emulator(port=0, tick_interval=None) as fresh:
        client = stripe.StripeClient(KEY, base_addresses={"api": fresh.url})
        client.v1.billing_portal.configurations.create(
            params={"features": {"invoice_history": {"enabled": True}}}
        )
        yield StripePaymentGateway(StripeSettings(KEY, (), api_base=fresh.url))


def test_an_account_never_provisioned_has_no_portal_configuration_of_ours(
    unprovisioned: PaymentGateway,
) -> None:
    assert unprovisioned.find_portal_configuration() is None
