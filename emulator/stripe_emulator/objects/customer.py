"""A customer."""

from __future__ import annotations

from ..ids import new_id
from .common import Json


def customer(
    *,
    created: int,
    email: str | None,
    test_clock: str | None,
    invoice_prefix: str,
) -> Json:
    """A new customer; the caller sets what the request gave (``name``, ``address``...)."""
    return {
        "id": new_id("cus_"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": test_clock,
    }
