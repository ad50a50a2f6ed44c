"""The ``/v1`` REST API: parse Stripe-encoded parameters, act on the state, answer JSON.

Authentication, idempotency keys and error bodies are handled in
:mod:`stripe_emulator.server`; every handler runs with ``g.params`` (the decoded
parameters) and holds the store's lock while it reads or changes state. The
routes are grouped by resource; importing the modules registers them on
:data:`api`.
"""

from . import (
    billing_portal,
    catalog,
    checkout_sessions,
    customers,
    discounts,
    events,
    invoices,
    payment_methods,
    portal_configurations,
    subscription_schedules,
    subscriptions,
    test_clocks,
    webhook_endpoints,
)
from .common import api, json_response

__all__ = [
    "api",
    "billing_portal",
    "catalog",
    "checkout_sessions",
    "customers",
    "discounts",
    "events",
    "invoices",
    "json_response",
    "payment_methods",
    "portal_configurations",
    "subscription_schedules",
    "subscriptions",
    "test_clocks",
    "webhook_endpoints",
]
