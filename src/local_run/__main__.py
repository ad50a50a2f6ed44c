"""`make run`: the service on the embedded defaults, or on real Stripe when keys are set.

Without STRIPE_SECRET_KEY, the Stripe emulator starts on 127.0.0.1
(STRIPE_EMULATOR_PORT, default 12111), the catalog's products and prices (catalog.toml,
or CATALOG_FILE) and the app's webhook are created in it through the Stripe API, and
the app's Stripe adapter points at it; the app sells that catalog (STRIPE_PRICE_ID is
not used there).
With a key set, the emulator is not started and nothing points at it.

Without SMTP_URL, the local mail server starts on 127.0.0.1 (SMTP on MAIL_SMTP_PORT,
default 1025; its web inbox on MAIL_WEB_PORT, default 8025, whose address is logged),
and the app's SMTP adapter sends to it: every email can be read offline.

The emulator keeps its state in instance/stripe-emulator.json, so a restart finds the
same customers, subscriptions, prices and webhook secret the app's database refers to;
the mail server keeps its mail in instance/mail/. Their addresses (and the webhook
secret) go to instance/local-run.env, where the Flask CLI
(`flask --app entrypoints.flask_app ...`) reads them when STRIPE_SECRET_KEY (SMTP_URL)
is not set.

Every port is bound before anything says it serves: a taken port is one line naming
the variable that moves it, and exit status 2. Ctrl-C or SIGTERM stops it cleanly.
"""

import errno
import logging
import os
import signal
import socket
import sys
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import stripe
from dotenv import find_dotenv, load_dotenv
from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import BaseWSGIServer, get_sockaddr, make_server, select_address_family

from adapters.catalog_file import load_catalog
from adapters.sqlalchemy.availability import first_line
from adapters.sqlalchemy.database import create_database_engine, migrate
from adapters.stripe.provision import provision
from domain.catalog import CatalogError
from entrypoints.flask_app import create_app
from entrypoints.jobs import InProcessScheduler, scheduled_jobs
from entrypoints.logs import configure_logging
from entrypoints.settings import (
    ConfigurationError,
    Settings,
    catalog_file_of,
    log_format_of,
    mail_ports,
    write_local_run_env,
)
from local_mail import MailServer, MailStateError, PortUnavailable
from stripe_emulator import Emulator, StateFileError

log = logging.getLogger("local_run")
EMULATOR_KEY = "sk_test_local_emulator"  # the emulator accepts any sk_test_ key
INSTANCE = Path("instance")
# The emulator's state outlives the process, as the app's database does: the customers
# and subscriptions the database names must still exist after a restart.
EMULATOR_STATE = INSTANCE / "stripe-emulator.json"
MAIL_STATE = INSTANCE / "mail"  # the mail, kept as the emulator's state is
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class StartUpError(Exception):
    """Start-up cannot go on; the message is the one line to print."""


def main() -> int:
    load_dotenv(find_dotenv(usecwd=True))  # beside instance/, in the working directory
    try:
        # Text unless LOG_FORMAT says json: a person reads these lines.
        configure_logging(log_format_of(os.environ, local_default=True))
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    # The app logs one line a request (request id, route, user id): werkzeug's own would
    # be a second one.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: one per SMTP session
    try:
        return _run()
    except StartUpError as error:
        print(error, file=sys.stderr)
        return 2


def _run() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = _port("PORT", 5000)
    emulator_port = _port("STRIPE_EMULATOR_PORT", 12111)
    try:
        smtp_port, inbox_port = mail_ports(os.environ)
    except ConfigurationError as error:
        raise StartUpError(f"Configuration error: {error}") from None
    local_default = not os.environ.get("STRIPE_SECRET_KEY")
    local_mail = not os.environ.get("SMTP_URL")
    # The development SECRET_KEY only where nobody else can reach the server.
    dev_secret_allowed = local_default and host in LOOPBACK
    if not dev_secret_allowed and not os.environ.get("SECRET_KEY"):
        raise StartUpError(
            f"Configuration error: SECRET_KEY is not set; serving on {host} with real "
            "Stripe keys or beyond this machine needs one."
        )
    # Whatever started is stopped on the way out, the last first.
    with ExitStack() as started:
        # The app's port first, so that nothing else starts when it is taken, and so
        # that PORT=0 (any free port) gives the webhook a real address.
        app_socket = _listen(host, port, "PORT")
        with app_socket:
            port = app_socket.getsockname()[1]
            written: dict[str, str] = {}
            if local_default:
                emulator, embedded = _start_emulator(host, port, emulator_port)
                started.callback(emulator.stop)
                written.update(embedded)
            if local_mail:
                mail = _start_mail_server(smtp_port, inbox_port)
                started.callback(mail.stop)
                written["SMTP_URL"] = mail.smtp_url
            if written:
                write_local_run_env(written)  # where the Flask CLI finds what started
            server = _make_app_server(host, port, app_socket, dev_secret_allowed)
            _start_scheduler(server.app, started)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            # Inside the try: a Ctrl-C right after this line (a script that waits for
            # it) is a clean stop too.
            log.info("Serving on http://%s:%s", _url_host(host), port)
            server.serve_forever()  # returns on Ctrl-C (werkzeug catches KeyboardInterrupt)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    log.info("Stopped")
    return 0


def _start_scheduler(app: Flask, started: ExitStack) -> None:
    """The scheduled jobs (reconcile), in this process: without BROKER_URL there is no
    Celery beat to send them. With it, `make beat` and `make worker` run them."""
    container = app.extensions["container"]
    settings = container.settings()
    if settings.broker_url:
        log.info("BROKER_URL is set: scheduled jobs are sent by make beat to make worker")
        return
    scheduler = InProcessScheduler(scheduled_jobs(settings), container)
    scheduler.start()
    started.callback(scheduler.stop)
    minutes = settings.reconcile_interval.total_seconds() / 60
    log.info("Reconcile runs in this process every %g minute(s) (no BROKER_URL)", minutes)


def _make_app_server(
    host: str, port: int, app_socket: socket.socket, dev_secret_allowed: bool
) -> BaseWSGIServer:
    """The app on its settings (the environment, with what was started), its database
    migrated, served on `app_socket`."""
    try:
        settings = Settings.from_env(local_default=dev_secret_allowed)
    except ConfigurationError as error:
        raise StartUpError(f"Configuration error: {error}") from None
    try:
        migrate(create_database_engine(settings.database_url))
    except DBAPIError as error:
        raise StartUpError(
            f"The database cannot be reached (DATABASE_URL): {first_line(error)}"
        ) from None
    try:
        app = create_app(settings)
    except ConfigurationError as error:  # a malformed note (NOTES_DIR)
        raise StartUpError(f"Configuration error: {error}") from None
    return make_server(host, port, app, threaded=True, fd=app_socket.fileno())


def _start_mail_server(smtp_port: int, inbox_port: int) -> MailServer:
    """The local mail server with its mail from instance/mail; the app sends to it."""
    try:
        mail = MailServer(smtp_port=smtp_port, web_port=inbox_port, state_dir=MAIL_STATE)
        mail.start()
    except MailStateError as error:
        raise StartUpError(f"Local mail server: {error}") from None
    except PortUnavailable as error:
        variable = "MAIL_SMTP_PORT" if error.role == "smtp" else "MAIL_WEB_PORT"
        raise StartUpError(_cannot_listen(MailServer.host, error.port, variable, error)) from None
    os.environ["SMTP_URL"] = mail.smtp_url
    log.info(
        "No SMTP_URL: email goes to the local mail server (SMTP %s); read it at %s",
        mail.smtp_address,
        mail.web_url,
    )
    return mail


def _start_emulator(host: str, port: int, emulator_port: int) -> tuple[Emulator, dict[str, str]]:
    """The Stripe emulator with its state from instance/, provisioned for the app, and
    the settings that point the app at it (set in the environment already)."""
    catalog_file = catalog_file_of({**os.environ, "STRIPE_PRICE_ID": ""})
    assert catalog_file is not None
    try:
        catalog = load_catalog(catalog_file)
    except CatalogError as error:
        raise StartUpError(f"Configuration error: {error}") from None
    try:
        emulator = Emulator(host="127.0.0.1", port=emulator_port, state_file=EMULATOR_STATE)
    except StateFileError as error:
        raise StartUpError(f"Stripe emulator: {error}") from None
    try:
        emulator.start()
    except OSError as error:
        raise StartUpError(
            _cannot_listen("127.0.0.1", emulator_port, "STRIPE_EMULATOR_PORT", error)
        ) from None
    try:
        app_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        base_url = os.environ.get("BASE_URL") or f"http://{_url_host(app_host)}:{port}"
        made = provision(
            EMULATOR_KEY,
            webhook_url=f"{base_url}/webhook",
            api_base=emulator.url,
            catalog=catalog,
        )
    except stripe.StripeError as error:
        emulator.stop()
        raise StartUpError(
            f"Stripe emulator: provisioning failed ({error.user_message or error}); "
            f"move {EMULATOR_STATE} away to start with an empty emulator."
        ) from None
    except BaseException:
        emulator.stop()
        raise
    embedded = {
        "STRIPE_SECRET_KEY": EMULATOR_KEY,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_WEBHOOK_SECRET": made.webhook_secret,
        # The app's clock follows the emulator's, so moving it reaches access rules.
        "STRIPE_EMULATOR_CLOCK_URL": f"{emulator.url}/_emulator/clock",
    }
    os.environ.update(embedded)
    os.environ["STRIPE_PRICE_ID"] = ""  # the embedded default sells the catalog
    log.info(
        "No STRIPE_SECRET_KEY: Stripe emulator at %s (%s: %s; webhooks to %s/webhook)",
        emulator.url,
        catalog_file,
        ", ".join(made.prices),
        base_url,
    )
    return emulator, embedded


def _port(variable: str, default: int) -> int:
    raw = os.environ.get(variable) or str(default)
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise StartUpError(
            f"Configuration error: {variable} must be a port number (0-65535), not {raw!r}."
        )
    return port


def _listen(host: str, port: int, variable: str) -> socket.socket:
    """A listening socket on host:port, or a StartUpError naming `variable`."""
    try:
        family = select_address_family(host, port)
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as error:
        raise StartUpError(_cannot_listen(host, port, variable, error)) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise StartUpError(_cannot_listen(host, port, variable, error)) from None
    return sock


def _cannot_listen(host: str, port: int, variable: str, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"Port {port} is in use: set {variable} to a free port."
    reason = error.strerror or str(error)
    where = f"HOST or {variable}" if variable == "PORT" else variable
    return f"Cannot listen on {host}:{port} ({reason}): check {where}."


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server as Ctrl-C does


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:  # Ctrl-C during start-up
        raise SystemExit(130) from None
