"""The emulator's parts wired together, shared by the HTTP layer and the Python API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import objects
from .billing import Billing
from .checkout import Checkout, Portal
from .delivery import DeliveryController, Target
from .ids import new_id
from .store import Json, Store, endpoint_wants


@dataclass
class Services:
    """State, billing logic, hosted-page flows and webhook delivery of one emulator."""

    store: Store
    delivery: DeliveryController
    billing: Billing = field(init=False)
    checkout: Checkout = field(init=False)
    portal: Portal = field(init=False)

    def __post_init__(self) -> None:
        self.billing = Billing(self.store)
        self.checkout = Checkout(self.store, self.billing)
        self.portal = Portal(self.store, self.billing)
        self.store.listeners.append(self._publish)

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
