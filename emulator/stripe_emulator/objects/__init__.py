"""Builders of Stripe-shaped objects (current API version), one module per resource.

Each builder returns a plain dict carrying every key of the same resource in
Stripe's ``fixtures3.json`` (except those the current API removed); values that
do not apply to the emulator are null, as Stripe answers for them. The builders
are written out in code on purpose: the emulator never reads the fixture file.
``objects.invoice(...)`` and the like are re-exported here.
"""

from .catalog import plan_from_price, price, product
from .checkout_session import checkout_customer_details, checkout_item, checkout_session
from .common import API_VERSION, Json, deleted_object, list_object
from .customer import customer
from .discount import coupon, discount, promotion_code
from .event import event
from .invoice import invoice, invoice_line
from .payment_method import payment_method
from .portal_configuration import portal_configuration, portal_product
from .portal_session import portal_session
from .subscription import subscription, subscription_item
from .subscription_schedule import schedule_phase, subscription_schedule
from .test_clock import test_clock
from .webhook_endpoint import webhook_endpoint

__all__ = [
    "API_VERSION",
    "Json",
    "checkout_customer_details",
    "checkout_item",
    "checkout_session",
    "coupon",
    "customer",
    "deleted_object",
    "discount",
    "event",
    "invoice",
    "invoice_line",
    "list_object",
    "payment_method",
    "plan_from_price",
    "portal_configuration",
    "portal_product",
    "portal_session",
    "price",
    "product",
    "promotion_code",
    "schedule_phase",
    "subscription",
    "subscription_item",
    "subscription_schedule",
    "test_clock",
    "webhook_endpoint",
]
