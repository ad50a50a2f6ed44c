"""Operator commands: `flask --app entrypoints.flask_app migrate | reconcile | events ...`."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from adapters.catalog_file import load_catalog
from adapters.sqlalchemy.availability import first_line
from adapters.sqlalchemy.database import migrate as run_migrations
from adapters.stripe.provision import ONE_PRICE, provision
from application.ports import EventStatus, OutboxStatus
from application.use_cases.apply_undelivered_events import ApplyUndeliveredEventsCommand
from application.use_cases.deliver_outbox import DeliverOutboxCommand
from application.use_cases.reconcile_subscriptions import ReconcileSubscriptionsCommand
from application.use_cases.replay_events import ReplayEventsCommand
from domain.catalog import CatalogError
from domain.email import EmailAddress
from domain.errors import DomainError, EmailDeliveryFailed, InvalidEmail
from entrypoints.flask_app.deps import container


@contextmanager
def _readable_errors() -> Iterator[None]:
    """A domain error (Stripe not configured or unreachable) or a catalog the provider
    does not match as one line, no traceback."""
    try:
        yield
    except DomainError as error:  # str(): the message, and what failed where it says more
        raise click.ClickException(str(error)) from error
    except CatalogError as error:
        raise click.ClickException(str(error)) from error


def register(app: Flask) -> None:
    app.cli.add_command(stripe_provision)
    app.cli.add_command(migrate)
    app.cli.add_command(reconcile)
    app.cli.add_command(events)
    app.cli.add_command(send_test_email)
    app.cli.add_command(outbox)


@click.command()
@with_appcontext
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    try:
        run_migrations(container().engine())
    except DBAPIError as error:
        raise click.ClickException(f"the database cannot be reached: {first_line(error)}") from None
    click.echo("database schema is up to date")


@click.command()
@with_appcontext
def reconcile() -> None:
    """Pull every known subscription from the payment provider and fix drift."""
    with _readable_errors():
        report = container().reconcile_subscriptions().execute(ReconcileSubscriptionsCommand())
    for change in report.changes:
        click.echo(f"changed  {change.describe()}")
    for email, reason in report.failures.items():
        click.echo(f"failed   {email}: {reason}")
    click.echo(f"checked {report.checked_users} user(s), changed {len(report.changes)}")
    if report.failures:
        raise SystemExit(1)


@click.group(cls=AppGroup)
def events() -> None:
    """The inbox of verified payment-provider events."""


@events.command("list")
@click.option("--status", type=click.Choice([s.value for s in EventStatus]), default=None)
def list_events(status: str | None) -> None:
    """List stored events, oldest first."""
    with container().uow() as uow:
        records = uow.events.list(EventStatus(status) if status else None)
    for record in records:
        detail = record.error or record.note or ""
        click.echo(
            f"{record.received_at:%Y-%m-%d %H:%M:%S}  {record.event_id}  "
            f"{record.provider_type}  {record.status.value}  {detail}"
        )


@events.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Replay every failed event.")
def replay(event_ids: tuple[str, ...], all_failed: bool) -> None:
    """Re-run failed events, by id or all of them."""
    if not event_ids and not all_failed:
        raise click.UsageError("name event ids, or pass --all-failed")
    with _readable_errors():
        report = container().replay_events().execute(ReplayEventsCommand(event_ids))
    for event_id in report.replayed:
        click.echo(f"replayed {event_id}")
    for event_id, reason in report.skipped.items():
        click.echo(f"skipped  {event_id}: {reason}")
    for event_id, reason in report.failed.items():
        click.echo(f"failed   {event_id}: {reason}")
    if report.failed:
        raise SystemExit(1)


@events.command("catch-up")
@click.option(
    "--hours",
    type=click.FloatRange(1, 720),
    default=None,
    help="How far back to ask (default UNDELIVERED_EVENTS_LOOKBACK_HOURS).",
)
def catch_up(hours: float | None) -> None:
    """Apply the events the provider could not deliver to the webhook endpoint."""
    settings = container().settings()
    lookback = timedelta(hours=hours) if hours else settings.undelivered_events_lookback
    with _readable_errors():
        report = (
            container().apply_undelivered_events().execute(ApplyUndeliveredEventsCommand(lookback))
        )
    for event_id in report.applied:
        click.echo(f"applied  {event_id}")
    for event_id, reason in report.failed.items():
        click.echo(f"failed   {event_id}: {reason}")
    click.echo(
        f"listed {report.listed} undelivered event(s): applied {len(report.applied)}, "
        f"already received {len(report.duplicates)}, failed {len(report.failed)}"
    )
    if report.failed:
        raise SystemExit(1)


@click.command("stripe-provision")
@with_appcontext
@click.option("--webhook-url", required=True, help="Public URL of this service's /webhook.")
def stripe_provision(webhook_url: str) -> None:
    """Create the catalog's products and prices (by lookup_key; those that exist are
    kept), the billing portal's configuration for the catalog (one, updated) and the
    webhook endpoint in the Stripe account of STRIPE_SECRET_KEY, and print what to put
    in the environment."""
    settings = container().settings()
    if settings.local_default:
        # The emulator of `make run` is provisioned by `make run`; an endpoint for
        # another URL there would be sent every event forever.
        click.echo(
            "make run has provisioned its Stripe emulator already (the catalog's prices, "
            "the billing portal's configuration and its webhook); set STRIPE_SECRET_KEY "
            "to provision a Stripe test account instead. Nothing was created."
        )
        return
    if not settings.stripe_secret_key:
        raise click.UsageError("set STRIPE_SECRET_KEY (a sk_test_... key) first")
    with _readable_errors():
        catalog = load_catalog(settings.catalog_file) if settings.catalog_file else ONE_PRICE
    made = provision(
        settings.stripe_secret_key,
        webhook_url=webhook_url,
        api_base=settings.stripe_api_base,
        catalog=catalog,
        portal=settings.catalog_file is not None,
    )
    for lookup_key, price_id in made.prices.items():
        click.echo(f"# {lookup_key}: {price_id}")
    if made.portal_configuration_id:
        click.echo(f"# billing portal: {made.portal_configuration_id}")
    if settings.catalog_file is None:
        click.echo(f"STRIPE_PRICE_ID={made.price_id}")
    click.echo(f"STRIPE_WEBHOOK_SECRET={made.webhook_secret}")


@click.command("send-test-email")
@with_appcontext
@click.argument("address")
def send_test_email(address: str) -> None:
    """Send a test email to ADDRESS through SMTP_URL (next to `make run`: to its local
    mail server), to check the email settings."""
    try:
        to = EmailAddress(address)
    except InvalidEmail as error:
        raise click.BadParameter(error.message, param_hint="ADDRESS") from None
    settings = container().settings()
    message = (
        container()
        .email_renderer()
        .render(
            "test_email",
            to,
            {
                "sent_at": f"{container().clock().now():%Y-%m-%d %H:%M:%S} UTC",
                "site_url": settings.base_url,
            },
        )
    )
    try:
        container().email_sender().send(message)
    except EmailDeliveryFailed as error:
        raise click.ClickException(error.detail or error.message) from None
    click.echo(f"sent to {to} through {settings.smtp_server}")


@click.group(cls=AppGroup)
def outbox() -> None:
    """Emails waiting to be sent, sent, or given up."""


@outbox.command("list")
@click.option("--status", type=click.Choice([s.value for s in OutboxStatus]), default=None)
def list_outbox(status: str | None) -> None:
    """List outbox entries, oldest first."""
    with container().uow().reading() as uow:
        entries = uow.outbox.list(OutboxStatus(status) if status else None)
    for entry in entries:
        when = entry.sent_at or entry.next_attempt_at or entry.created_at
        click.echo(
            f"{entry.created_at:%Y-%m-%d %H:%M:%S}  {entry.id}  {entry.message.to}  "
            f"{entry.status.value}  attempts={entry.attempts}  {when:%Y-%m-%d %H:%M:%S}  "
            f"{entry.last_error or ''}".rstrip()
        )


@outbox.command("deliver")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def deliver_outbox(limit: int) -> None:
    """Send the due emails now (each once; failures are retried later)."""
    with _readable_errors():
        report = container().deliver_outbox().execute(DeliverOutboxCommand(limit))
    for entry_id in report.sent:
        click.echo(f"sent      {entry_id}")
    for entry_id, reason in report.retrying.items():
        click.echo(f"retrying  {entry_id}: {reason}")
    for entry_id, reason in report.given_up.items():
        click.echo(f"given up  {entry_id}: {reason}")
    click.echo(
        f"sent {len(report.sent)}, retrying {len(report.retrying)}, given up {len(report.given_up)}"
    )
    if report.retrying or report.given_up:
        raise SystemExit(1)
