"""The emulator's parts wired together, shared by the HTTP layer and the Python API."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from . import objects
from .checkout import Checkout
from .customers import Customers
from .delivery import DeliveryController, Target
from .engine import Engine
from .idempotency import IdempotencyCache
from .ids import new_id
from .invoice_page import InvoicePages
from .invoicing import Invoicing
from .lifecycle import SubscriptionLifecycle
from .objects import Json
from .payment_methods import PaymentMethods
from .plan_switches import PlanSwitches
from .portal import Portal
from .prorations import PlanChanges
from .renewals import Renewals
from .schedules import Schedules
from .state_file import StateFile
from .store import Store, endpoint_wants

log = logging.getLogger(__name__)


@dataclass
class Services:
    """State, billing logic, hosted-page flows and webhook delivery of one emulator.

    The billing logic is in parts a reader would name: payment methods
    (:class:`PaymentMethods`), invoicing (:class:`Invoicing`), what requests do to
    subscriptions (:class:`SubscriptionLifecycle`), customers, checkout and the
    portal, what time does to subscriptions (:class:`Renewals`) and the engine that
    runs it when it falls due (:class:`Engine`).

    With a ``state_file``, :meth:`persist` writes the state to it (after each change
    made over HTTP, each run of the billing engine, and at stop).
    """

    store: Store
    delivery: DeliveryController
    state_file: StateFile | None = None
    idempotency: IdempotencyCache = field(default_factory=IdempotencyCache)
    cards: PaymentMethods = field(init=False)
    invoicing: Invoicing = field(init=False)
    plans: PlanChanges = field(init=False)
    lifecycle: SubscriptionLifecycle = field(init=False)
    customers: Customers = field(init=False)
    checkout: Checkout = field(init=False)
    portal: Portal = field(init=False)
    invoice_pages: InvoicePages = field(init=False)
    renewals: Renewals = field(init=False)
    schedules: Schedules = field(init=False)
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        store = self.store
        self.cards = PaymentMethods(store)
        self.invoicing = Invoicing(store)
        self.plans = PlanChanges(store, self.cards, self.invoicing)
        self.lifecycle = SubscriptionLifecycle(store, self.cards, self.invoicing, self.plans)
        self.customers = Customers(store, self.lifecycle)
        self.checkout = Checkout(store, self.customers, self.cards, self.lifecycle)
        self.schedules = Schedules(store, self.lifecycle)
        switches = PlanSwitches(store, self.cards, self.invoicing, self.lifecycle, self.schedules)
        self.portal = Portal(store, self.cards, self.lifecycle, switches)
        self.invoice_pages = InvoicePages(store, self.cards, self.invoicing, self.lifecycle)
        self.renewals = Renewals(store, self.cards, self.invoicing, self.lifecycle)
        self.engine = Engine(
            store, self.invoicing, self.lifecycle, self.renewals, self.checkout, self.schedules
        )
        store.listeners.append(self._publish)

    def persist(self) -> None:
        """Save the state to the state file, if there is one.

        A failed write is logged, not raised: the state in memory stays right, and
        the next change tries again.
        """
        if self.state_file is None:
            return
        with self.store.lock:
            try:
                self.state_file.save(self.store, self.idempotency)
            except OSError as error:
                log.error("cannot save the emulator's state to %s: %s", self.state_file.path, error)

    def _publish(self, event: Json) -> None:
        """Hand a new event to the delivery thread (called under the store's lock)."""
        targets = [
            Target(endpoint["id"], endpoint["url"], self.store.webhook_secrets[endpoint["id"]])
            for endpoint in self.store.webhook_endpoints.values()
            if endpoint_wants(endpoint, event["type"])
        ]
        if targets:
            payload = json.dumps(event, indent=2)
            self.delivery.publish(event["id"], event["type"], payload, targets)

    def add_webhook_endpoint(
        self,
        *,
        url: str,
        enabled_events: list[str],
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        api_version: str | None = None,
        secret: str | None = None,
    ) -> Json:
        """Register an endpoint; the result carries its signing ``secret`` (only this once)."""
        with self.store.lock:
            endpoint = objects.webhook_endpoint(
                created=self.store.now(),
                url=url,
                enabled_events=list(enabled_events),
                description=description,
                metadata=metadata or {},
                api_version=api_version,
            )
            secret = secret or new_id("whsec_")
            self.store.webhook_endpoints[endpoint["id"]] = endpoint
            self.store.webhook_secrets[endpoint["id"]] = secret
            return {**endpoint, "secret": secret}
