"""Log-in rate limits (Flask-Limiter): per account and per address.

Only failed attempts count (a 401), so a person who types the password right is never
slowed down. Counters live in memory by default, in Redis when RATELIMIT_STORAGE_URI
names one (several workers then share them). Over the limit: 429 and a page.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from entrypoints.settings import Settings


def _account_key() -> str:
    # The email as typed, normalised like EmailAddress; hashed so no address is stored.
    email = (request.form.get("email") or "").strip().lower()[:320]
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _address_key() -> str:
    return "login-address:" + (get_remote_address() or "unknown")


def _failed(response: Response) -> bool:
    return response.status_code == 401


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage_uri,
        strategy="moving-window",
        headers_enabled=True,
    )
    login: Callable[..., Any] = app.view_functions["auth.login"]
    login = limiter.limit(
        settings.login_rate_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed
    )(login)
    login = limiter.limit(
        settings.login_rate_limit_per_address,
        key_func=_address_key,
        methods=["POST"],
        deduct_when=_failed,
    )(login)
    app.view_functions["auth.login"] = login
    return limiter
