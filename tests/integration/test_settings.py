"""Start-up refuses a missing or malformed setting, naming the variable."""

import pytest

from entrypoints.settings import LOCAL_SECRET_KEY, ConfigurationError, Settings

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
        ({**STRIPE, "STRIPE_PRICE_ID": ""}, "STRIPE_PRICE_ID"),
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
    text = repr(Settings.from_env(env))
    for secret in (GOOD_KEY, "sk_test_abc", "whsec_test_1", "hunter2"):
        assert secret not in text
