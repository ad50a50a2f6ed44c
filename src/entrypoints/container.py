"""The dependency-injector container: which adapter serves which port.

Nothing happens at import time: providers build their objects on first use, after
`create_app()` has given the container its settings. Tests replace one provider with
`container.x.override(fake)`.
"""

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from celery import Celery
from dependency_injector import containers, providers
from sqlalchemy import Engine

from adapters.argon2_hasher import Argon2PasswordHasher
from adapters.broker import broker_problem
from adapters.catalog_file import load_catalog
from adapters.celery_queue import CeleryEventQueue, CeleryOutboxNudge, producer_app
from adapters.emulator_clock import EmulatorClock
from adapters.mail import JinjaEmailRenderer, SmtpEmailSender
from adapters.note_files import FolderNoteLibrary
from adapters.sqlalchemy.database import create_database_engine, create_session_factory
from adapters.sqlalchemy.inbox_backlog import read_inbox_backlog
from adapters.sqlalchemy.outbox_backlog import read_outbox_backlog
from adapters.sqlalchemy.schema_state import schema_problem
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.stripe import StripePaymentGateway, StripeSettings
from adapters.system_clock import SystemClock
from application.billing_notices import BillingNotices
from application.mail import Mailer, SiteLinks
from application.ports import Clock, EmailSender, PaymentGateway
from application.use_cases.access_content import AccessContent
from application.use_cases.apply_undelivered_events import ApplyUndeliveredEvents
from application.use_cases.authenticate_user import (
    AuthenticateUser,
    FailureFloor,
    make_dummy_hash,
)
from application.use_cases.cancel_subscription import CancelSubscription
from application.use_cases.change_password import ChangePassword
from application.use_cases.change_plan import ChangePlan
from application.use_cases.check_reset_link import CheckResetLink
from application.use_cases.confirm_checkout import ConfirmCheckout
from application.use_cases.delete_account import DeleteAccount
from application.use_cases.deliver_outbox import (
    LEASE,
    RETRY_DELAYS,
    DeliverOutbox,
    DeliverOutboxCommand,
    DeliveryReport,
)
from application.use_cases.get_account import GetAccount
from application.use_cases.get_plan_in_force import GetPlanInForce
from application.use_cases.handle_billing_event import HandleBillingEvent
from application.use_cases.keep_current_plan import KeepCurrentPlan
from application.use_cases.list_notes import ListNotes
from application.use_cases.log_out import LogOut
from application.use_cases.open_billing_portal import OpenBillingPortal
from application.use_cases.preview_plan_change import PreviewPlanChange
from application.use_cases.queued_billing_events import (
    ApplyReceivedEvent,
    ReceiveBillingEvent,
    SweepReceivedEvents,
)
from application.use_cases.read_note import ReadNote
from application.use_cases.reconcile_subscriptions import ReconcileSubscriptions
from application.use_cases.register_user import RegisterUser
from application.use_cases.replay_events import ReplayEvents
from application.use_cases.request_email_change import RequestEmailChange
from application.use_cases.request_password_reset import RequestPasswordReset
from application.use_cases.reset_password import ResetPassword
from application.use_cases.resume_subscription import ResumeSubscription
from application.use_cases.send_verification_email import SendVerificationEmail
from application.use_cases.start_subscription import StartSubscription
from application.use_cases.verify_email import VerifyEmail
from domain.access import AccessPolicy
from domain.catalog import Catalog, CatalogError, single_plan
from domain.errors import EmailDeliveryFailed, PaymentProviderError
from entrypoints.metrics import CountedBillingEvents, ScrapeGauge, inbox_gauges, outbox_gauges
from entrypoints.outbox_delivery import OutboxDeliveryThread, OutboxTaskSender
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def build_payment_gateway(settings: Settings) -> PaymentGateway:
    if not settings.stripe_secret_key:
        raise PaymentProviderError("Payments are not configured on this server.")
    return StripePaymentGateway(
        StripeSettings(
            secret_key=settings.stripe_secret_key,
            webhook_secrets=settings.stripe_webhook_secrets,
            api_base=settings.stripe_api_base,
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    )


def build_email_sender(settings: Settings) -> EmailSender:
    """The SMTP adapter at SMTP_URL (in `make run`, its local mail server)."""
    if settings.smtp_server is None:
        raise EmailDeliveryFailed("email is not configured on this server: set SMTP_URL")
    return SmtpEmailSender(settings.smtp_server, settings.mail_from)


def build_catalog(settings: Settings, gateway: Callable[[], PaymentGateway]) -> Catalog:
    """What this product sells, with each price as the payment provider charges it.

    The catalog file's lookup keys are resolved once, through the gateway (one
    `find_prices`), and kept for the process; a key the provider does not know is a
    `CatalogError` naming it. Without payments configured nothing is resolved, so
    nothing is sold. Without a catalog file (STRIPE_PRICE_ID, deprecated): one plan at
    that price. STRIPE_GRANDFATHERED_PRICE_IDS give, under a catalog, the plan each names
    (`price_old=basic`), else the highest plan: what the one price used to give was every
    note. A plan named that the catalog does not have is a `CatalogError`.
    """
    entries = [entry.partition("=") for entry in settings.stripe_grandfathered_price_ids]
    if settings.catalog_file is None:
        return single_plan(settings.stripe_price_id or None, [p for p, _, _ in entries])
    catalog = load_catalog(settings.catalog_file)
    if entries:
        plans = {p: plan or catalog.highest.key for p, _, plan in entries}
        unknown = sorted(plan for plan in plans.values() if catalog.plan(plan) is None)
        if unknown:
            raise CatalogError(
                f"STRIPE_GRANDFATHERED_PRICE_IDS names no plan of the catalog: {', '.join(unknown)}"
            )
        catalog = replace(catalog, grandfathered=plans)
    if not settings.stripe_secret_key:
        log.warning("payments are not configured: the catalog's plans are not on sale")
        return catalog
    resolved = catalog.resolved(gateway().find_prices(catalog.lookup_keys))
    log.info("catalog %s: %d plan(s)", settings.catalog_file, len(resolved.plans))
    return resolved


def gateway_if_configured(gateway: Callable[[], PaymentGateway]) -> PaymentGateway | None:
    """The gateway, or None on a server without payments (pages that merely show billing
    details do without them)."""
    try:
        return gateway()
    except PaymentProviderError:
        return None


def build_portal_configuration(
    settings: Settings, gateway: Callable[[], PaymentGateway], catalog: Catalog
) -> str | None:
    """The billing-portal configuration portal sessions are opened with.

    Under a catalog file: the one `flask stripe-provision` made for it, found once at
    start-up (as the prices are) and checked to offer exactly the catalog's prices. One
    missing, or offering other prices, is a `CatalogError` naming the fix: Stripe's
    default configuration would let subscribers switch as the Dashboard says (to any
    price, or not at all, downgrades charged at once), so falling back to it would break
    the plan-change policy quietly. A one-price setup (STRIPE_PRICE_ID) and a server
    without payments open the provider's default: there is nothing to switch between.
    """
    if settings.catalog_file is None or not settings.stripe_secret_key:
        return None
    found = gateway().find_portal_configuration()
    if found is None:
        raise CatalogError(
            "the payment provider has no billing-portal configuration for the catalog "
            "(run `flask stripe-provision`)"
        )
    sold = {price.price_id for plan in catalog.plans for price in plan.prices}
    if found.price_ids != sold:
        raise CatalogError(
            f"the billing-portal configuration {found.id} offers switches between prices "
            "that are not the catalog's prices (run `flask stripe-provision`)"
        )
    return found.id


def build_access_policy(settings: Settings, catalog: Catalog) -> AccessPolicy:
    """Who reads what: the catalog's plans and the past-due grace."""
    return AccessPolicy(catalog, settings.past_due_grace)


def build_clock(settings: Settings) -> Clock:
    """The system clock; in the embedded default, the Stripe emulator's clock, so that
    moving it (renewals, failed payments, the grace) reaches the app's access rule."""
    if settings.emulator_clock_url:
        return EmulatorClock(settings.emulator_clock_url)
    return SystemClock()


def build_task_producer(settings: Settings) -> Celery:
    """What this process sends worker tasks with: the Celery broker at BROKER_URL."""
    if not settings.broker_url:
        raise RuntimeError("sending tasks needs BROKER_URL")
    return producer_app(settings.broker_url)


# How far ahead an entry may wait for its retry (the longest delay, and a lease).
OUTBOX_HORIZON = max(RETRY_DELAYS) + LEASE


def build_outbox_delivery(container: "Container") -> OutboxDeliveryThread:
    """The outbox sent from this process (entrypoints/outbox_delivery.py)."""

    def deliver() -> DeliveryReport:
        report: DeliveryReport = container.deliver_outbox().execute(DeliverOutboxCommand())
        return report

    def waiting() -> bool:
        with container.uow().reading() as uow:
            return bool(uow.outbox.due(container.clock().now() + OUTBOX_HORIZON, 1))

    return OutboxDeliveryThread(deliver, waiting)


def build_outbox_task_sender(producer: Celery) -> OutboxTaskSender:
    """With a worker: the delivery task sent from a thread of this process."""
    return OutboxTaskSender(CeleryOutboxNudge(producer))


def outbox_wake(
    settings: Settings,
    delivery: Callable[[], OutboxDeliveryThread],
    task_sender: Callable[[], OutboxTaskSender],
) -> Callable[[], None] | None:
    """What a commit that wrote to the outbox calls. With BROKER_URL: have the workers'
    delivery task sent (the broker down, the commit stands and beat's scheduled delivery
    sends the email later). Without: wake this process's sender thread. Either way the
    request only sets an event. None without SMTP_URL (nothing could be sent; `flask
    outbox deliver` says why)."""
    if settings.smtp_server is None:
        return None
    if settings.broker_url:
        return lambda: task_sender().wake()
    return lambda: delivery().wake()


def build_readiness_checks(
    settings: Settings, engine: Engine
) -> tuple[Callable[[], str | None], ...]:
    """What /readyz asks, in order: each answers None (fine) or a short reason. The
    database and its schema; the broker when one is configured."""
    checks: list[Callable[[], str | None]] = [partial(schema_problem, engine)]
    if settings.broker_url:
        checks.append(partial(broker_problem, settings.broker_url))
    return tuple(checks)


def build_scrape_gauges(engine: Engine, clock: Clock) -> tuple[ScrapeGauge, ...]:
    """What /metrics reads from the database at each scrape: the event inbox's backlog
    and the email outbox's."""
    return (
        inbox_gauges(partial(read_inbox_backlog, engine), clock),
        outbox_gauges(partial(read_outbox_backlog, engine), clock),
    )


class Container(containers.DeclarativeContainer):
    __self__ = providers.Self()
    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(create_database_engine, settings.provided.database_url)
    session_factory = providers.Singleton(create_session_factory, engine)
    outbox_delivery = providers.Singleton(build_outbox_delivery, __self__)
    task_producer = providers.Singleton(build_task_producer, settings)
    outbox_task_sender = providers.Singleton(build_outbox_task_sender, task_producer)
    uow = providers.Factory(
        SqlAlchemyUnitOfWork,
        session_factory,
        after_outbox_commit=providers.Callable(
            outbox_wake, settings, outbox_delivery.provider, outbox_task_sender.provider
        ),
    )
    hasher = providers.Singleton(Argon2PasswordHasher)
    clock = providers.Singleton(build_clock, settings)
    gateway = providers.Singleton(build_payment_gateway, settings)
    # The gateway's provider, not the gateway: a server without payments has a catalog.
    catalog = providers.Singleton(build_catalog, settings, gateway.provider)
    portal_configuration = providers.Singleton(
        build_portal_configuration, settings, gateway.provider, catalog
    )
    policy = providers.Singleton(build_access_policy, settings, catalog)
    notes = providers.Singleton(FolderNoteLibrary, settings.provided.notes_dir)
    email_sender = providers.Singleton(build_email_sender, settings)
    email_renderer = providers.Singleton(JinjaEmailRenderer)
    site_links = providers.Singleton(SiteLinks, settings.provided.site_url)
    mailer = providers.Singleton(Mailer, renderer=email_renderer, links=site_links)
    billing_notices = providers.Singleton(BillingNotices, mailer=mailer, policy=policy)
    deliver_outbox = providers.Factory(
        DeliverOutbox,
        uow=uow,
        sender=email_sender,
        clock=clock,
        message_id_domain=settings.provided.mail_domain,
    )

    register_user = providers.Factory(
        RegisterUser, uow=uow, hasher=hasher, clock=clock, mailer=mailer
    )
    request_password_reset = providers.Factory(
        RequestPasswordReset, uow=uow, clock=clock, mailer=mailer
    )
    check_reset_link = providers.Factory(CheckResetLink, uow=uow, clock=clock)
    reset_password = providers.Factory(
        ResetPassword, uow=uow, hasher=hasher, clock=clock, mailer=mailer
    )
    send_verification_email = providers.Factory(
        SendVerificationEmail, uow=uow, clock=clock, mailer=mailer
    )
    verify_email = providers.Factory(
        VerifyEmail,
        uow=uow,
        gateway=providers.Callable(gateway_if_configured, gateway.provider),
        clock=clock,
        mailer=mailer,
    )
    change_password = providers.Factory(
        ChangePassword, uow=uow, hasher=hasher, clock=clock, mailer=mailer
    )
    request_email_change = providers.Factory(
        RequestEmailChange, uow=uow, hasher=hasher, clock=clock, mailer=mailer
    )
    delete_account = providers.Factory(
        DeleteAccount,
        uow=uow,
        hasher=hasher,
        gateway=providers.Callable(gateway_if_configured, gateway.provider),
        clock=clock,
    )
    dummy_hash = providers.Singleton(make_dummy_hash, hasher)
    failure_floor = providers.Singleton(FailureFloor)
    authenticate_user = providers.Factory(
        AuthenticateUser, uow=uow, hasher=hasher, dummy_hash=dummy_hash, floor=failure_floor
    )
    log_out = providers.Factory(LogOut, uow=uow)
    access_content = providers.Factory(AccessContent, clock=clock, policy=policy)
    get_plan_in_force = providers.Factory(GetPlanInForce, clock=clock, policy=policy)
    read_note = providers.Factory(ReadNote, notes=notes, uow=uow, clock=clock, policy=policy)
    list_notes = providers.Factory(ListNotes, notes=notes, uow=uow, clock=clock, policy=policy)
    get_account = providers.Factory(
        GetAccount,
        uow=uow,
        clock=clock,
        policy=policy,
        gateway=providers.Callable(gateway_if_configured, gateway.provider),
    )
    preview_plan_change = providers.Factory(
        PreviewPlanChange, uow=uow, gateway=gateway, clock=clock, policy=policy
    )
    change_plan = providers.Factory(
        ChangePlan, uow=uow, gateway=gateway, clock=clock, policy=policy
    )
    keep_current_plan = providers.Factory(KeepCurrentPlan, uow=uow, gateway=gateway, policy=policy)
    cancel_subscription = providers.Factory(
        CancelSubscription, uow=uow, gateway=gateway, policy=policy
    )
    resume_subscription = providers.Factory(
        ResumeSubscription, uow=uow, gateway=gateway, policy=policy
    )
    start_subscription = providers.Factory(
        StartSubscription, uow=uow, gateway=gateway, clock=clock, policy=policy
    )
    confirm_checkout = providers.Factory(
        ConfirmCheckout, uow=uow, gateway=gateway, clock=clock, policy=policy
    )
    open_billing_portal = providers.Factory(
        OpenBillingPortal, uow=uow, gateway=gateway, portal_configuration=portal_configuration
    )
    apply_billing_event = providers.Factory(
        HandleBillingEvent,
        uow=uow,
        gateway=gateway,
        clock=clock,
        policy=policy,
        notices=billing_notices,
    )
    # What /webhook calls: the same use case, its outcomes counted for /metrics.
    handle_billing_event = providers.Factory(CountedBillingEvents, apply_billing_event)
    reconcile_subscriptions = providers.Factory(
        ReconcileSubscriptions, uow=uow, gateway=gateway, clock=clock
    )
    apply_undelivered_events = providers.Factory(
        ApplyUndeliveredEvents, gateway=gateway, clock=clock, handler=handle_billing_event
    )
    replay_events = providers.Factory(
        ReplayEvents, uow=uow, gateway=gateway, handler=apply_billing_event
    )
    # The queue mode (WEBHOOK_PROCESSING=queue): /webhook stores and sends, the worker's
    # task applies (the same use case as above, counted), the sweeper sends again.
    event_queue = providers.Singleton(CeleryEventQueue, task_producer)
    receive_billing_event = providers.Factory(
        ReceiveBillingEvent, uow=uow, clock=clock, queue=event_queue
    )
    apply_received_event = providers.Factory(
        ApplyReceivedEvent, uow=uow, gateway=gateway, handler=handle_billing_event
    )
    sweep_received_events = providers.Factory(
        SweepReceivedEvents,
        uow=uow,
        clock=clock,
        queue=event_queue,
        older_than=settings.provided.webhook_sweep_after,
    )

    readiness_checks = providers.Singleton(build_readiness_checks, settings, engine)
    scrape_gauges = providers.Singleton(build_scrape_gauges, engine, clock)
