"""Whatever reaches /webhook, the answer is 200 or a short 4xx, never a 500, and a refused
delivery stores nothing."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.stripe import StripePaymentGateway, StripeSettings
from domain.email import EmailAddress
from domain.user import User
from entrypoints.flask_app import create_app
from tests.e2e.conftest import sqlite_settings
from tests.support import stripe_events as se

SECRET = "whsec_test_fuzz_secret"

EVENT_TYPES = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "invoice.paid",
    "invoice.payment_failed",
    "charge.refunded",
]
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def event_like(draw: st.DrawFn) -> dict[str, Any]:
    """Events near the real shape: a real fixture object with fields broken at random."""
    type_ = draw(st.sampled_from(EVENT_TYPES))
    base = {
        "checkout.session.completed": lambda: se.checkout_session(
            user_id="u1", customer="cus_1", subscription="sub_1"
        ),
        "invoice.paid": lambda: se.invoice(customer="cus_1", subscription="sub_1"),
        "invoice.payment_failed": lambda: se.invoice(customer="cus_1", subscription="sub_1"),
        "charge.refunded": lambda: se.fixture("charge"),
    }.get(type_, se.subscription)()
    data = se.event(type_, base)
    for target in draw(st.lists(st.sampled_from(["event", "object"]), max_size=3)):
        holder = data if target == "event" else base
        key = draw(st.sampled_from(sorted(holder)))
        holder[key] = draw(json_values)
    return data


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp: Path = tmp_path_factory.mktemp("webhook-fuzz")
    app = create_app(
        sqlite_settings(
            tmp,
            stripe_secret_key="sk_test_fuzz",
            stripe_price_id="price_test_1",
            stripe_webhook_secrets=(SECRET,),
            # Stripe cannot be reached: an event that needs a fetch is answered 503.
            stripe_api_base="http://127.0.0.1:9",
        )
    )
    # No retries against the closed port: each fetch fails at once.
    settings = StripeSettings(
        "sk_test_fuzz", (SECRET,), api_base="http://127.0.0.1:9", network_retries=0
    )
    app.extensions["container"].gateway.override(StripePaymentGateway(settings))
    # The user the generated events are about (reference u1, customer cus_1), so that
    # they reach the code that applies them, not only the parser.
    with app.extensions["container"].uow() as uow:
        user = User("u1", EmailAddress("u1@example.com"), "hash", datetime.now(UTC), "cus_1")
        uow.users.add(user)
        uow.commit()
    yield app


def inbox_size(app: Flask) -> int:
    with app.extensions["container"].uow() as uow:
        return len(uow.events.list())


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode),
    headers=st.dictionaries(
        st.sampled_from(["Stripe-Signature", "Content-Type", "X-Anything"]),
        # Anything a header can carry on the wire (werkzeug reads it as latin-1).
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200),
        max_size=3,
    ),
)
def test_arbitrary_bodies_and_headers_never_get_500_and_store_nothing(
    app: Flask, body: bytes, headers: dict[str, str]
) -> None:
    before = inbox_size(app)
    response = app.test_client().post("/webhook", data=body, headers=headers)
    assert response.status_code == 400
    assert len(response.get_data()) < 200
    assert inbox_size(app) == before


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=event_like())
def test_signed_event_like_bodies_get_200_400_or_503_never_500(
    app: Flask, data: dict[str, Any]
) -> None:
    payload = json.dumps(data).encode()
    before = inbox_size(app)
    response = app.test_client().post(
        "/webhook", data=payload, headers={"Stripe-Signature": se.sign(payload, SECRET)}
    )
    assert response.status_code in (200, 400, 503), response.get_data()
    if response.status_code == 400:
        assert inbox_size(app) == before
    else:  # 503 records the event as failed, for the retry or an operator's replay
        assert inbox_size(app) <= before + 1
