"""Start-up refuses a missing or malformed setting, naming the variable."""

from pathlib import Path

import pytest

from application.ports import PaymentGateway
from domain.access import AccessPolicy
from entrypoints.settings import (
    LOCAL_MAIL_FROM,
    LOCAL_SECRET_KEY,
    ConfigurationError,
    Settings,
    mail_ports,
    settings_for_app,
    write_local_run_env,
)

GOOD_KEY = "k" * 40
STRIPE = {
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_PRICE_ID": "price_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_1",
}


def test_secret_key_is_required_outside_the_local_default() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        Settings.from_env({})


def test_a_short_secret_key_is_refused_even_locally() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        Settings.from_env({"SECRET_KEY": "short"}, local_default=True)


def test_the_local_default_gets_a_development_key_only_there() -> None:
    assert Settings.from_env({}, local_default=True).secret_key == LOCAL_SECRET_KEY


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"STRIPE_SECRET_KEY": "pk_test_wrongkind"}, "STRIPE_SECRET_KEY"),
        ({**STRIPE, "STRIPE_PRICE_ID": "prod_123"}, "STRIPE_PRICE_ID"),
        ({**STRIPE, "STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET"),
        ({**STRIPE, "STRIPE_WEBHOOK_SECRET": "whsec_a,nope"}, "STRIPE_WEBHOOK_SECRET"),
        ({"PAST_DUE_GRACE_DAYS": "three"}, "PAST_DUE_GRACE_DAYS"),
        ({"PAST_DUE_GRACE_DAYS": "-1"}, "PAST_DUE_GRACE_DAYS"),
        ({"BASE_URL": "example.com"}, "BASE_URL"),
        ({"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"),
        ({"MAX_CONTENT_LENGTH": "12"}, "MAX_CONTENT_LENGTH"),
        ({"LOGIN_RATE_LIMIT": "often"}, "LOGIN_RATE_LIMIT"),
        ({"REGISTER_RATE_LIMIT": "5 a day"}, "REGISTER_RATE_LIMIT"),
        ({"TRUSTED_PROXY_HOPS": "x"}, "TRUSTED_PROXY_HOPS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"BROKER_URL": "amqp://guest@rabbit//"}, "BROKER_URL"),
        ({"RECONCILE_INTERVAL_MINUTES": "hourly"}, "RECONCILE_INTERVAL_MINUTES"),
        ({"RECONCILE_INTERVAL_MINUTES": "0"}, "RECONCILE_INTERVAL_MINUTES"),
        ({"RECONCILE_INTERVAL_MINUTES": "nan"}, "RECONCILE_INTERVAL_MINUTES"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN"),
        ({"METRICS_ENABLED": "perhaps"}, "METRICS_ENABLED"),
        ({"STRIPE_EMULATOR_CLOCK_URL": "127.0.0.1:12111"}, "STRIPE_EMULATOR_CLOCK_URL"),
        (
            {
                **STRIPE,
                "STRIPE_SECRET_KEY": "sk_live_abc",
                "STRIPE_EMULATOR_CLOCK_URL": "http://127.0.0.1:12111/_emulator/clock",
            },
            "STRIPE_EMULATOR_CLOCK_URL",
        ),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({"SECRET_KEY": GOOD_KEY, **env})


def test_several_webhook_secrets_are_read_for_rotation() -> None:
    env = {"SECRET_KEY": GOOD_KEY, **STRIPE, "STRIPE_WEBHOOK_SECRET": "whsec_old, whsec_new"}
    assert Settings.from_env(env).stripe_webhook_secrets == ("whsec_old", "whsec_new")


def test_an_https_base_url_makes_cookies_secure() -> None:
    env = {"SECRET_KEY": GOOD_KEY, "BASE_URL": "https://notes.example"}
    assert Settings.from_env(env).session_cookie_secure is True
    assert Settings.from_env({"SECRET_KEY": GOOD_KEY}).session_cookie_secure is False


def test_settings_never_print_their_secrets() -> None:
    env = {"SECRET_KEY": GOOD_KEY, **STRIPE, "DATABASE_URL": "postgresql://u:hunter2@db/x"}
    env["METRICS_TOKEN"] = "metrics-token-abcdef0123"
    env["BROKER_URL"] = "redis://:broker-password@redis:6379/1"
    text = repr(Settings.from_env(env))
    secrets = (GOOD_KEY, "sk_test_abc", "whsec_test_1", "hunter2", "metrics-token", "broker-pass")
    for secret in secrets:
        assert secret not in text


def test_logs_are_json_in_production_and_text_for_the_local_default() -> None:
    assert Settings.from_env({"SECRET_KEY": GOOD_KEY}).log_format == "json"
    assert Settings.from_env({}, local_default=True).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}, local_default=True).log_format == "json"
    assert Settings.from_env({"SECRET_KEY": GOOD_KEY, "LOG_FORMAT": "text"}).log_format == "text"


def test_without_stripe_keys_the_app_joins_the_emulator_make_run_wrote_down(
    tmp_path: Path,
) -> None:
    """Issue 8, item 11: the Flask CLI next to `make run` finds its emulator."""
    written = tmp_path / "local-run.env"
    write_local_run_env(
        {
            "STRIPE_SECRET_KEY": "sk_test_local",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
            "STRIPE_PRICE_ID": "price_local",
            "STRIPE_WEBHOOK_SECRET": "whsec_local",
            "STRIPE_EMULATOR_CLOCK_URL": "http://127.0.0.1:12111/_emulator/clock",
        },
        written,
    )
    assert written.stat().st_mode & 0o077 == 0  # it holds a webhook secret

    settings = settings_for_app({}, local_run_env=written)
    assert settings.local_default is True
    assert settings.secret_key == LOCAL_SECRET_KEY
    assert settings.stripe_api_base == "http://127.0.0.1:12111"
    # The embedded default sells the catalog, even with an older file's price in it.
    assert settings.stripe_price_id == ""
    assert settings.catalog_file == Path("catalog.toml")
    assert settings.stripe_webhook_secrets == ("whsec_local",)
    assert settings.emulator_clock_url == "http://127.0.0.1:12111/_emulator/clock"

    own_keys = settings_for_app({"SECRET_KEY": GOOD_KEY, **STRIPE}, local_run_env=written)
    assert own_keys.stripe_secret_key == STRIPE["STRIPE_SECRET_KEY"]
    assert own_keys.local_default is False
    assert own_keys.emulator_clock_url is None
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        settings_for_app({}, local_run_env=tmp_path / "absent.env")


def test_grandfathered_prices_keep_access_and_are_checked() -> None:
    from entrypoints.container import build_catalog

    env = {
        "SECRET_KEY": "k" * 40,
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_PRICE_ID": "price_new",
        "STRIPE_WEBHOOK_SECRET": "whsec_test_x",
        "STRIPE_GRANDFATHERED_PRICE_IDS": "price_old, price_older",
    }
    policy = AccessPolicy(build_catalog(Settings.from_env(env), _no_gateway))
    assert policy.prices == {"price_new", "price_old", "price_older"}
    with pytest.raises(ConfigurationError, match="STRIPE_GRANDFATHERED_PRICE_IDS"):
        Settings.from_env({**env, "STRIPE_GRANDFATHERED_PRICE_IDS": "prod_1"})


def _no_gateway() -> PaymentGateway:
    raise AssertionError("a one-price setup asks the provider for nothing")


@pytest.mark.parametrize("url", ["foo://x", "not a url", "postgresql+nodriver://h/db"])
def test_a_malformed_database_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Settings.from_env({"SECRET_KEY": "k" * 40, "DATABASE_URL": url})


def test_an_unreachable_database_is_one_line_from_migrate(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/test",  # a closed port
    }
    flask = [sys.executable, "-m", "flask", "--app", "entrypoints.flask_app", "migrate"]
    result = subprocess.run(
        flask, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "the database cannot be reached" in result.stderr


def test_the_catalog_is_catalog_toml_unless_named_or_one_price_is_set() -> None:
    base = {"SECRET_KEY": GOOD_KEY}
    assert Settings.from_env(base).catalog_file == Path("catalog.toml")
    assert Settings.from_env({**base, "CATALOG_FILE": "/etc/plans.toml"}).catalog_file == Path(
        "/etc/plans.toml"
    )
    # STRIPE_PRICE_ID, deprecated: one plan at that price, unless a catalog is named too.
    assert Settings.from_env({**base, **STRIPE}).catalog_file is None
    named = Settings.from_env({**base, **STRIPE, "CATALOG_FILE": "plans.toml"})
    assert named.catalog_file == Path("plans.toml")
    # With a catalog, Stripe keys need no STRIPE_PRICE_ID.
    assert Settings.from_env({**base, **STRIPE, "STRIPE_PRICE_ID": ""}).stripe_price_id == ""


def test_a_grandfathered_price_under_a_catalog_gives_the_plan_it_names(tmp_path: Path) -> None:
    from dataclasses import replace

    from adapters.catalog_file import load_catalog
    from domain.catalog import CatalogError
    from entrypoints.container import build_catalog

    catalog_file = Path(__file__).resolve().parents[2] / "catalog.toml"
    settings = replace(
        Settings.from_env({"SECRET_KEY": "k" * 40}),
        catalog_file=catalog_file,
        stripe_grandfathered_price_ids=("price_old_basic=basic", "price_old_all"),
    )
    catalog = build_catalog(settings, _no_gateway)  # no key: nothing resolved, no call
    assert catalog.grandfathered == {"price_old_basic": "basic", "price_old_all": "pro"}
    assert load_catalog(catalog_file).highest.key == "pro"
    with pytest.raises(CatalogError, match="gold"):
        build_catalog(
            replace(settings, stripe_grandfathered_price_ids=("price_x=gold",)), _no_gateway
        )
    with pytest.raises(ConfigurationError, match="=PLAN"):
        Settings.from_env({"SECRET_KEY": "k" * 40, "STRIPE_GRANDFATHERED_PRICE_IDS": "price_x=a=b"})


def test_without_smtp_url_email_is_not_configured_and_the_sender_is_local() -> None:
    settings = Settings.from_env({"SECRET_KEY": GOOD_KEY})
    assert settings.smtp_server is None
    assert settings.mail_from == LOCAL_MAIL_FROM


def test_smtp_url_and_mail_from_are_read() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": GOOD_KEY,
            "SMTP_URL": "smtp://apikey:hunter2@smtp.example.com:587",
            "MAIL_FROM": '"Premium Notes" <notes@example.com>',
        }
    )
    assert settings.smtp_server is not None
    assert (settings.smtp_server.host, settings.smtp_server.security) == (
        "smtp.example.com",
        "starttls",
    )
    assert settings.mail_from == '"Premium Notes" <notes@example.com>'
    assert "hunter2" not in repr(settings)
    assert "smtp://apikey:***@smtp.example.com:587" in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SMTP_URL": "mail.example.com:587"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://u:hunter2@mail.example.com:99999"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://u:hunter2@mail.example.com/x?y"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://u:hunter2@mail.example.com"}, "MAIL_FROM must be set"),
        ({"MAIL_FROM": "notes"}, "MAIL_FROM"),
        ({"MAIL_FROM": "a@example.com, b@example.com"}, "MAIL_FROM"),
        ({"MAIL_FROM": "Notes <notes@example.com>\r\nBcc: x@example.com"}, "MAIL_FROM"),
        ({"MAIL_FROM": "nötes@exämple.com"}, "MAIL_FROM"),
    ],
)
def test_a_malformed_mail_setting_is_one_line_naming_it_without_the_password(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=variable) as raised:
        Settings.from_env({"SECRET_KEY": GOOD_KEY, **env})
    assert "hunter2" not in str(raised.value)
    assert "\n" not in str(raised.value)  # one line


def test_a_loopback_smtp_url_needs_no_mail_from() -> None:
    settings = Settings.from_env({"SECRET_KEY": GOOD_KEY, "SMTP_URL": "smtp://127.0.0.1:1025"})
    assert settings.smtp_server is not None and settings.smtp_server.security == "none"
    assert settings.mail_from == LOCAL_MAIL_FROM


def test_the_local_mail_server_ports_default_to_1025_and_8025() -> None:
    assert mail_ports({}) == (1025, 8025)
    assert mail_ports({"MAIL_SMTP_PORT": "2525", "MAIL_WEB_PORT": "0"}) == (2525, 0)
    assert mail_ports({"MAIL_SMTP_PORT": "0", "MAIL_WEB_PORT": "0"}) == (0, 0)  # any two
    for env in ({"MAIL_SMTP_PORT": "x"}, {"MAIL_WEB_PORT": "-1"}, {"MAIL_WEB_PORT": "1025"}):
        with pytest.raises(ConfigurationError, match=next(iter(env))):
            mail_ports(env)


def test_without_smtp_url_the_app_joins_the_mail_server_make_run_wrote_down(
    tmp_path: Path,
) -> None:
    """The Flask CLI next to `make run` sends to its local mail server, whichever Stripe
    it uses; its own SMTP_URL wins."""
    written = tmp_path / "local-run.env"
    write_local_run_env({"SMTP_URL": "smtp://127.0.0.1:2025"}, written)
    alone = settings_for_app({"SECRET_KEY": GOOD_KEY}, local_run_env=written)
    assert str(alone.smtp_server) == "smtp://127.0.0.1:2025"
    assert alone.local_default is False  # no emulator written down: no development key
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        settings_for_app({}, local_run_env=written)

    with_stripe = settings_for_app({"SECRET_KEY": GOOD_KEY, **STRIPE}, local_run_env=written)
    assert str(with_stripe.smtp_server) == "smtp://127.0.0.1:2025"
    own = settings_for_app(
        {"SECRET_KEY": GOOD_KEY, "SMTP_URL": "smtp://127.0.0.1:3025"}, local_run_env=written
    )
    assert str(own.smtp_server) == "smtp://127.0.0.1:3025"

    write_local_run_env(
        {
            "STRIPE_SECRET_KEY": "sk_test_local",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
            "STRIPE_WEBHOOK_SECRET": "whsec_local",
            "STRIPE_EMULATOR_CLOCK_URL": "http://127.0.0.1:12111/_emulator/clock",
            "SMTP_URL": "smtp://127.0.0.1:2025",
        },
        written,
    )
    both = settings_for_app({}, local_run_env=written)
    assert both.local_default is True
    assert str(both.smtp_server) == "smtp://127.0.0.1:2025"
    assert both.stripe_api_base == "http://127.0.0.1:12111"
