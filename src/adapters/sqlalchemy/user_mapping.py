"""A user as the columns of its row, and back: one mapping for the ORM rows and the
Core statements of the repository alike.

The emailed links' tokens (only digests of their secrets) are one JSON column,
`account_tokens`: a list of {purpose, digest, expires_at, address}. Nothing queries
them; they are read and written with their user.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.account_tokens import AccountToken, TokenPurpose
from domain.email import EmailAddress
from domain.subscription import Subscription
from domain.user import User

# The columns `save` writes (the id, created_at and the version are not among them).
CHANGEABLE = (
    "email",
    "password_hash",
    "customer_id",
    "session_generation",
    "email_verified_at",
    "account_tokens",
)


def changeable_values(user: User) -> dict[str, Any]:
    """The user's values of the CHANGEABLE columns."""
    return {
        "email": user.email.value,
        "password_hash": user.password_hash,
        "customer_id": user.customer_id,
        "session_generation": user.session_generation,
        "email_verified_at": user.email_verified_at,
        "account_tokens": tokens_to_json(user.tokens),
    }


def user_of(values: Mapping[str, Any], subscriptions: dict[str, Subscription]) -> User:
    """The user whose row holds `values` (column: value)."""
    return User(
        id=values["id"],
        email=EmailAddress(values["email"]),
        password_hash=values["password_hash"],
        created_at=values["created_at"],
        customer_id=values["customer_id"],
        subscriptions=subscriptions,
        session_generation=values["session_generation"],
        email_verified_at=values["email_verified_at"],
        tokens=tokens_from_json(values["account_tokens"]),
    )


def tokens_to_json(tokens: Mapping[TokenPurpose, AccountToken]) -> str | None:
    if not tokens:
        return None
    return json.dumps(
        [
            {
                "purpose": token.purpose.value,
                "digest": token.digest,
                "expires_at": token.expires_at.isoformat(),
                "address": token.address.value if token.address else None,
            }
            for token in tokens.values()
        ]
    )


def tokens_from_json(text: str | None) -> dict[TokenPurpose, AccountToken]:
    if not text:
        return {}
    tokens = {}
    for item in json.loads(text):
        token = AccountToken(
            purpose=TokenPurpose(item["purpose"]),
            digest=item["digest"],
            expires_at=datetime.fromisoformat(item["expires_at"]),
            address=EmailAddress(item["address"]) if item.get("address") else None,
        )
        tokens[token.purpose] = token
    return tokens
