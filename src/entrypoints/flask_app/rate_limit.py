"""Rate limits (Flask-Limiter) on the forms that cost a password hash or send an email.

Log-in: per account and per address. Register: per address. Asking for a password
reset: per email typed and per address (each sends an email to an address someone else
may own). A new verification link: per account. The settings forms that check the
password (change email, change password, delete): per account, as log-in; changing the
email (it mails the address typed) also per hour and per day, per account and per
address. Every POST counts, and
is counted before any hashing starts: counting only failures afterwards (what would
spare a person who types the password right) lets parallel guesses all pass the check
before any of them is counted. Counters live in memory by default, in Redis when
RATELIMIT_STORAGE_URI names one (several workers then share them; in memory, each
worker counts alone, and `warn_if_per_process_limits` says so at start-up). Over the
limit: 429 and a page.
"""

import hashlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from entrypoints.flask_app.forms import UnreadableSubmission, submitted_fields
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def _typed_email_key(prefix: str) -> Callable[[], str]:
    def key() -> str:
        """The email as the form reads it (form-encoded, multipart or JSON alike),
        normalised like EmailAddress; hashed so no address is stored."""
        try:
            email = submitted_fields().get("email", "")
        except UnreadableSubmission:
            # The form refuses this body with a 400 before any hashing. Not raised here:
            # Flask-Limiter handles an exception from a key function as a storage failure.
            email = ""
        email = email.strip().lower()[:320]
        return f"{prefix}:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()

    return key


_account_key = _typed_email_key("login-account")


def _signed_in_key() -> str:
    """The signed-in user (these forms need one; a visitor is sent to log in first)."""
    return "user:" + (current_user.id if current_user.is_authenticated else "anonymous")


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
    reset_email = _typed_email_key("reset-email")
    limit("reset.request_link", settings.reset_rate_limit, reset_email, "reset-email")
    limit(
        "reset.request_link", settings.reset_rate_limit_per_address, _address_key, "reset-address"
    )
    limit("verify.resend", settings.verify_rate_limit, _signed_in_key, "verify-resend")
    for endpoint in ("settings.change_email", "settings.change_password", "settings.delete"):
        limit(endpoint, settings.login_rate_limit, _signed_in_key, "settings-password")
    # Each change of email mails the address typed: capped by the hour and the day, per
    # account and per client address, so that no one uses the form to mail strangers.
    limit("settings.change_email", settings.email_change_rate_limit, _signed_in_key, "email-change")
    limit(
        "settings.change_email",
        settings.email_change_rate_limit_per_address,
        _address_key,
        "email-change-address",
    )
    _only_on_blueprints(app, limiter, ("auth", "reset", "verify", "settings"))
    return limiter


def _only_on_blueprints(app: Flask, limiter: Limiter, blueprints: tuple[str, ...]) -> None:
    """Run the limiter's request hooks on `blueprints`' routes only, where every limit is.

    Flask-Limiter hooks itself to every request of the app (for app-wide default limits,
    which we have none of): on a page or a webhook it would only cost time. The limits
    themselves are checked by the decorated views.
    """

    def is_limiters(hook: Callable[..., object]) -> bool:
        if isinstance(hook, partial):
            return bool(hook.args) and hook.args[0] is limiter
        return getattr(hook, "__self__", None) is limiter

    registries: list[dict[str | None, list[Any]]] = [
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    ]
    for registry in registries:
        hooks = registry.get(None, [])
        moved = [hook for hook in hooks if is_limiters(hook)]
        registry[None] = [hook for hook in hooks if not is_limiters(hook)]
        for blueprint in blueprints:
            registry.setdefault(blueprint, []).extend(moved)


def warn_if_per_process_limits(settings: Settings, workers: int | None = None) -> bool:
    """Log a warning, and return True, when the rate limits are counted in each
    process's memory while several processes may serve: each counts alone, so N workers
    allow N times every limit.

    `workers` is how many processes serve the app. None means unknown (`create_app`):
    then only the embedded local default (one process) is spared the warning. A server
    configuration that knows its worker count (gunicorn's) passes it.
    """
    if not settings.ratelimit_storage_uri.startswith("memory://"):
        return False
    several = not settings.local_default if workers is None else workers > 1
    if not several:
        return False
    count = str(workers) if workers else "N"
    log.warning(
        "Rate limits are counted in memory (RATELIMIT_STORAGE_URI=%s): each worker process "
        "counts alone, so %s workers allow %s times every limit (LOGIN_RATE_LIMIT and the "
        "others). Set RATELIMIT_STORAGE_URI=redis://HOST:6379/0 so that all workers share "
        "the counters.",
        settings.ratelimit_storage_uri,
        count,
        count,
    )
    return True
