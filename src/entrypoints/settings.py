"""Configuration from the environment (and `.env`), checked once at start-up.

A missing or malformed setting stops start-up with a message naming the variable.

`make run` writes the Stripe settings of the emulator it started, and the SMTP_URL of
the local mail server it started, to `instance/local-run.env`; an app built from the
environment without STRIPE_SECRET_KEY (or without SMTP_URL) reads them there: the Flask
CLI next to a running `make run` uses the same emulator and mail server.
"""

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

from dotenv import dotenv_values
from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from adapters.mail.smtp_server import SmtpServer

DEFAULT_DATABASE_URL = f"sqlite:///{Path('instance') / 'app.db'}"
# The notes shipped in the project's folder (src/entrypoints/settings.py is two below it),
# wherever the server is started from; NOTES_DIR names another folder.
DEFAULT_NOTES_DIR = Path(__file__).resolve().parents[2] / "content" / "notes"
# The plans on sale, read from the working directory unless CATALOG_FILE names another.
DEFAULT_CATALOG_FILE = Path("catalog.toml")
LOCAL_RUN_ENV = Path("instance") / "local-run.env"
# What `make run` writes there: the emulator it started and its webhook secret. The
# embedded default sells the catalog, so no STRIPE_PRICE_ID (one from an older file is
# not read).
LOCAL_RUN_VARIABLES = (
    "STRIPE_SECRET_KEY",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_EMULATOR_CLOCK_URL",
)
# ...and the local mail server it started, read when SMTP_URL is not set.
LOCAL_MAIL_VARIABLES = ("SMTP_URL",)
# The sender of the embedded default's mail, and of a server whose SMTP_URL is on this
# machine; any other needs MAIL_FROM (a made-up domain would fail SPF and DMARC).
LOCAL_MAIL_FROM = "Premium Notes <notes@localhost>"
DEFAULT_MAIL_SMTP_PORT = 1025
DEFAULT_MAIL_WEB_PORT = 8025
_MAILBOX = re.compile(r"^[^@\s]+@[^@\s]+$")
# Only for the embedded local default; start-up refuses it anywhere else.
LOCAL_SECRET_KEY = "local-development-only-secret-key-not-for-production"  # noqa: S105
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16
LOG_FORMATS = ("json", "text")


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    secret_key: str
    database_url: str = DEFAULT_DATABASE_URL
    stripe_secret_key: str = ""
    stripe_price_id: str = ""
    # The catalog of plans; None: the one plan of `stripe_price_id` (the deprecated
    # one-price setup, and what tests built from `Settings(...)` get).
    catalog_file: Path | None = None
    # Prices sold before, whose subscribers keep access (a price change grandfathers them).
    stripe_grandfathered_price_ids: tuple[str, ...] = ()
    stripe_webhook_secrets: tuple[str, ...] = ()
    stripe_api_base: str | None = None
    webhook_tolerance_seconds: int = 300
    past_due_grace: timedelta = timedelta(days=3)
    base_url: str | None = None
    session_lifetime: timedelta = timedelta(days=14)
    session_cookie_secure: bool = False
    ratelimit_storage_uri: str = "memory://"
    login_rate_limit: str = "5 per minute"
    login_rate_limit_per_address: str = "30 per minute"
    register_rate_limit: str = "10 per minute"
    reset_rate_limit: str = "5 per hour"
    reset_rate_limit_per_address: str = "20 per hour"
    verify_rate_limit: str = "5 per hour"
    email_change_rate_limit: str = "10 per hour;20 per day"
    email_change_rate_limit_per_address: str = "20 per hour"
    trusted_proxy_hops: int = 0
    max_content_length: int = 1024 * 1024
    notes_dir: Path = DEFAULT_NOTES_DIR
    emulator_clock_url: str | None = None
    """The Stripe emulator's clock (`.../_emulator/clock`): the app's time follows it.
    Set by `make run` in the embedded default; unset, the app reads the system clock."""
    smtp_server: SmtpServer | None = None
    """Where email goes (SMTP_URL); None: email is not configured, sending fails."""
    mail_from: str = LOCAL_MAIL_FROM
    broker_url: str | None = None
    """The task queue's broker (BROKER_URL, Redis) for `make worker` and `make beat`;
    None: `make run` runs the scheduled jobs in its own process."""
    reconcile_interval: timedelta = timedelta(hours=1)
    """RECONCILE_INTERVAL_MINUTES: how often the full reconcile runs (every subscription
    asked about at the provider), after a first pass over the undelivered events."""
    reconcile_full: str = "always"
    """RECONCILE_FULL: `always`, or `on_failure` (the full pass only when the first pass,
    over the undelivered events, could not be done or left an event failed)."""
    undelivered_events_interval: timedelta = timedelta(minutes=5)
    """UNDELIVERED_EVENTS_INTERVAL_MINUTES: how often the cheap pass runs on its own: the
    events the provider could not deliver to the webhook endpoint, applied."""
    undelivered_events_lookback: timedelta = timedelta(hours=72)
    """UNDELIVERED_EVENTS_LOOKBACK_HOURS: how far back that pass asks (Stripe keeps 30 days
    of events; its own retries last three)."""
    webhook_processing: str = "inline"
    """WEBHOOK_PROCESSING: `inline` (/webhook applies the event before answering) or
    `queue` (/webhook stores it as received and answers; a worker's task applies it).
    The queue mode needs BROKER_URL and `make worker` (and `make beat`, for the sweeper)."""
    webhook_task_retries: int = 5
    """WEBHOOK_TASK_RETRIES: how many times a failed apply task is tried again."""
    webhook_retry_base: timedelta = timedelta(seconds=10)
    """WEBHOOK_RETRY_BASE_SECONDS: the first retry's wait; each next one waits twice as long."""
    webhook_sweep_interval: timedelta = timedelta(seconds=60)
    """WEBHOOK_SWEEP_INTERVAL_SECONDS: how often beat sends the sweeper."""
    webhook_sweep_after: timedelta = timedelta(seconds=120)
    """WEBHOOK_SWEEP_AFTER_SECONDS: an event still received this long after it arrived is
    sent to the workers again (its message was lost, or its worker died)."""
    outbox_delivery_interval: timedelta = timedelta(seconds=60)
    """OUTBOX_DELIVERY_INTERVAL_SECONDS: how often the scheduled delivery sends what is
    due in the outbox (retries after a mail server's outage, emails whose task the
    broker lost). A commit that writes an email asks for a delivery at once anyway."""
    log_format: str = "text"
    """How log lines look: `json` (one object a line, for a log search) or `text`."""
    metrics_enabled: bool = True
    metrics_token: str = ""
    """A bearer token that /metrics asks for; empty: /metrics answers loopback only."""
    local_default: bool = False
    # Where `make run` serves (HOST, PORT): the links in emails when BASE_URL is unset.
    local_url: str = "http://127.0.0.1:5000"

    @property
    def site_url(self) -> str:
        """The site's address for the links in emails: BASE_URL, else where `make run`
        serves. Never a request's Host header, which the sender of the request sets."""
        return self.base_url or self.local_url

    @property
    def mail_domain(self) -> str:
        """The domain of MAIL_FROM's address (for the Message-IDs of outbox emails)."""
        return getaddresses([self.mail_from])[0][1].rpartition("@")[2] or "localhost"

    def __repr__(self) -> str:  # secrets never reach a log line
        return (
            f"Settings(database_url={_redact_url(self.database_url)!r}, "
            f"stripe_api_base={self.stripe_api_base!r}, "
            f"smtp_server={str(self.smtp_server) if self.smtp_server else None!r}, "
            f"local_default={self.local_default})"
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, local_default: bool = False
    ) -> "Settings":
        """Read and check the settings.

        `local_default` is the embedded local run (`make run` without Stripe keys): a
        development secret key is allowed there and only there.
        """
        env = os.environ if env is None else env
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if not local_default:
                raise ConfigurationError(
                    "SECRET_KEY is not set: set it to a random string of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')."
                )
            secret_key = LOCAL_SECRET_KEY
        elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random characters."
            )
        stripe_key = env.get("STRIPE_SECRET_KEY", "")
        if stripe_key and not stripe_key.startswith(
            ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
        ):
            raise ConfigurationError("STRIPE_SECRET_KEY must start with sk_test_ or sk_live_.")
        webhook_secrets = tuple(
            s.strip() for s in env.get("STRIPE_WEBHOOK_SECRET", "").split(",") if s.strip()
        )
        if any(not s.startswith("whsec_") for s in webhook_secrets):
            raise ConfigurationError(
                "STRIPE_WEBHOOK_SECRET must be whsec_... secrets, separated by commas."
            )
        price_id = env.get("STRIPE_PRICE_ID", "")
        if price_id and not price_id.startswith("price_"):
            raise ConfigurationError("STRIPE_PRICE_ID must be a price_... id.")
        if stripe_key and not webhook_secrets:
            raise ConfigurationError("STRIPE_WEBHOOK_SECRET must be set (whsec_...).")
        grandfathered = tuple(
            p.strip() for p in env.get("STRIPE_GRANDFATHERED_PRICE_IDS", "").split(",") if p.strip()
        )
        if any(
            not p.startswith("price_") or p.count("=") > 1 or p.endswith("=") for p in grandfathered
        ):
            raise ConfigurationError(
                "STRIPE_GRANDFATHERED_PRICE_IDS must be price_... ids, each optionally "
                "followed by =PLAN (price_old=basic), separated by commas."
            )
        emulator_clock_url = env.get("STRIPE_EMULATOR_CLOCK_URL") or None
        if emulator_clock_url:
            if not emulator_clock_url.startswith(("http://", "https://")):
                raise ConfigurationError("STRIPE_EMULATOR_CLOCK_URL must start with http://.")
            if stripe_key.startswith(("sk_live_", "rk_live_")):
                raise ConfigurationError(
                    "STRIPE_EMULATOR_CLOCK_URL is for the Stripe emulator only; "
                    "unset it with live keys."
                )
        base_url = env.get("BASE_URL") or None
        if base_url and not base_url.startswith(("http://", "https://")):
            raise ConfigurationError("BASE_URL must start with http:// or https://.")
        smtp_server = _smtp_server(env)
        broker_url = env.get("BROKER_URL") or None
        if broker_url and not broker_url.startswith(("redis://", "rediss://")):
            raise ConfigurationError(
                "BROKER_URL must be a Redis URL (redis://HOST:6379/1), "
                f"not {_redact_url(broker_url)!r}."
            )
        reconcile_full = (env.get("RECONCILE_FULL") or "always").strip().lower()
        if reconcile_full not in ("always", "on_failure"):
            raise ConfigurationError(
                f"RECONCILE_FULL must be always or on_failure, not {reconcile_full!r}."
            )
        webhook_processing = (env.get("WEBHOOK_PROCESSING") or "inline").strip().lower()
        if webhook_processing not in ("inline", "queue"):
            raise ConfigurationError(
                f"WEBHOOK_PROCESSING must be inline or queue, not {webhook_processing!r}."
            )
        if webhook_processing == "queue" and not broker_url:
            raise ConfigurationError(
                "WEBHOOK_PROCESSING=queue needs BROKER_URL (and `make worker` running); "
                "without a broker, leave it inline."
            )
        metrics_token = env.get("METRICS_TOKEN", "")
        if metrics_token and len(metrics_token) < MIN_METRICS_TOKEN_LENGTH:
            raise ConfigurationError(
                f"METRICS_TOKEN is too short: use at least {MIN_METRICS_TOKEN_LENGTH} "
                "random characters."
            )
        mail_from = _mail_from(env, smtp_server)
        if smtp_server is not None and smtp_server.security != "none" and not base_url:
            raise ConfigurationError(
                "BASE_URL must be set with SMTP_URL: the links in emails (password resets, "
                "address checks) need the site's public address, such as https://notes.example."
            )
        return cls(
            secret_key=secret_key,
            database_url=_database_url(env),
            stripe_secret_key=stripe_key,
            stripe_price_id=price_id,
            catalog_file=catalog_file_of(env),
            stripe_grandfathered_price_ids=grandfathered,
            stripe_webhook_secrets=webhook_secrets,
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            webhook_tolerance_seconds=_int(env, "STRIPE_WEBHOOK_TOLERANCE", 300, minimum=1),
            past_due_grace=timedelta(days=_int(env, "PAST_DUE_GRACE_DAYS", 3, minimum=0)),
            base_url=base_url,
            session_lifetime=timedelta(
                minutes=_int(env, "SESSION_LIFETIME_MINUTES", 14 * 24 * 60, minimum=1)
            ),
            session_cookie_secure=_bool(
                env, "SESSION_COOKIE_SECURE", bool(base_url and base_url.startswith("https://"))
            ),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
            login_rate_limit=_rate(env, "LOGIN_RATE_LIMIT", "5 per minute"),
            login_rate_limit_per_address=_rate(
                env, "LOGIN_RATE_LIMIT_PER_ADDRESS", "30 per minute"
            ),
            register_rate_limit=_rate(env, "REGISTER_RATE_LIMIT", "10 per minute"),
            reset_rate_limit=_rate(env, "RESET_RATE_LIMIT", "5 per hour"),
            reset_rate_limit_per_address=_rate(env, "RESET_RATE_LIMIT_PER_ADDRESS", "20 per hour"),
            verify_rate_limit=_rate(env, "VERIFY_RATE_LIMIT", "5 per hour"),
            email_change_rate_limit=_rate(env, "EMAIL_CHANGE_RATE_LIMIT", "10 per hour;20 per day"),
            email_change_rate_limit_per_address=_rate(
                env, "EMAIL_CHANGE_RATE_LIMIT_PER_ADDRESS", "20 per hour"
            ),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, minimum=0),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
            notes_dir=Path(env["NOTES_DIR"]) if env.get("NOTES_DIR") else DEFAULT_NOTES_DIR,
            emulator_clock_url=emulator_clock_url,
            smtp_server=smtp_server,
            mail_from=mail_from,
            broker_url=broker_url,
            reconcile_interval=timedelta(
                minutes=_float(env, "RECONCILE_INTERVAL_MINUTES", 60, minimum=0.05)
            ),
            reconcile_full=reconcile_full,
            undelivered_events_interval=timedelta(
                minutes=_float(env, "UNDELIVERED_EVENTS_INTERVAL_MINUTES", 5, minimum=0.05)
            ),
            undelivered_events_lookback=timedelta(
                hours=_float(env, "UNDELIVERED_EVENTS_LOOKBACK_HOURS", 72, minimum=1, maximum=720)
            ),
            webhook_processing=webhook_processing,
            webhook_task_retries=_int(env, "WEBHOOK_TASK_RETRIES", 5, minimum=0),
            webhook_retry_base=timedelta(
                seconds=_float(env, "WEBHOOK_RETRY_BASE_SECONDS", 10, minimum=0)
            ),
            webhook_sweep_interval=timedelta(
                seconds=_float(env, "WEBHOOK_SWEEP_INTERVAL_SECONDS", 60, minimum=0.1)
            ),
            webhook_sweep_after=timedelta(
                seconds=_float(env, "WEBHOOK_SWEEP_AFTER_SECONDS", 120, minimum=0)
            ),
            outbox_delivery_interval=timedelta(
                seconds=_float(env, "OUTBOX_DELIVERY_INTERVAL_SECONDS", 60, minimum=0.1)
            ),
            log_format=log_format_of(env, local_default=local_default),
            metrics_enabled=_bool(env, "METRICS_ENABLED", True),
            metrics_token=metrics_token,
            local_default=local_default,
            local_url=_local_url(env),
        )


def _local_url(env: Mapping[str, str]) -> str:
    """Where `make run` serves: HOST and PORT (a wildcard host is reached on loopback)."""
    host = env.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104
        host = "127.0.0.1"
    port = env.get("PORT") or "5000"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def log_format_of(env: Mapping[str, str], *, local_default: bool = False) -> str:
    """LOG_FORMAT: `json` or `text`; by default text for the embedded local default (a
    person reads it) and json anywhere else (a log search reads it)."""
    raw = env.get("LOG_FORMAT", "").strip().lower()
    if not raw:
        return "text" if local_default else "json"
    if raw not in LOG_FORMATS:
        raise ConfigurationError(f"LOG_FORMAT must be json or text, not {raw!r}.")
    return raw


def catalog_file_of(env: Mapping[str, str]) -> Path | None:
    """Where the catalog is: CATALOG_FILE, else `catalog.toml` in the working directory;
    None when STRIPE_PRICE_ID is set and CATALOG_FILE is not (the deprecated one-price
    setup: one plan, that price)."""
    if env.get("CATALOG_FILE"):
        return Path(env["CATALOG_FILE"])
    if env.get("STRIPE_PRICE_ID"):
        return None
    return DEFAULT_CATALOG_FILE


def settings_for_app(
    env: Mapping[str, str] | None = None, *, local_run_env: Path = LOCAL_RUN_ENV
) -> Settings:
    """The settings of an app built from the environment (Flask CLI, WSGI server).

    Without STRIPE_SECRET_KEY, and when `make run` has written `local_run_env`, this is
    the embedded local default: the app joins the emulator `make run` started (its
    key, address, price and webhook secret come from that file), and the development
    SECRET_KEY is allowed as it is for `make run`. The embedded default sells the
    catalog, whatever STRIPE_PRICE_ID says.
    """
    env = os.environ if env is None else env
    wanted = not env.get("STRIPE_SECRET_KEY") or not env.get("SMTP_URL")
    if not wanted or not local_run_env.is_file():
        return Settings.from_env(env)
    try:
        written = dotenv_values(local_run_env)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{local_run_env} cannot be read: {error}") from None
    mail = {
        name: value
        for name in LOCAL_MAIL_VARIABLES
        if not env.get(name) and (value := written.get(name))
    }
    if env.get("STRIPE_SECRET_KEY") or not written.get("STRIPE_SECRET_KEY"):
        return Settings.from_env({**env, **mail})
    embedded = {name: written.get(name) or "" for name in LOCAL_RUN_VARIABLES}
    return Settings.from_env({**env, **mail, **embedded, "STRIPE_PRICE_ID": ""}, local_default=True)


def write_local_run_env(values: Mapping[str, str], path: Path = LOCAL_RUN_ENV) -> None:
    """Write the embedded default's settings where `settings_for_app` finds them: the
    Stripe emulator's (LOCAL_RUN_VARIABLES) and the local mail server's
    (LOCAL_MAIL_VARIABLES), each group when `values` has it.

    Only the owner may read the file (it holds the emulator's webhook secret); it is
    replaced atomically, so a command never reads half of it.
    """
    lines = [
        "# Written by `make run` for the Flask CLI: the Stripe emulator and the local mail",
        "# server it started. Read only when STRIPE_SECRET_KEY (SMTP_URL) is not set;",
        "# rewritten at each start.",
        *(
            f"{name}={values[name]}"
            for name in LOCAL_RUN_VARIABLES + LOCAL_MAIL_VARIABLES
            if name in values
        ),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp: mode 0600
            file.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def mail_ports(env: Mapping[str, str]) -> tuple[int, int]:
    """Where `make run` starts the local mail server: MAIL_SMTP_PORT, MAIL_WEB_PORT."""
    smtp = port_setting(env, "MAIL_SMTP_PORT", DEFAULT_MAIL_SMTP_PORT)
    web = port_setting(env, "MAIL_WEB_PORT", DEFAULT_MAIL_WEB_PORT)
    if smtp == web != 0:
        raise ConfigurationError(f"MAIL_SMTP_PORT and MAIL_WEB_PORT are both {smtp}: pick two.")
    return smtp, web


def port_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"{name} must be a port number (0-65535), not {raw!r}.")
    return port


def _smtp_server(env: Mapping[str, str]) -> SmtpServer | None:
    url = env.get("SMTP_URL", "").strip()
    if not url:
        return None
    try:
        return SmtpServer.from_url(url)
    except ValueError as error:  # its message never repeats the URL: it may hold a password
        raise ConfigurationError(
            f"SMTP_URL is malformed: {error} (smtp://user:password@host:587 for STARTTLS, "
            "smtps://user:password@host:465 for TLS, smtp://127.0.0.1:1025 on this machine)."
        ) from None


def _mail_from(env: Mapping[str, str], smtp_server: SmtpServer | None) -> str:
    raw = env.get("MAIL_FROM", "").strip()
    if not raw:
        if smtp_server is not None and smtp_server.security != "none":
            raise ConfigurationError(
                "MAIL_FROM must be set with SMTP_URL: the sender of every email, such as "
                "'Premium Notes <notes@example.com>'."
            )
        return LOCAL_MAIL_FROM
    parsed = getaddresses([raw])
    address = parsed[0][1] if len(parsed) == 1 else ""
    if not (_MAILBOX.match(address) and address.isascii()) or any(c in raw for c in "\r\n\0"):
        raise ConfigurationError(
            "MAIL_FROM must be an address, optionally with a name: "
            f"'Premium Notes <notes@example.com>', not {raw!r}."
        )
    return raw


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}.")
    return value


def _float(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float,
    maximum: float = float("inf"),
) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from None
    if not value >= minimum:  # also refuses nan
        raise ConfigurationError(f"{name} must be at least {minimum}.")
    if value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum:g}.")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must read like '5 per minute', not {raw!r}.") from None
    return raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}.")


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        parsed = make_url(url)
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # what the engine uses
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ImportError):
        raise ConfigurationError(
            "DATABASE_URL must be a database URL such as sqlite:///instance/app.db or "
            f"postgresql://user@host:5432/name, not {_redact_url(url)!r}."
        ) from None
    return url
