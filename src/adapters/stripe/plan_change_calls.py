"""Plan changes at Stripe: the subscription's billing read (pending change, discount,
card), the invoice preview of a change, a change made now, a change scheduled for the
period's end (a subscription schedule) and its release. `StripePaymentGateway` delegates
here."""

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from adapters.stripe.errors import NotFound, translated_errors
from adapters.stripe.plan_changes import (
    BILLING_EXPAND,
    change_preview,
    payment_method_of,
    subscription_billing_of,
)
from adapters.stripe.translate import id_of, subscription_from_stripe
from application.ports import ChangePreview, SubscriptionBilling
from domain.errors import PaymentProviderError
from domain.plan_change import PendingChange
from domain.subscription import Subscription

LIVE_SCHEDULE = ("active", "not_started")  # a schedule that will still change something


class StripePlanChanges:
    """The plan-change calls, on the gateway's client; `seen_at` stamps an answer with
    Stripe's time (its Date header)."""

    def __init__(self, client: stripe.StripeClient, seen_at: Callable[[object], datetime]) -> None:
        self._client = client
        self._seen_at = seen_at

    def billing(self, subscription_id: str) -> SubscriptionBilling | None:
        try:
            with translated_errors():
                found = self._client.v1.subscriptions.retrieve(
                    subscription_id, params={"expand": BILLING_EXPAND}
                )
        except NotFound:
            return None
        return subscription_billing_of(found.to_dict(), self._seen_at(found))

    def preview(
        self, subscription_id: str, price_id: str, proration_date: datetime
    ) -> ChangePreview:
        item_id, _, _, _ = self._first_item(subscription_id)
        moment = int(proration_date.timestamp())
        with translated_errors():
            preview = self._client.v1.invoices.create_preview(
                params={
                    "subscription": subscription_id,
                    "subscription_details": {
                        "items": [{"id": item_id, "price": price_id}],
                        "proration_behavior": "always_invoice",
                        "proration_date": moment,
                    },
                }
            )
        return change_preview(preview.to_dict(), proration_date)

    def change_now(
        self,
        subscription_id: str,
        price_id: str,
        proration_date: datetime,
        *,
        bill_now: bool = True,
    ) -> Subscription:
        item_id, current_price, data, seen_at = self._first_item(subscription_id)
        if current_price == price_id:  # done already (a confirm sent twice, one after the other)
            return subscription_from_stripe(data, as_of=seen_at)
        schedule = data.get("schedule")
        if isinstance(schedule, Mapping):
            self._release_schedule(schedule)
        moment = int(proration_date.timestamp())
        params: dict[str, Any] = {"items": [{"id": item_id, "price": price_id}]}
        if bill_now:
            # Charged at once, for exactly what the preview with this date showed; a card
            # that declines leaves the subscription as it was (no unpaid invoice).
            params["proration_behavior"] = "always_invoice"
            params["proration_date"] = moment
            params["payment_behavior"] = "error_if_incomplete"
        else:
            params["proration_behavior"] = "none"
        # A confirm sent twice is one request to Stripe: the second gets the first's answer
        # (a decline too: Stripe keeps it). With another card it is a new attempt.
        card = payment_method_of(data)
        key = f"price-change-{subscription_id}-{current_price}-{price_id}-{moment}-{card}"
        with translated_errors():
            changed = self._client.v1.subscriptions.update(
                subscription_id,
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            )
        return subscription_from_stripe(changed.to_dict(), as_of=self._seen_at(changed))

    def schedule(self, subscription_id: str, price_id: str) -> PendingChange:
        with translated_errors():
            found = self._client.v1.subscriptions.retrieve(
                subscription_id, params={"expand": ["schedule"]}
            )
        data = found.to_dict()
        schedule = data.get("schedule")
        if not isinstance(schedule, Mapping) or schedule.get("status") not in LIVE_SCHEDULE:
            with translated_errors():
                schedule = self._client.v1.subscription_schedules.create(
                    params={"from_subscription": subscription_id},
                    options={"idempotency_key": f"schedule-{uuid.uuid4()}"},
                ).to_dict()
        current = schedule["current_phase"]
        # The current phase keeps the subscription's items until the period ends; the next
        # one bills the new price from then, nothing prorated, and the subscription goes
        # on by itself after it.
        items = [
            {"price": id_of(item.get("price")), "quantity": item.get("quantity") or 1}
            for item in (data.get("items") or {}).get("data") or []
        ]
        phases = [
            {
                "items": items,
                "start_date": current["start_date"],
                "end_date": current["end_date"],
            },
            {"items": [{"price": price_id, "quantity": 1}], "proration_behavior": "none"},
        ]
        with translated_errors():
            self._client.v1.subscription_schedules.update(
                str(schedule["id"]),
                params={"phases": phases, "end_behavior": "release"},  # type: ignore[arg-type]
                options={"idempotency_key": f"schedule-phases-{uuid.uuid4()}"},
            )
        return PendingChange(price_id, datetime.fromtimestamp(current["end_date"], UTC))

    def release(self, subscription_id: str) -> None:
        try:
            with translated_errors():
                found = self._client.v1.subscriptions.retrieve(
                    subscription_id, params={"expand": ["schedule"]}
                )
        except NotFound:
            return
        schedule = found.to_dict().get("schedule")
        if isinstance(schedule, Mapping):
            self._release_schedule(schedule)

    def _first_item(
        self, subscription_id: str
    ) -> tuple[str, str | None, Mapping[str, Any], datetime]:
        """The subscription's first item's id and price id, the subscription (its schedule
        and customer expanded) and when Stripe answered."""
        with translated_errors():
            found = self._client.v1.subscriptions.retrieve(
                subscription_id, params={"expand": ["schedule", "customer"]}
            )
        data = found.to_dict()
        items = (data.get("items") or {}).get("data") or []
        if not items:
            raise PaymentProviderError("The payment provider shows no price on this subscription.")
        return str(items[0]["id"]), id_of(items[0].get("price")), data, self._seen_at(found)

    def _release_schedule(self, schedule: Mapping[str, Any]) -> None:
        if schedule.get("status") not in LIVE_SCHEDULE:
            return
        with translated_errors():
            self._client.v1.subscription_schedules.release(
                str(schedule["id"]), options={"idempotency_key": f"release-{schedule['id']}"}
            )
