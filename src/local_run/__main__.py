"""`make run`: the service on the embedded defaults, or on real Stripe when keys are set.

Without STRIPE_SECRET_KEY, the Stripe emulator starts on 127.0.0.1
(STRIPE_EMULATOR_PORT, default 12111), a product, a price and the app's webhook are
created in it through the Stripe API, and the app's Stripe adapter points at it.
With a key set, the emulator is not started and nothing points at it.

The emulator keeps its state in instance/stripe-emulator.json, so a restart finds the
same customers, subscriptions, price and webhook secret the app's database refers to.
"""

import logging
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from adapters.sqlalchemy.database import create_database_engine, migrate
from adapters.stripe.provision import provision
from entrypoints.flask_app import create_app
from entrypoints.settings import ConfigurationError, Settings
from stripe_emulator import Emulator, StateFileError

log = logging.getLogger("local_run")
EMULATOR_KEY = "sk_test_local_emulator"  # the emulator accepts any sk_test_ key
INSTANCE = Path("instance")
# The emulator's state outlives the process, as the app's database does: the customers
# and subscriptions the database names must still exist after a restart.
EMULATOR_STATE = INSTANCE / "stripe-emulator.json"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per API call is noise
    load_dotenv()
    host = os.environ.get("HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("PORT", "5000"))
        emulator_port = int(os.environ.get("STRIPE_EMULATOR_PORT", "12111"))
    except ValueError:
        print("PORT and STRIPE_EMULATOR_PORT must be whole numbers.", file=sys.stderr)
        return 2
    local_default = not os.environ.get("STRIPE_SECRET_KEY")
    # The development SECRET_KEY only where nobody else can reach the server.
    dev_secret_allowed = local_default and host in ("127.0.0.1", "localhost", "::1")
    if not dev_secret_allowed and not os.environ.get("SECRET_KEY"):
        print(
            f"Configuration error: SECRET_KEY is not set; serving on {host} with real "
            "Stripe keys or beyond this machine needs one.",
            file=sys.stderr,
        )
        return 2
    emulator = None
    if local_default:
        try:
            emulator = Emulator(host="127.0.0.1", port=emulator_port, state_file=EMULATOR_STATE)
        except StateFileError as error:
            print(f"Stripe emulator: {error}", file=sys.stderr)
            return 2
        emulator.start()
        app_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        base_url = os.environ.get("BASE_URL") or f"http://{app_host}:{port}"
        made = provision(EMULATOR_KEY, webhook_url=f"{base_url}/webhook", api_base=emulator.url)
        os.environ.update(
            STRIPE_SECRET_KEY=EMULATOR_KEY,
            STRIPE_API_BASE=emulator.url,
            STRIPE_PRICE_ID=made.price_id,
            STRIPE_WEBHOOK_SECRET=made.webhook_secret,
        )
        log.info(
            "No STRIPE_SECRET_KEY: Stripe emulator at %s (price %s, webhooks to %s/webhook)",
            emulator.url,
            made.price_id,
            base_url,
        )
    try:
        settings = Settings.from_env(local_default=dev_secret_allowed)
    except ConfigurationError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    migrate(create_database_engine(settings.database_url))
    app = create_app(settings)
    log.info("Serving on http://%s:%s", host, port)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        if emulator is not None:
            emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
