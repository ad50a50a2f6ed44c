"""The billing-portal configuration made for the catalog: what `stripe-provision` asks
Stripe for (the plan-change policy, in the portal's terms), and how the gateway finds it.

The policy (README, "Plans"): an upgrade applies now and the prorated difference is
invoiced and charged at once (`always_invoice`); a downgrade waits for the end of the
period, with no proration; a trial goes on. The portal knows prices, not plan ranks:
it calls a switch a downgrade when the new price's amount per its own period is lower
(`decreasing_item_amount`) or its interval shorter (`shortening_interval`).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from application.ports import PortalConfiguration

MARKER = ("premium_notes_catalog", "1")
"""The metadata that marks the configuration as the catalog's (one per Stripe account)."""
HEADLINE = "Premium Notes: your plan and billing"


def configuration_params(products: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The create (and update) parameters for switches between `products`' prices
    (product id -> its catalog price ids)."""
    return {
        "business_profile": {"headline": HEADLINE},
        "features": {
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "products": [
                    {"product": product, "prices": list(prices)}
                    for product, prices in products.items()
                ],
                "proration_behavior": "always_invoice",
                "schedule_at_period_end": {
                    "conditions": [
                        {"type": "decreasing_item_amount"},
                        {"type": "shortening_interval"},
                    ]
                },
                # The portal cannot tell a trial begun without a card: continuing it on
                # the new plan would open a plan whose own trial asks for a card, free.
                # Ending the trial charges the new price now (no card: no switch).
                "trial_update_behavior": "end_trial",
            },
            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            "payment_method_update": {"enabled": True},
            "invoice_history": {"enabled": True},
        },
        "metadata": {MARKER[0]: MARKER[1]},
    }


def ours(configurations: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest active configuration marked as the catalog's, if any."""
    marked = [
        c
        for c in configurations
        if c.get("active") and (c.get("metadata") or {}).get(MARKER[0]) == MARKER[1]
    ]
    return max(marked, key=lambda c: (c.get("created") or 0, str(c.get("id"))), default=None)


def portal_configuration_of(data: Mapping[str, Any]) -> PortalConfiguration:
    update = (data.get("features") or {}).get("subscription_update") or {}
    prices = {str(price) for product in update.get("products") or [] for price in product["prices"]}
    if not update.get("enabled"):
        prices = set()  # switches are off: the portal offers none of them
    return PortalConfiguration(id=str(data["id"]), price_ids=frozenset(prices))
