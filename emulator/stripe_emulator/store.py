"""The emulator's state: every object, the event log and the clocks, behind one lock.

Every read or change of state happens while holding :attr:`Store.lock` (a
re-entrant lock), so requests served on many threads, the billing engine and
the clock ticker see consistent objects. Objects are stored in their Stripe
JSON shape; what Stripe does not show (cards, billing cycles, retry schedules)
lives in side tables.
"""

from __future__ import annotations

import contextvars
import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import objects
from .calendar import Cycle
from .cards import PaymentMethod
from .errors import StripeError, resource_missing
from .ids import new_id
from .objects import Json
from .objects.portal_configuration import built_in_features
from .settings import Settings


@dataclass(frozen=True)
class RequestContext:
    """The API request being served, named on the events it causes."""

    request_id: str | None
    idempotency_key: str | None


current_request: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "current_request", default=None
)


@dataclass
class CheckoutLine:
    price_id: str
    quantity: int
    item_id: str = field(default_factory=lambda: new_id("li_"))


@dataclass
class CheckoutExtras:
    """What a checkout session needs at payment time that Stripe does not show on it."""

    lines: list[CheckoutLine]
    subscription_metadata: dict[str, str]
    subscription_description: str | None
    trial_period_days: int | None
    missing_payment_method: str = "create_invoice"  # a default: older state files lack it
    discounts: list[list[str | None]] = field(default_factory=list)
    """[coupon id, promotion code id or None] given by ``discounts`` (older files lack it)."""


# Id prefix -> (collection attribute, the word Stripe's "No such ..." message uses).
_KINDS: dict[str, tuple[str, str]] = {
    "sub_sched_": ("subscription_schedules", "subscription_schedule"),  # before "sub_"
    "cus_": ("customers", "customer"),
    "promo_": ("promotion_codes", "promotion_code"),
    "di_": ("discounts", "discount"),
    "prod_": ("products", "product"),
    "price_": ("prices", "price"),
    "cs_": ("checkout_sessions", "checkout.session"),
    "sub_": ("subscriptions", "subscription"),
    "in_": ("invoices", "invoice"),
    "evt_": ("events", "event"),
    "we_": ("webhook_endpoints", "webhook_endpoint"),
    "bps_": ("portal_sessions", "billing_portal.session"),
    "bpc_": ("portal_configurations", "billing_portal.configuration"),
    "clock_": ("test_clocks", "test_helpers.test_clock"),
}

EventListener = Callable[[Json], None]


@dataclass
class Store:
    """All emulator state. Hold :attr:`lock` for any access."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    settings: Settings = field(default_factory=Settings)
    clock_offset: float = 0.0
    customers: dict[str, Json] = field(default_factory=dict)
    products: dict[str, Json] = field(default_factory=dict)
    prices: dict[str, Json] = field(default_factory=dict)
    checkout_sessions: dict[str, Json] = field(default_factory=dict)
    subscriptions: dict[str, Json] = field(default_factory=dict)
    subscription_schedules: dict[str, Json] = field(default_factory=dict)
    coupons: dict[str, Json] = field(default_factory=dict)
    promotion_codes: dict[str, Json] = field(default_factory=dict)
    discounts: dict[str, Json] = field(default_factory=dict)
    invoices: dict[str, Json] = field(default_factory=dict)
    events: dict[str, Json] = field(default_factory=dict)
    webhook_endpoints: dict[str, Json] = field(default_factory=dict)
    portal_sessions: dict[str, Json] = field(default_factory=dict)
    portal_configurations: dict[str, Json] = field(default_factory=dict)
    test_clocks: dict[str, Json] = field(default_factory=dict)
    payment_methods: dict[str, PaymentMethod] = field(default_factory=dict)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    checkout_extras: dict[str, CheckoutExtras] = field(default_factory=dict)
    cycles: dict[str, Cycle] = field(default_factory=dict)
    first_failure: dict[str, int] = field(default_factory=dict)
    """Invoice id -> time of its first failed payment (retries are counted from it)."""
    pending_items: dict[str, list[Json]] = field(default_factory=dict)
    """Subscription id -> prorations waiting for its next invoice (Stripe's pending
    invoice items): ``{"id", "item", "period", "amount", "description"}``."""
    trial_notices: dict[str, int] = field(default_factory=dict)
    """Subscription id -> the ``trial_end`` its ``trial_will_end`` event announced."""
    listeners: list[EventListener] = field(default_factory=list)
    base_url: str = "http://127.0.0.1"
    """Where the emulator is served, for the URLs of its hosted pages."""
    portal_configuration: str = field(default_factory=lambda: new_id("bpc_"))
    """The id of the default billing-portal configuration (:meth:`default_portal_configuration`)."""

    # -- clocks ---------------------------------------------------------------

    def now(self, test_clock: str | None = None) -> int:
        """The time on a test clock, or on the default clock (real time + offset)."""
        if test_clock is not None:
            clock = self.test_clocks.get(test_clock)
            if clock is not None:
                return int(clock["frozen_time"])
        return int(time.time() + self.clock_offset)

    def now_for_customer(self, customer_id: str | None) -> int:
        """The time on the clock of ``customer_id`` (the default clock when None)."""
        customer = self.customers.get(customer_id) if customer_id else None
        return self.now(customer["test_clock"] if customer else None)

    def default_portal_configuration(self) -> Json:
        """The default billing-portal configuration, made on first need under its id (an
        older state file kept only the id)."""
        configuration = self.portal_configurations.get(self.portal_configuration)
        if configuration is None:
            configuration = objects.portal_configuration(
                configuration_id=self.portal_configuration,
                created=self.now(),
                features=built_in_features(),
                is_default=True,
            )
            self.portal_configurations[self.portal_configuration] = configuration
        return configuration

    # -- lookups --------------------------------------------------------------

    def find(self, object_id: str) -> Json | None:
        """Any stored object by id, whatever its kind (a saved card as its
        ``payment_method``)."""
        if object_id.startswith("pm_"):
            method = self.payment_methods.get(object_id)
            return method.as_object() if method is not None else None
        for prefix, (attribute, _) in _KINDS.items():
            if object_id.startswith(prefix):
                collection: dict[str, Json] = getattr(self, attribute)
                return collection.get(object_id)
        return self.coupons.get(object_id)  # a coupon's id is chosen freely

    def get(self, collection: dict[str, Json], object_id: str, kind: str) -> Json:
        """The object with ``object_id`` or a 404 ``resource_missing`` error."""
        obj = collection.get(object_id)
        if obj is None:
            raise resource_missing(kind, object_id)
        return obj

    def get_param(self, collection: dict[str, Json], object_id: str, kind: str, param: str) -> Json:
        """The object named by a request parameter, or a 400 ``resource_missing`` error."""
        obj = collection.get(object_id)
        if obj is None:
            raise resource_missing(kind, object_id, param=param)
        return obj

    # -- events ---------------------------------------------------------------

    def record_event(
        self,
        event_type: str,
        obj: Json,
        *,
        created: int,
        previous_attributes: Json | None = None,
    ) -> Json:
        """Record an event carrying a snapshot of ``obj`` and hand it to the listeners."""
        context = current_request.get()
        endpoints = [
            endpoint
            for endpoint in self.webhook_endpoints.values()
            if endpoint_wants(endpoint, event_type)
        ]
        event = objects.event(
            event_type=event_type,
            created=created,
            data_object=copy.deepcopy(obj),
            previous_attributes=copy.deepcopy(previous_attributes),
            pending_webhooks=len(endpoints),
            request_id=context.request_id if context else None,
            idempotency_key=context.idempotency_key if context else None,
        )
        self.events[event["id"]] = event
        for listener in self.listeners:
            listener(event)
        return event

    def mark_delivered(self, event_id: str) -> None:
        """One endpoint received ``event_id``: count it off ``pending_webhooks``."""
        with self.lock:
            event = self.events.get(event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def events_of(self, object_id: str) -> list[Json]:
        """The events about ``object_id``, oldest first (a helper for tests)."""
        with self.lock:
            return [
                copy.deepcopy(event)
                for event in self.events.values()
                if event["data"]["object"].get("id") == object_id
            ]

    # -- rendering ------------------------------------------------------------

    def render(self, obj: Json, expand: list[str] | None = None) -> Json:
        """A copy of ``obj`` for a response, with the ``expand`` paths expanded."""
        result = copy.deepcopy(obj)
        for path in expand or []:
            self._expand(result, path.split("."), path, depth=0)
        return result

    def _expand(self, node: Json, parts: list[str], path: str, depth: int) -> None:
        if depth >= 4:
            raise StripeError(
                f"You cannot expand more than 4 levels of a property. Property: {path}",
                param="expand",
            )
        key, rest = parts[0], parts[1:]
        if key not in node:
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        value = node[key]
        if value is None:
            return
        if isinstance(value, str):
            target = self.find(value)
            if target is None:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            value = copy.deepcopy(target)
            node[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            found = [self.find(v) for v in value]  # a list of ids (a subscription's discounts)
            if any(target is None for target in found):
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            value = [copy.deepcopy(target) for target in found]
            node[key] = value
        if not rest:
            return
        if isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    self._expand(element, rest, path, depth + 1)
        elif isinstance(value, dict):
            self._expand(value, rest, path, depth + 1)
        else:
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")


def endpoint_wants(endpoint: Json, event_type: str) -> bool:
    """True when a webhook endpoint is enabled and subscribed to ``event_type``."""
    if endpoint["status"] != "enabled":
        return False
    return any(wanted in ("*", event_type) for wanted in endpoint["enabled_events"])
