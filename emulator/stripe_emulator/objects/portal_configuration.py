"""A billing-portal configuration, and the features it has when none are given."""

from __future__ import annotations

import copy

from ..ids import new_id
from .common import Json

DISABLED_FEATURES: Json = {
    "customer_update": {"allowed_updates": [], "enabled": False},
    "invoice_history": {"enabled": False},
    "payment_method_update": {"enabled": False, "payment_method_configuration": None},
    "subscription_cancel": {
        "cancellation_reason": {"enabled": False, "options": []},
        "enabled": False,
        "mode": "at_period_end",
        "proration_behavior": "none",
    },
    "subscription_update": {
        "billing_cycle_anchor": None,
        "default_allowed_updates": [],
        "enabled": False,
        "products": [],
        "proration_behavior": "none",
        "schedule_at_period_end": {"conditions": []},
        "trial_update_behavior": "end_trial",
    },
}
"""A feature a create request does not name is off, with Stripe's defaults."""

BUILT_IN_CANCEL: Json = {
    **DISABLED_FEATURES["subscription_cancel"],
    "enabled": True,
}
"""The default configuration's cancellation, as the emulator always offered it."""


def disabled_features() -> Json:
    return copy.deepcopy(DISABLED_FEATURES)


def built_in_features() -> Json:
    """The features of the default configuration the emulator starts with, as a Dashboard
    would have saved them: invoices, the card and cancellation; no plan switches."""
    features = disabled_features()
    features["invoice_history"]["enabled"] = True
    features["payment_method_update"]["enabled"] = True
    features["subscription_cancel"] = copy.deepcopy(BUILT_IN_CANCEL)
    return features


def portal_product(product_id: str, prices: list[str]) -> Json:
    """One entry of ``features.subscription_update.products``."""
    return {
        "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": 1},
        "prices": list(prices),
        "product": product_id,
    }


def portal_configuration(
    *,
    created: int,
    features: Json,
    is_default: bool = False,
    configuration_id: str | None = None,
    business_profile: Json | None = None,
    default_return_url: str | None = None,
    metadata: dict[str, str] | None = None,
    name: str | None = None,
) -> Json:
    return {
        "id": configuration_id or new_id("bpc_"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": business_profile
        or {"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
        "created": created,
        "default_return_url": default_return_url,
        "features": features,
        "is_default": is_default,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": metadata or {},
        "name": name,
        "updated": created,
    }
