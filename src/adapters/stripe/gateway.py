import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import stripe

from adapters.stripe.account_billing import read_account_billing, set_cancel_at_period_end
from adapters.stripe.customer_emails import CustomerEmails
from adapters.stripe.errors import NotFound, translated_errors
from adapters.stripe.plan_change_calls import StripePlanChanges
from adapters.stripe.portal_configuration import ours, portal_configuration_of
from adapters.stripe.provision import WEBHOOK_EVENTS
from adapters.stripe.translate import (
    NotAnEvent,
    event_from_json,
    id_of,
    oldest_failure,
    subscription_from_stripe,
)
from adapters.stripe.webhook_signature import WebhookSignatures
from application.ports import (
    INVOICES_SHOWN,
    AccountBilling,
    ChangePreview,
    CheckoutOffer,
    CheckoutRedirect,
    PaymentGateway,
    PortalConfiguration,
    SubscriptionBilling,
)
from domain.catalog import Interval, PlanPrice
from domain.email import EmailAddress
from domain.errors import CheckoutNotFound, InvalidWebhook, PaymentProviderError
from domain.plan_change import PendingChange
from domain.provider_events import BillingEvent, CheckoutSession
from domain.subscription import Subscription

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE_SECONDS = 300  # Stripe's own default
LOOKUP_KEYS_PER_LIST = 10  # Stripe's limit on `lookup_keys[]` in one prices.list
REQUESTED_AT = "requested_at_us"  # checkout metadata: when the person asked, in microseconds


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _requested_at(metadata: object) -> int:
    value = metadata.get(REQUESTED_AT) if isinstance(metadata, Mapping) else None
    return int(value) if isinstance(value, str) and value.isdigit() else 0


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str
    webhook_secrets: tuple[str, ...]
    api_base: str | None = None
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    network_retries: int = 2  # the SDK retries with the same idempotency key
    timeout_seconds: float = 8.0

    @property
    def livemode(self) -> bool:
        return self.secret_key.startswith(("sk_live_", "rk_live_"))

    def __repr__(self) -> str:  # never print the keys
        return f"StripeSettings(api_base={self.api_base!r}, ...)"


class StripePaymentGateway(CustomerEmails, PaymentGateway):
    """`PaymentGateway` over the official SDK's `StripeClient`.

    Every POST carries an idempotency key. SDK errors become domain errors whose
    message a person can read; the technical detail goes to the log, never a secret.
    """

    def __init__(
        self,
        settings: StripeSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        client: stripe.StripeClient | None = None,
    ) -> None:
        self._settings = settings
        self._now = clock
        self._client = client or stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            max_network_retries=settings.network_retries,
            # Far below the SDK's 80 s: a webhook holding a user's lock (on SQLite, the
            # database's) waits for Stripe at most this long per try.
            http_client=stripe.RequestsClient(timeout=settings.timeout_seconds),
        )
        self._plans = StripePlanChanges(self._client, self._seen_at)
        self._signatures = WebhookSignatures(settings.webhook_secrets, settings.tolerance_seconds)

    def find_prices(self, lookup_keys: Sequence[str]) -> Mapping[str, PlanPrice]:
        found: dict[str, PlanPrice] = {}
        keys = list(dict.fromkeys(lookup_keys))
        for start in range(0, len(keys), LOOKUP_KEYS_PER_LIST):
            chunk = keys[start : start + LOOKUP_KEYS_PER_LIST]
            with translated_errors():
                page = self._client.v1.prices.list(
                    params={"lookup_keys": chunk, "active": True, "limit": 100}
                )
                for price in page.auto_paging_iter():
                    plan_price = _plan_price(price.to_dict())
                    if plan_price is not None:
                        found[plan_price.lookup_key] = plan_price
        return found

    def create_customer(
        self, user_id: str, email: EmailAddress, *, replacing: str | None = None
    ) -> str:
        key = f"customer-for-user-{user_id}"
        if replacing:  # a replay of the first request would answer with the lost customer
            key += f"-replacing-{replacing}"
        with translated_errors():
            customer = self._client.v1.customers.create(
                params={"email": email.value, "metadata": {"user_id": user_id}},
                options={"idempotency_key": key},
            )
        return str(customer.id)

    def create_checkout_session(
        self,
        *,
        user_id: str,
        customer_id: str,
        offer: CheckoutOffer,
        success_url: str,
        cancel_url: str,
        requested_at: datetime,
    ) -> CheckoutRedirect:
        subscription_data: dict[str, Any] = {"metadata": {"user_id": user_id}}
        params: dict[str, Any] = {
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": user_id,
            "line_items": [{"price": offer.price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "allow_promotion_codes": True,
            "metadata": {"user_id": user_id, REQUESTED_AT: str(_microseconds(requested_at))},
            "subscription_data": subscription_data,
        }
        if offer.trial_days:
            subscription_data["trial_period_days"] = offer.trial_days
        if offer.trial_without_card:
            # No card asked for; a trial that ends without one ends the subscription.
            params["payment_method_collection"] = "if_required"
            subscription_data["trial_settings"] = {
                "end_behavior": {"missing_payment_method": "cancel"}
            }
        with translated_errors():
            session = self._client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"checkout-{uuid.uuid4()}"},
            )
        if not session.url:
            raise PaymentProviderError("The payment provider returned no checkout page.")
        return CheckoutRedirect(session_id=str(session.id), url=str(session.url))

    def settle_open_checkouts(self, customer_id: str) -> CheckoutRedirect | None:
        with translated_errors():
            page = self._client.v1.checkout.sessions.list(
                params={"customer": customer_id, "status": "open", "limit": 100}
            )
            open_ones = [s for s in page.auto_paging_iter() if s.url]
        if not open_ones:
            return None
        keep = max(
            open_ones, key=lambda s: (_requested_at(s.to_dict().get("metadata")), s.created, s.id)
        )
        for session in open_ones:
            if session.id != keep.id:
                self._expire(str(session.id))
        return CheckoutRedirect(session_id=str(keep.id), url=str(keep.url))

    def expire_open_checkouts(self, customer_id: str) -> int:
        with translated_errors():
            page = self._client.v1.checkout.sessions.list(
                params={"customer": customer_id, "status": "open", "limit": 100}
            )
            open_ids = [str(s.id) for s in page.auto_paging_iter()]
        return sum(self._expire(session_id) for session_id in open_ids)

    def _expire(self, session_id: str) -> bool:
        """Whether this call expired it."""
        try:
            with translated_errors():
                self._client.v1.checkout.sessions.expire(
                    session_id, options={"idempotency_key": f"expire-{session_id}"}
                )
        except PaymentProviderError as error:
            if not isinstance(error.__cause__, stripe.InvalidRequestError):
                raise  # Stripe unreachable: it may still be payable, so no success
            # Refused: paid or expired meanwhile, nothing left to make unpayable.
            log.info("checkout %s could not be expired; left as it is", session_id)
            return False
        return True

    def get_checkout_session(self, session_id: str) -> CheckoutSession:
        try:
            with translated_errors():
                session = self._client.v1.checkout.sessions.retrieve(session_id)
        except NotFound as error:
            raise CheckoutNotFound() from error
        data = session.to_dict()
        return CheckoutSession(
            as_of=self._seen_at(session),
            id=str(data["id"]),
            user_ref=data.get("client_reference_id"),
            customer_id=id_of(data.get("customer")),
            subscription_id=id_of(data.get("subscription")),
            paid=data.get("status") == "complete"
            and data.get("payment_status") in ("paid", "no_payment_required"),
        )

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        try:
            with translated_errors():
                subscription = self._client.v1.subscriptions.retrieve(subscription_id)
        except NotFound:
            return None
        return self._owing_since(
            subscription_from_stripe(subscription.to_dict(), as_of=self._seen_at(subscription))
        )

    def list_subscriptions(self, customer_id: str) -> Sequence[Subscription]:
        with translated_errors():
            page = self._client.v1.subscriptions.list(
                params={"customer": customer_id, "status": "all", "limit": 100}
            )
            now = self._seen_at(page)
            return [
                self._owing_since(subscription_from_stripe(s.to_dict(), as_of=now))
                for s in page.auto_paging_iter()
            ]

    def _owing_since(self, subscription: Subscription) -> Subscription:
        """A subscription that owes, with when its oldest open invoice failed (one more
        request, for past_due and unpaid ones only)."""
        if not subscription.owes:
            return subscription
        with translated_errors():
            page = self._client.v1.invoices.list(
                params={"subscription": subscription.id, "status": "open", "limit": 100}
            )
            invoices = [invoice.to_dict() for invoice in page.auto_paging_iter()]
        return replace(subscription, unpaid_since=oldest_failure(invoices))

    def cancel_subscription(self, subscription_id: str) -> Subscription:
        with translated_errors():
            subscription = self._client.v1.subscriptions.cancel(
                subscription_id, options={"idempotency_key": f"cancel-{subscription_id}"}
            )
        return subscription_from_stripe(subscription.to_dict(), as_of=self._seen_at(subscription))

    def find_portal_configuration(self) -> PortalConfiguration | None:
        with translated_errors():
            page = self._client.v1.billing_portal.configurations.list(
                params={"active": True, "limit": 100}
            )
            found = ours(configuration.to_dict() for configuration in page.auto_paging_iter())
        return portal_configuration_of(found) if found is not None else None

    def create_portal_session(
        self, customer_id: str, return_url: str, configuration: str | None = None
    ) -> str:
        params: dict[str, Any] = {"customer": customer_id, "return_url": return_url}
        if configuration is not None:
            params["configuration"] = configuration
        with translated_errors():
            session = self._client.v1.billing_portal.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"portal-{uuid.uuid4()}"},
            )
        return str(session.url)

    def get_account_billing(
        self, customer_id: str, subscription_id: str | None, *, invoices: int = INVOICES_SHOWN
    ) -> AccountBilling:
        return read_account_billing(
            self._client, self._seen_at, customer_id, subscription_id, invoices
        )

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> Subscription:
        return set_cancel_at_period_end(self._client, self._seen_at, subscription_id, cancel)

    # -- plan changes: adapters/stripe/plan_change_calls.py ----------------------------

    def get_subscription_billing(self, subscription_id: str) -> SubscriptionBilling | None:
        return self._plans.billing(subscription_id)

    def preview_plan_change(
        self, subscription_id: str, price_id: str, proration_date: datetime
    ) -> ChangePreview:
        return self._plans.preview(subscription_id, price_id, proration_date)

    def change_price_now(
        self,
        subscription_id: str,
        price_id: str,
        proration_date: datetime,
        *,
        bill_now: bool = True,
    ) -> Subscription:
        return self._plans.change_now(subscription_id, price_id, proration_date, bill_now=bill_now)

    def schedule_price_change(self, subscription_id: str, price_id: str) -> PendingChange:
        return self._plans.schedule(subscription_id, price_id)

    def release_scheduled_change(self, subscription_id: str) -> None:
        self._plans.release(subscription_id)

    def parse_webhook(self, payload: bytes, signature: str | None) -> BillingEvent:
        if not signature:
            raise InvalidWebhook("Missing Stripe-Signature header.")
        if not signature.isascii():  # Stripe's own headers are ASCII; hmac refuses the rest
            raise InvalidWebhook("Invalid signature, or a timestamp outside the tolerance.")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidWebhook("The body is not UTF-8.") from error
        if not self._signatures.match(payload, signature):
            raise InvalidWebhook("Invalid signature, or a timestamp outside the tolerance.")
        event = self.translate_event(text)
        if event.livemode != self._settings.livemode:
            raise InvalidWebhook("The event's mode (live or test) does not match the API key.")
        return event

    def translate_event(self, payload: str) -> BillingEvent:
        try:
            data = json.loads(payload)
            return event_from_json(data, payload)
        except (ValueError, RecursionError, NotAnEvent) as error:
            raise InvalidWebhook("The body is not a Stripe event.") from error

    def list_undelivered_events(self, since: datetime) -> Sequence[BillingEvent]:
        with translated_errors():
            page = self._client.v1.events.list(
                params={
                    "delivery_success": False,
                    "created": {"gte": int(since.timestamp())},
                    "types": list(WEBHOOK_EVENTS),
                    "limit": 100,
                }
            )
            found = [event.to_dict() for event in page.auto_paging_iter()]
        # Newest first from Stripe; applied oldest first, as they happened.
        found.sort(key=_listed_order)
        events: list[BillingEvent] = []
        for data in found:
            # One event this adapter cannot read (that /webhook refused with a 400, so
            # Stripe keeps listing it) is skipped on its own: it must not hide the others.
            try:
                # The SDK reads decimal strings ("unit_amount_decimal") as Decimal: back to
                # the strings Stripe sends, so the stored payload reads as a webhook's would.
                events.append(self.translate_event(json.dumps(data, default=str)))
            except InvalidWebhook as error:
                log.warning(
                    "Undelivered event %s skipped: it cannot be read (%s)",
                    data.get("id"),
                    error.__cause__ or error,
                )
        return events

    def _seen_at(self, response_object: object) -> datetime:
        """When Stripe answered, by Stripe's own clock (its `Date` header).

        A fetched object is stamped with it, so that our clock running ahead of Stripe's
        cannot make a later Stripe event look older than what we fetched.
        """
        response = getattr(response_object, "last_response", None)
        date = response.headers.get("Date") if response is not None else None
        if date:
            try:
                return parsedate_to_datetime(date).astimezone(UTC)
            except (TypeError, ValueError):
                pass
        return self._now()


def _listed_order(data: Mapping[str, object]) -> tuple[int, str]:
    """Oldest first, then by id; an event without a readable `created` sorts first."""
    created, event_id = data.get("created"), data.get("id")
    return (
        created if isinstance(created, int) and not isinstance(created, bool) else 0,
        event_id if isinstance(event_id, str) else "",
    )


def _plan_price(data: Mapping[str, object]) -> PlanPrice | None:
    """A Stripe price as a plan's price; None (logged) for one a plan cannot be sold at:
    not recurring by the month or the year, or without a fixed amount."""
    recurring = data.get("recurring")
    interval = recurring.get("interval") if isinstance(recurring, Mapping) else None
    count = recurring.get("interval_count", 1) if isinstance(recurring, Mapping) else None
    amount = data.get("unit_amount")
    lookup_key = data.get("lookup_key")
    if (
        interval not in (Interval.MONTH.value, Interval.YEAR.value)
        or count != 1
        or not isinstance(amount, int)
        or not isinstance(lookup_key, str)
    ):
        log.warning(
            "price %s (lookup_key %s) is not a fixed monthly or yearly price; not sold",
            data.get("id"),
            lookup_key,
        )
        return None
    return PlanPrice(
        lookup_key=lookup_key,
        interval=Interval(str(interval)),
        amount=amount,
        currency=str(data.get("currency", "")).lower(),
        price_id=str(data["id"]),
    )
