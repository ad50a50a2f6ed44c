"""POST /webhook: signatures, tolerance, duplicates, unknown events, the seed's bug."""

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.ports import EventStatus
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token, user_id_of
from tests.support import stripe_events as se

OLD_SECRET = "whsec_test_old_secret"
NEW_SECRET = "whsec_test_new_secret"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return offline_stripe_app(tmp_path, (OLD_SECRET, NEW_SECRET))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def inbox(app: Flask) -> list[Any]:
    with app.extensions["container"].uow() as uow:
        return list(uow.events.list())


def post_event(
    client: FlaskClient,
    data: dict[str, Any],
    *,
    secret: str = NEW_SECRET,
    timestamp: int | None = None,
) -> Any:
    payload = json.dumps(data).encode()
    return client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, secret, timestamp)},
        content_type="application/json",
    )


def register_and_log_in(client: FlaskClient, email: str = "sub@example.com") -> None:
    data = {
        "csrf_token": form_token(client, "/register"),
        "email": email,
        "password": "a fine passphrase",
    }
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303


def subscription_event(
    app: Flask, type_: str, status: str, created: int, **kw: Any
) -> dict[str, Any]:
    user_id = user_id_of(app, "sub@example.com")
    obj = se.subscription(status=status, user_id=user_id, **kw)
    return se.event(type_, obj, created=created)


def test_a_signed_subscription_event_grants_premium(app: Flask, client: FlaskClient) -> None:
    register_and_log_in(client)
    assert client.get("/premium").status_code == 403
    response = post_event(
        client, subscription_event(app, "customer.subscription.created", "active", 1000)
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "processed"
    assert client.get("/premium").status_code == 200


def test_subscription_deleted_removes_premium_the_seeds_crashing_branch(
    app: Flask, client: FlaskClient
) -> None:
    register_and_log_in(client)
    post_event(client, subscription_event(app, "customer.subscription.created", "active", 1000))
    assert client.get("/premium").status_code == 200
    deleted = se.event(
        "customer.subscription.deleted",
        # Stripe's deleted event names no user of ours: found by the subscription id.
        se.subscription(status="canceled", ended_at=int(time.time())),
        created=2000,
    )
    assert post_event(client, deleted).status_code == 200
    assert client.get("/premium").status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": ""},
        {"Stripe-Signature": "garbage"},
        {"Stripe-Signature": "t=1,v1=deadbeef"},
        {"Stripe-Signature": "t=notanumber,v1=00"},
    ],
    ids=["missing", "empty", "garbage", "wrong", "malformed-timestamp"],
)
def test_a_missing_or_bad_signature_gets_400_and_stores_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    payload = json.dumps(se.event("customer.subscription.created", se.subscription())).encode()
    response = client.post(
        "/webhook", data=payload, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert len(response.get_data()) < 200
    assert inbox(app) == []


def test_a_signature_with_another_secret_gets_400(app: Flask, client: FlaskClient) -> None:
    data = se.event("customer.subscription.created", se.subscription())
    assert post_event(client, data, secret="whsec_test_someone_else").status_code == 400
    assert inbox(app) == []


def test_a_replayed_delivery_older_than_the_tolerance_gets_400(
    app: Flask, client: FlaskClient
) -> None:
    data = se.event("customer.subscription.created", se.subscription())
    stale = int(time.time()) - 301
    assert post_event(client, data, timestamp=stale).status_code == 400
    assert inbox(app) == []


def test_both_secrets_are_accepted_while_rotating(app: Flask, client: FlaskClient) -> None:
    first = se.event("customer.created", se.fixture("customer"))
    second = se.event("customer.created", se.fixture("customer"))
    assert post_event(client, first, secret=OLD_SECRET).status_code == 200
    assert post_event(client, second, secret=NEW_SECRET).status_code == 200


def test_a_live_event_is_refused_on_a_test_key(app: Flask, client: FlaskClient) -> None:
    data = se.event("customer.subscription.created", se.subscription(), livemode=True)
    assert post_event(client, data).status_code == 400
    assert inbox(app) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"object": "event"}',
        b'{"id": "evt_1", "object": "list"}',
        b"\xff\xfe",
    ],
)
def test_a_signed_body_that_is_not_an_event_gets_400(
    app: Flask, client: FlaskClient, body: bytes
) -> None:
    response = client.post(
        "/webhook", data=body, headers={"Stripe-Signature": se.sign(body, NEW_SECRET)}
    )
    assert response.status_code == 400
    assert inbox(app) == []


def test_the_same_event_delivered_twice_has_one_effect(app: Flask, client: FlaskClient) -> None:
    register_and_log_in(client)
    data = subscription_event(app, "customer.subscription.created", "active", 1000)
    first = post_event(client, data)
    second = post_event(client, data)
    assert first.get_json() == {"received": True, "status": "processed", "duplicate": False}
    assert second.get_json() == {"received": True, "status": "processed", "duplicate": True}
    records = inbox(app)
    assert [r.event_id for r in records] == [data["id"]]


def test_an_unknown_event_type_gets_200_and_is_recorded_as_ignored(
    app: Flask, client: FlaskClient
) -> None:
    data = se.event("charge.refunded", se.fixture("charge"))
    response = post_event(client, data)
    assert response.status_code == 200
    [record] = inbox(app)
    assert record.status is EventStatus.IGNORED
    assert record.event_id == data["id"]


def test_an_event_about_an_unknown_subscriber_gets_200_and_is_recorded(
    app: Flask, client: FlaskClient
) -> None:
    data = se.event(
        "customer.subscription.updated", se.subscription(id="sub_nobody", customer="cus_nobody")
    )
    assert post_event(client, data).status_code == 200
    [record] = inbox(app)
    assert record.status is EventStatus.IGNORED
    assert "no user" in (record.note or "")


def test_the_webhook_needs_no_csrf_token_but_the_forms_do(app: Flask, client: FlaskClient) -> None:
    data = se.event("customer.created", se.fixture("customer"))
    assert post_event(client, data).status_code == 200  # no token sent
    for path in ("/register", "/login", "/logout", "/create-checkout-session", "/billing-portal"):
        assert client.post(path, data={}).status_code == 400, path


def test_the_webhooks_errors_are_short_plain_text_not_pages(client: FlaskClient) -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    response = client.post(
        "/webhook", data=big, headers={"Stripe-Signature": se.sign(big, NEW_SECRET)}
    )
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "413 Request Entity Too Large"
