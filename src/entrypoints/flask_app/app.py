import gc
import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
from dotenv import find_dotenv, load_dotenv
from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from domain.catalog import CatalogError
from domain.errors import PaymentProviderError
from domain.notes import NoteError
from entrypoints.container import Container
from entrypoints.flask_app import (
    auth,
    cancel_views,
    checkout_views,
    cli,
    content,
    notes_views,
    operations_views,
    page_parts,
    password_reset_views,
    plan_change_views,
    pricing_views,
    settings_views,
    verification_views,
    webhook,
)
from entrypoints.flask_app.errors import register_error_handlers
from entrypoints.flask_app.layout import install_layout
from entrypoints.flask_app.log_redaction import redact_request_logs
from entrypoints.flask_app.rate_limit import install_rate_limits, warn_if_per_process_limits
from entrypoints.flask_app.redirects import safe_next
from entrypoints.flask_app.request_log import install_request_log
from entrypoints.flask_app.security import add_security_headers
from entrypoints.flask_app.session_cookie import (
    HttpsAwareSessionInterface,
    KeptCookiesRequest,
    kept_session_identifier,
)
from entrypoints.flask_app.session_user import SessionUser, parse_session_id
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings, settings_for_app

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """Build the app. Settings come from the environment (and `.env`) unless given.

    A container may be passed in with providers already overridden (tests).
    Built from the environment, as the Flask CLI or a WSGI server does, a setting
    that is missing or malformed, a malformed note, or a catalog whose prices the
    payment provider does not have, is one line on stderr and exit status 2: their
    loaders would show it as a traceback. Built from given settings, those are a
    `ConfigurationError` naming what is wrong.

    The catalog's prices, and the billing portal's configuration for it, are found at
    the provider here, once for the process; not for a Flask CLI command
    (`stripe-provision` creates them; the others find them when they need them).
    """
    from_env = settings is None
    if settings is None:
        load_dotenv(find_dotenv(usecwd=True))  # found from the working directory, as instance/
        try:
            settings = settings_for_app()
        except ConfigurationError as error:
            _stop(error)
        configure_logging(settings.log_format)  # the process's own: a WSGI server's worker
    container = container or Container()
    container.settings.override(settings)
    try:
        container.notes()  # every note read and checked now: a malformed one stops start-up
    except NoteError as error:
        if from_env:
            _stop(error)
        raise ConfigurationError(str(error)) from None
    if not (from_env and click.get_current_context(silent=True)):
        try:
            container.catalog()
            container.portal_configuration()
        except (CatalogError, PaymentProviderError) as error:
            problem = ConfigurationError(_catalog_problem(error))
            if from_env:
                _stop(problem)
            raise problem from None

    app = ServiceFlask(__name__)
    install_request_log(app)  # first: a request that a later hook refuses is logged too
    app.session_interface = HttpsAwareSessionInterface()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        BASE_URL=settings.base_url,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime,
        # The cookie is signed and sent again only when the session changed, not on every
        # answer: a log-in lasts SESSION_LIFETIME_MINUTES from the log-in, not from the
        # last visit.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["container"] = container

    csrf = CSRFProtect(app)
    csrf.exempt(webhook.bp)
    csrf.exempt(operations_views.bp)
    _csrf_only_where_it_checks(app)
    _set_up_login(app, container)
    register_error_handlers(app)
    install_layout(app)
    api_base = settings.stripe_api_base
    extra = (_origin(api_base),) if api_base else ()
    add_security_headers(app, extra)

    blueprints = (
        auth.bp,
        cancel_views.bp,
        checkout_views.bp,
        content.bp,
        notes_views.bp,
        password_reset_views.bp,
        plan_change_views.bp,
        pricing_views.bp,
        settings_views.bp,
        verification_views.bp,
    )
    for blueprint in (*blueprints, webhook.bp, operations_views.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["one_price_on_sale"] = lambda: _one_price(container)
    page_parts.install(app)
    install_rate_limits(app, settings)
    warn_if_per_process_limits(settings)
    if settings.trusted_proxy_hops:
        # Behind N proxies, the client's address and scheme come from their headers.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    cli.register(app)
    in_process_mail = settings.smtp_server is not None and not settings.broker_url
    if in_process_mail and not click.get_current_context(silent=True):
        # Mail a process left unsent (stopped, crashed) goes now, from the thread. With a
        # worker (BROKER_URL) it is the workers' (beat's scheduled delivery), never ours.
        container.outbox_delivery().wake_if_waiting()
    if from_env:
        # A served app's start-up objects (modules, SQLAlchemy's tables and compiled
        # statements, the notes: about 100,000) stay for the process's life: left out
        # of the collector's full passes, each of which took 50-60 ms of CPU here, a stall that
        # every request queued behind it waits out.
        gc.freeze()
    redact_request_logs()  # the tokens of emailed links never reach a request log
    return app


class ServiceFlask(Flask):
    """Flask, asking once per function whether it is a coroutine function: Flask asks
    (inspect) for every hook and view it calls, about ten times a request; its requests
    parse each Cookie header once (session_cookie.KeptCookiesRequest)."""

    request_class = KeptCookiesRequest

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


def _one_price(container: Container) -> bool:
    """Whether the catalog sells a single price (a one-price setup): a Subscribe button
    needs no choice then."""
    return sum(len(plan.prices) for plan in container.catalog().plans) == 1


def _catalog_problem(error: CatalogError | PaymentProviderError) -> str:
    if isinstance(error, CatalogError):
        return str(error)
    return f"the catalog could not be read from the payment provider: {error.message}"


def _stop(error: Exception) -> NoReturn:
    print(f"Configuration error: {error}", file=sys.stderr)
    raise SystemExit(2) from None


def _set_up_login(app: Flask, container: Container) -> None:
    # Flask-Login's own context processor loads the user (a database read) for every
    # template rendered, even a page that never shows the user: the error page for a
    # database that is down would then fail too. Templates get the lazy proxy instead,
    # which loads the user only when a template reads it.
    manager = LoginManager(app, add_context_processor=False)
    manager.session_protection = "basic"
    # Its identifier of the client, hashed once per client rather than per request (the
    # attribute is how Flask-Login lets it be replaced; the value is its own).
    manager._session_identifier_generator = kept_session_identifier

    app.jinja_env.globals["current_user"] = current_user

    @manager.user_loader
    def load_user(session_id: str) -> SessionUser | None:
        parsed = parse_session_id(session_id)
        if parsed is None:
            return None
        user_id, generation = parsed
        with container.uow().reading() as uow:
            user = uow.users.get(user_id)
        if user is None or user.session_generation != generation:
            return None  # the account is gone, or this session was logged out
        return SessionUser(user.id, user.email.value, generation, user)

    @manager.unauthorized_handler
    def unauthorized() -> Response:
        # Back to the same page after log-in; a path only, never a full URL. A form posted
        # from a page (Subscribe from /premium) cannot be replayed by a redirect: back to
        # that page instead.
        if request.method == "GET":
            target = request.full_path if request.query_string else request.path
        else:
            referrer = urlsplit(request.referrer or "")
            same_site = referrer.netloc in ("", request.host)
            target = safe_next(referrer.path if same_site else None, url_for("main.home"))
        return redirect(url_for("auth.login", next=target))


def _csrf_only_where_it_checks(app: Flask) -> None:
    """Flask-WTF's hook (the last before-request function CSRFProtect added) looks up
    the view's exemptions before the method; only the methods it checks (POST, PUT,
    PATCH, DELETE: WTF_CSRF_METHODS) reach it now, in its place among the hooks. A GET,
    which it never checks, skips that look-up."""
    hooks = app.before_request_funcs[None]
    protect = hooks[-1]
    if getattr(protect, "__name__", "") != "csrf_protect":
        return  # another Flask-WTF than the one this knows: its hook runs as it is

    def csrf_protect() -> Any:
        if request.method in app.config["WTF_CSRF_METHODS"]:
            return protect()
        return None

    hooks[-1] = csrf_protect


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
