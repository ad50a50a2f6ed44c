"""Rate limits (Flask-Limiter) on the forms that cost a password hash.

Log-in: per account and per address. Register: per address. Every POST counts, and
is counted before any hashing starts: counting only failures afterwards (what would
spare a person who types the password right) lets parallel guesses all pass the check
before any of them is counted. Counters live in memory by default, in Redis when
RATELIMIT_STORAGE_URI names one (several workers then share them). Over the limit:
429 and a page.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from entrypoints.settings import Settings


def _account_key() -> str:
    # The email as typed, normalised like EmailAddress; hashed so no address is stored.
    email = (request.form.get("email") or "").strip().lower()[:320]
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        strategy="moving-window",
        headers_enabled=True,
    )

    def limit(endpoint: str, rate: str, key: Callable[[], str], scope: str) -> None:
        view: Callable[..., Any] = app.view_functions[endpoint]
        decorate = limiter.limit(rate, key_func=key, methods=["POST"], scope=scope)
        app.view_functions[endpoint] = decorate(view)

    limit("auth.login", settings.login_rate_limit, _account_key, "login-account")
    limit("auth.login", settings.login_rate_limit_per_address, _address_key, "login-address")
    limit("auth.register", settings.register_rate_limit, _address_key, "register-address")
    return limiter
