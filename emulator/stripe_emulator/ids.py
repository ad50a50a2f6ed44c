"""Identifiers that look like Stripe's (``cus_QXg1o8vcGmoR32``)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits

# Body length after the prefix, close to what Stripe issues.
_LENGTHS = {"cus_": 14, "prod_": 14, "si_": 14, "req_": 14, "cs_test_": 58, "whsec_": 32}


def new_id(prefix: str) -> str:
    """A random id with ``prefix`` (``"cus_"``, ``"sub_"``, ``"cs_test_"``...)."""
    length = _LENGTHS.get(prefix, 24)
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
