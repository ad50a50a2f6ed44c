"""A card payment method, rendered from the emulator's side table of saved test cards."""

from __future__ import annotations

from .common import Json


def payment_method(
    *,
    method_id: str,
    number: str,
    customer: str | None,
    exp_month: int,
    exp_year: int,
    created: int,
) -> Json:
    """A saved card as Stripe shows it: brand, last four, expiry; never the number.

    Every test card the emulator knows is a Visa."""
    return {
        "id": method_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": "visa",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": "visa",
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": f"emu{number[-8:]}",
            "funding": "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": ["visa"], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
