"""`make run`: the service on the embedded defaults, or on real Stripe when keys are set.

Without STRIPE_SECRET_KEY, the Stripe emulator starts on 127.0.0.1
(STRIPE_EMULATOR_PORT, default 12111), the catalog's products and prices (catalog.toml,
or CATALOG_FILE) and the app's webhook are created in it through the Stripe API, and
the app's Stripe adapter points at it; the app sells that catalog (STRIPE_PRICE_ID is
not used there).
With a key set, the emulator is not started and nothing points at it.

The emulator keeps its state in instance/stripe-emulator.json, so a restart finds the
same customers, subscriptions, prices and webhook secret the app's database refers to.
Its address and secret go to instance/local-run.env, where the Flask CLI
(`flask --app entrypoints.flask_app ...`) reads them when STRIPE_SECRET_KEY is not set.

Both ports are bound before anything says it serves: a taken port is one line naming
the variable that moves it, and exit status 2. Ctrl-C or SIGTERM stops it cleanly.
"""

import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

import stripe
from dotenv import find_dotenv, load_dotenv
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import get_sockaddr, make_server, select_address_family

from adapters.catalog_file import load_catalog
from adapters.sqlalchemy.availability import first_line
from adapters.sqlalchemy.database import create_database_engine, migrate
from adapters.stripe.provision import provision
from domain.catalog import CatalogError
from entrypoints.flask_app import create_app
from entrypoints.settings import (
    ConfigurationError,
    Settings,
    catalog_file_of,
    write_local_run_env,
)
from stripe_emulator import Emulator, StateFileError

log = logging.getLogger("local_run")
EMULATOR_KEY = "sk_test_local_emulator"  # the emulator accepts any sk_test_ key
INSTANCE = Path("instance")
# The emulator's state outlives the process, as the app's database does: the customers
# and subscriptions the database names must still exist after a restart.
EMULATOR_STATE = INSTANCE / "stripe-emulator.json"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class StartUpError(Exception):
    """Start-up cannot go on; the message is the one line to print."""


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per API call is noise
    load_dotenv(find_dotenv(usecwd=True))  # beside instance/, in the working directory
    try:
        return _run()
    except StartUpError as error:
        print(error, file=sys.stderr)
        return 2


def _run() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = _port("PORT", 5000)
    emulator_port = _port("STRIPE_EMULATOR_PORT", 12111)
    local_default = not os.environ.get("STRIPE_SECRET_KEY")
    # The development SECRET_KEY only where nobody else can reach the server.
    dev_secret_allowed = local_default and host in LOOPBACK
    if not dev_secret_allowed and not os.environ.get("SECRET_KEY"):
        raise StartUpError(
            f"Configuration error: SECRET_KEY is not set; serving on {host} with real "
            "Stripe keys or beyond this machine needs one."
        )
    # The app's port first, so that nothing else starts when it is taken, and so that
    # PORT=0 (any free port) gives the webhook a real address.
    app_socket = _listen(host, port, "PORT")
    with app_socket:
        port = app_socket.getsockname()[1]
        emulator = _start_emulator(host, port, emulator_port) if local_default else None
        try:
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
            server = make_server(host, port, app, threaded=True, fd=app_socket.fileno())
        except BaseException:
            if emulator is not None:
                emulator.stop()
            raise
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # Inside the try: a Ctrl-C right after this line (a script that waits for it)
        # is a clean stop too.
        log.info("Serving on http://%s:%s", _url_host(host), port)
        server.serve_forever()  # returns on Ctrl-C (werkzeug catches KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if emulator is not None:
            emulator.stop()
    log.info("Stopped")
    return 0


def _start_emulator(host: str, port: int, emulator_port: int) -> Emulator:
    """The Stripe emulator with its state from instance/, provisioned for the app."""
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
    write_local_run_env(embedded)  # where the Flask CLI finds this emulator
    log.info(
        "No STRIPE_SECRET_KEY: Stripe emulator at %s (%s: %s; webhooks to %s/webhook)",
        emulator.url,
        catalog_file,
        ", ".join(made.prices),
        base_url,
    )
    return emulator


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
