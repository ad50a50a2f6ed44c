"""Accounts against attack: sessions, redirects, rate limits, headers, logs."""

import base64
import json
import logging
import os
import re
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from adapters.argon2_hasher import (
    DEFAULT_PARAMETERS,
    OWASP_MINIMUM,
    Argon2Parameters,
    Argon2PasswordHasher,
)
from adapters.memory import FakePasswordHasher
from domain.email import EmailAddress
from entrypoints.flask_app.rate_limit import warn_if_per_process_limits
from entrypoints.settings import Settings
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token, reset_link_path, serve, signed_up, user_id_of
from tests.support import stripe_events as se
from tests.support.mail import token_of

EMAIL = "guard@example.com"
PASSWORD = "correct horse battery"
STRIPE_KEY = "sk_test_security_0123456789"
SIGNING_SECRET = "whsec_test_security_0123456789"


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    return offline_stripe_app(
        tmp_path, (SIGNING_SECRET,), stripe_secret_key=STRIPE_KEY, **overrides
    )


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def token(client: FlaskClient, path: str = "/login") -> str:
    return form_token(client, path)


def register(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD) -> Any:
    return client.post(
        "/register",
        data={"csrf_token": token(client, "/register"), "email": email, "password": password},
    )


def log_in(
    client: FlaskClient, email: str = EMAIL, password: str = PASSWORD, query: str = ""
) -> Any:
    return client.post(
        f"/login{query}", data={"csrf_token": token(client), "email": email, "password": password}
    )


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# -- sessions ---------------------------------------------------------------------------


def test_a_forged_session_cookie_is_refused(app: Flask, client: FlaskClient) -> None:
    register(client)
    log_in(client)
    assert client.get("/account").status_code == 200
    real = session_cookie(client)
    assert real is not None

    attacker = app.test_client()
    tampered = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    attacker.set_cookie("session", tampered)
    assert attacker.get("/account").status_code == 302

    # A cookie signed with another key (a guessed or leaked default) is refused too.
    other = Flask("other")
    other.secret_key = "local-development-only-secret-key-not-for-production"
    with other.test_request_context():
        serializer = SecureCookieSessionInterface().get_signing_serializer(other)
        assert serializer is not None
        # Exactly what the app itself would store, signed with the wrong key.
        payload = {"_user_id": f"{user_id_of(app, EMAIL)}:0", "_fresh": True}
        forged = serializer.dumps(payload)
    attacker.set_cookie("session", forged)
    assert attacker.get("/account").status_code == 302
    # The same payload signed with the app's own key does sign in: the key decided.
    genuine = SecureCookieSessionInterface().get_signing_serializer(app)
    assert genuine is not None
    attacker.set_cookie("session", genuine.dumps(payload))
    assert attacker.get("/account").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    register(client)
    response = log_in(client)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # plain http locally: a Secure cookie would never return


def test_the_session_cookie_is_secure_when_served_over_https(tmp_path: Path) -> None:
    client = make_app(tmp_path, session_cookie_secure=True).test_client()
    response = client.get("/login", base_url="https://localhost")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in header


def test_the_session_cookie_is_secure_on_an_https_request_even_unconfigured(
    client: FlaskClient,
) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    response = client.get("/login", base_url="https://notes.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in header


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(tmp_path: Path) -> None:
    client = make_app(tmp_path, trusted_proxy_hops=1).test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in header
    untrusted = make_app(tmp_path / "direct").test_client()
    response = untrusted.get("/login", headers={"X-Forwarded-Proto": "https"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" not in header  # a client cannot claim https by a header


def test_the_session_changes_at_log_in_and_is_cleared_at_log_out(client: FlaskClient) -> None:
    register(client)
    before_token = token(client)
    before = session_cookie(client)
    log_in(client)
    after = session_cookie(client)
    assert before != after
    assert token(client, "/account") != before_token  # nothing from before survives

    client.post("/logout", data={"csrf_token": token(client, "/account")})
    assert client.get("/account").status_code == 302


def test_a_session_cookie_copied_before_log_out_is_dead_after_it(
    app: Flask, client: FlaskClient
) -> None:
    register(client)
    log_in(client)
    stolen = session_cookie(client)
    assert stolen is not None
    client.post("/logout", data={"csrf_token": token(client, "/account")})

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/account").status_code == 302

    log_in(client)  # a new log-in works, in the new generation
    assert client.get("/account").status_code == 200


def test_log_out_ends_the_sessions_on_other_devices_too(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    register(laptop)
    log_in(laptop)
    log_in(phone)
    assert phone.get("/account").status_code == 200
    laptop.post("/logout", data={"csrf_token": token(laptop, "/account")})
    assert phone.get("/account").status_code == 302


def test_the_session_lifetime_is_configurable(tmp_path: Path) -> None:
    from datetime import timedelta

    app = make_app(tmp_path, session_lifetime=timedelta(minutes=30))
    client = app.test_client()
    register(client)
    response = log_in(client)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Expires=" in header
    assert app.permanent_session_lifetime == timedelta(minutes=30)


# -- redirects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=y",
        " //evil.example",
    ],
)
def test_next_never_redirects_off_the_site(client: FlaskClient, target: str) -> None:
    register(client)
    from urllib.parse import quote

    response = log_in(client, query=f"?next={quote(target, safe='')}")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location in ("/", "/%0d%0aSet-Cookie:x=y"), location
    assert "evil" not in location


def test_next_inside_the_site_is_followed(client: FlaskClient) -> None:
    register(client)
    response = log_in(client, query="?next=/premium")
    assert response.headers["Location"] == "/premium"


# -- rate limits ------------------------------------------------------------------------


def test_the_sixth_wrong_password_within_a_minute_gets_429(client: FlaskClient) -> None:
    register(client)
    answers = [log_in(client, password=f"wrong password {i}").status_code for i in range(6)]
    assert answers == [401, 401, 401, 401, 401, 429]
    refused = log_in(client)  # even the right password waits now
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert refused.headers.get("Retry-After")


def test_the_limit_is_per_account(client: FlaskClient) -> None:
    register(client)
    register(client, email="other@example.com")
    for i in range(6):
        log_in(client, password=f"wrong password {i}")
    assert log_in(client, email="other@example.com").status_code == 303


@pytest.mark.parametrize("first", ["form", "json", "multipart"])
@pytest.mark.parametrize("then", ["form", "json", "multipart"])
def test_log_ins_count_against_the_account_however_the_email_is_sent(
    client: FlaskClient, first: str, then: str
) -> None:
    """Issue 8, item 8: JSON log-ins were counted under an empty email, so an account
    took 5 form and 5 JSON guesses a minute."""
    register(client)

    def attempt(how: str, password: str) -> int:
        fields = {"email": EMAIL.upper(), "password": password}  # the key normalises
        headers = {"X-CSRFToken": token(client)}
        if how == "json":
            return client.post("/login", json=fields, headers=headers).status_code
        kind = "multipart/form-data" if how == "multipart" else None
        return client.post("/login", data=fields, headers=headers, content_type=kind).status_code

    answers = [attempt(first, f"wrong password {i}") for i in range(5)]
    assert answers == [401] * 5
    assert attempt(then, "wrong password 5") == 429
    assert attempt(then, PASSWORD) == 429


def test_the_limit_is_per_address_too(tmp_path: Path) -> None:
    client = make_app(tmp_path, login_rate_limit_per_address="3 per minute").test_client()
    answers = [log_in(client, email=f"nobody{i}@example.com").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]


def test_an_unknown_email_and_a_wrong_password_get_the_same_page(client: FlaskClient) -> None:
    register(client)
    wrong = log_in(client, password="not the password")
    unknown = log_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401

    def strip(text: str) -> str:
        return re.sub(r'value="[^"]*"', "", text)

    assert strip(wrong.text).replace(EMAIL, "X") == strip(unknown.text).replace(
        "nobody@example.com", "X"
    )


# -- passwords --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("guard@example.com", "must not be your email"),
        ("password123", "most common"),
        ("short", "at least 8 characters"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(
    client: FlaskClient, password: str, reason: str
) -> None:
    response = register(client, password=password)
    assert response.status_code == 400
    assert reason in response.text
    assert log_in(client, password=password).status_code == 401


def test_argon2id_parameters_are_at_or_above_owasp_minimum() -> None:
    assert DEFAULT_PARAMETERS.memory_cost_kib >= 19 * 1024
    assert DEFAULT_PARAMETERS.time_cost >= 2
    assert DEFAULT_PARAMETERS.parallelism >= 1
    with pytest.raises(ValueError, match="OWASP"):
        Argon2PasswordHasher(
            Argon2Parameters(time_cost=1, memory_cost_kib=19 * 1024, parallelism=1)
        )


def test_log_in_rehashes_when_the_parameters_change(app: Flask, client: FlaskClient) -> None:
    container = app.extensions["container"]
    container.hasher.override(Argon2PasswordHasher(OWASP_MINIMUM))
    register(client)
    with container.uow() as uow:
        old_hash = uow.users.get_by_email(EmailAddress(EMAIL)).password_hash
    assert "m=19456,t=2,p=1" in old_hash

    stronger = Argon2Parameters(time_cost=3, memory_cost_kib=32 * 1024, parallelism=1)
    container.hasher.override(Argon2PasswordHasher(stronger))
    container.dummy_hash.reset()
    assert log_in(client).status_code == 303
    with container.uow() as uow:
        new_hash = uow.users.get_by_email(EmailAddress(EMAIL)).password_hash
    assert "m=32768,t=3,p=1" in new_hash
    assert log_in(client).status_code == 303


# -- headers and sizes ------------------------------------------------------------------


def _get_routes(app: Flask) -> list[str]:
    rules: list[Rule] = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())]
    paths = [r.rule for r in rules if not r.arguments]
    return [*paths, "/static/style.css", "/no-such-page", "/success?session_id=cs_x"]


def test_every_page_carries_the_security_headers(app: Flask, client: FlaskClient) -> None:
    register(client)
    anonymous = app.test_client()
    log_in(client)
    paths = _get_routes(app)
    assert {"/", "/free", "/premium", "/account", "/login", "/register", "/cancel"} <= set(paths)
    for who in (anonymous, client):
        for path in paths:
            response = who.get(path)
            headers = response.headers
            csp = headers.get("Content-Security-Policy", "")
            assert "script-src 'self'" in csp, path
            assert "'unsafe-inline'" not in csp, path
            assert "frame-ancestors 'none'" in csp, path
            assert headers.get("X-Frame-Options") == "DENY", path
            assert headers.get("X-Content-Type-Options") == "nosniff", path
            assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", path


def test_no_page_has_an_inline_script_or_style(app: Flask, client: FlaskClient) -> None:
    """Scripts only as files of our own (`<script src="/static/...">`, nothing inside),
    no `<style>`, no `style=` or `on...=` attribute: what the strict CSP would refuse."""
    register(client)
    log_in(client)
    anonymous = app.test_client()
    for who in (anonymous, client):
        for path in _get_routes(app):
            response = who.get(path)
            if response.mimetype != "text/html":
                continue
            text = response.get_data(as_text=True)
            for attributes, body in re.findall(
                r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I
            ):
                assert re.search(r'\ssrc="/static/[\w.-]+\.js"', attributes), (path, attributes)
                assert body.strip() == "", path
            assert text.lower().count("<script") == text.lower().count("</script>"), path
            assert "<style" not in text.lower(), path
            assert not re.search(r"<[^>]*\s(style|on\w+)\s*=", text, re.I), path


def test_a_body_above_max_content_length_gets_413(client: FlaskClient) -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    response = client.post(
        "/webhook", data=big, headers={"Stripe-Signature": se.sign(big, SIGNING_SECRET)}
    )
    assert response.status_code == 413


# -- logs -------------------------------------------------------------------------------


def test_logs_never_carry_a_password_cookie_or_secret(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    register(client)
    log_in(client, password="a wrong password here")
    log_in(client)
    cookie = session_cookie(client)
    client.get("/premium")
    client.post("/create-checkout-session", data={"csrf_token": token(client, "/account")})
    event = se.event("customer.subscription.updated", se.subscription())
    payload = json.dumps(event).encode()
    client.post(
        "/webhook", data=payload, headers={"Stripe-Signature": se.sign(payload, SIGNING_SECRET)}
    )
    client.post(
        "/webhook", data=payload, headers={"Stripe-Signature": se.sign(payload, "whsec_test_wrong")}
    )
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "the flow should log something"
    for secret in (PASSWORD, "a wrong password here", cookie, STRIPE_KEY, SIGNING_SECRET):
        assert secret and secret not in logged
    assert SIGNING_SECRET not in repr(app.extensions["container"].settings())
    assert STRIPE_KEY not in repr(app.extensions["container"].settings())


def test_rate_limit_counters_go_to_redis_when_configured(tmp_path: Path) -> None:
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    server = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {url}; set REQUIRE_REDIS=1 to make this a failure"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message} ({error})")
        pytest.skip(message)
    server.flushdb()
    app = make_app(tmp_path, ratelimit_storage_uri=url)
    client = app.test_client()
    answers = [log_in(client, password=f"wrong {i}").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]
    assert any(b"login-account" in key for key in server.keys("*"))
    # A second worker (another app on the same Redis) sees the same counters.
    other = make_app(tmp_path / "other", ratelimit_storage_uri=url).test_client()
    assert log_in(other, password="wrong again").status_code == 429
    server.flushdb()


def test_per_process_rate_limits_are_warned_about_at_start_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 8, item 8: with in-memory counters each worker counts alone; the operator
    is told, with the setting that fixes it."""
    caplog.set_level(logging.WARNING, logger="entrypoints.flask_app.rate_limit")
    make_app(tmp_path)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "each worker process counts alone" in warnings[0]
    assert "RATELIMIT_STORAGE_URI=redis://" in warnings[0]


def test_the_per_process_warning_follows_the_storage_and_the_worker_count() -> None:
    memory = Settings(secret_key="k" * 32)
    local = Settings(secret_key="k" * 32, local_default=True)
    shared = Settings(secret_key="k" * 32, ratelimit_storage_uri="redis://127.0.0.1:6379/0")

    assert warn_if_per_process_limits(memory) is True  # a server of unknown size
    assert warn_if_per_process_limits(local) is False  # `make run`: one process
    assert warn_if_per_process_limits(memory, workers=1) is False
    assert warn_if_per_process_limits(memory, workers=4) is True
    assert warn_if_per_process_limits(local, workers=4) is True
    assert warn_if_per_process_limits(shared, workers=4) is False


def test_parallel_guesses_cannot_slip_past_the_limit(tmp_path: Path) -> None:
    """Each attempt is counted before the password is checked: 20 guesses at once, and
    only 5 reach the hasher."""
    app = make_app(tmp_path)
    hasher: FakePasswordHasher = app.extensions["container"].hasher()
    register(app.test_client())
    with serve(app) as live:

        def guess(i: int) -> int:
            session = requests.Session()
            page = session.get(f"{live.url}/login", timeout=10).text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
            assert token is not None
            data = {"csrf_token": token.group(1), "email": EMAIL, "password": f"guess {i}"}
            return session.post(f"{live.url}/login", data=data, timeout=10).status_code

        before = hasher.verify_calls
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(guess, range(20)))
    assert sorted(answers) == [401] * 5 + [429] * 15
    assert hasher.verify_calls - before == 5


def test_registrations_are_limited_per_address(tmp_path: Path) -> None:
    client = make_app(tmp_path, register_rate_limit="3 per minute").test_client()
    answers = [register(client, email=f"r{i}@example.com").status_code for i in range(4)]
    assert answers == [303, 303, 303, 429]


def test_one_unverified_account_cannot_make_the_site_email_dozens_of_strangers_an_hour(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change-of-email form mails the address typed. Limited only like log-in (5 a
    minute), one account made the site mail thousands of strangers a day."""
    import limits.storage.memory as memory_storage

    register(client)
    assert log_in(client).status_code == 303  # never verified
    clock = [time.time()]
    monkeypatch.setattr(memory_storage, "time", SimpleNamespace(time=lambda: clock[0]))
    for minute in range(12):  # twelve minutes, each under the per-minute limit
        clock[0] += 61
        for n in range(5):
            form = {"email": f"stranger{minute}-{n}@example.org", "password": PASSWORD}
            data = {"csrf_token": token(client, "/account/settings"), **form}
            client.post("/account/settings/email", data=data)

    with client.application.extensions["container"].uow().reading() as uow:
        strangers = {
            str(e.message.to) for e in uow.outbox.list() if "stranger" in str(e.message.to)
        }
    assert 0 < len(strangers) <= 20, f"{len(strangers)} strangers emailed within 12 minutes"


def test_the_session_cookie_does_not_carry_the_reset_links_secret_readably(app: Flask) -> None:
    """A Flask session cookie is signed, not encrypted: whoever sees it (a proxy's log,
    the browser's cookie store) reads it. The reset link, once opened, is kept there
    without its secret."""
    signed_up(app, EMAIL, PASSWORD)
    reset_path = reset_link_path(app, EMAIL)
    secret = token_of(reset_path).split(".")[1]

    browser = app.test_client()
    assert browser.get(reset_path).status_code == 303
    cookie = browser.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    readable = zlib.decompress(raw) if cookie.value.startswith(".") else raw
    assert secret.encode() not in readable, "the reset link's secret is readable in the cookie"
    assert browser.get("/reset-password/new").status_code == 200  # the form still opens


@pytest.mark.parametrize("value", [7, ["x"], {"a": 1}, None, "uid:\uff10", "uid:"])
def test_a_signed_session_with_an_odd_user_id_is_logged_out_not_a_500(
    app: Flask, value: object
) -> None:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    client = app.test_client()
    client.set_cookie("session", serializer.dumps({"_user_id": value, "_fresh": True}))
    assert client.get("/account").status_code == 302
    assert client.get("/").status_code == 200


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page(
    client: FlaskClient,
) -> None:
    register(client)
    token = form_token(client, "/login")
    response = client.post(
        "/create-checkout-session",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/premium"},
    )
    assert response.status_code == 302
    assert "next=/premium" in response.headers["Location"]
    elsewhere = client.post(
        "/create-checkout-session",
        data={"csrf_token": token},
        headers={"Referer": "https://evil.example/premium"},
    )
    assert "evil" not in elsewhere.headers["Location"]
    assert "create-checkout-session" not in elsewhere.headers["Location"]
