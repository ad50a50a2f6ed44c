"""A billing-portal session."""

from __future__ import annotations

from .common import Json


def portal_session(
    *,
    session_id: str,
    created: int,
    customer_id: str,
    return_url: str | None,
    url: str,
    configuration: str,
    locale: str | None,
) -> Json:
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": configuration,
        "created": created,
        "customer": customer_id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": url,
    }
