"""Helpers for the emulator's tests: form posts, a webhook receiver, a paid checkout."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from stripe_emulator import Emulator

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
LATER_FAILS_CARD = "4000 0000 0000 0341"
DAY = 86400


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: str


def http_request(
    method: str,
    url: str,
    *,
    form: dict[str, str] | list[tuple[str, str]] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    """One HTTP request without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    all_headers = dict(headers or {})
    if form is not None:
        body = urlencode(form)
        all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return HttpResult(
            response.status,
            {key.lower(): value for key, value in response.getheaders()},
            response.read().decode(),
        )
    finally:
        connection.close()


def card_form(number: str, email: str | None = None) -> dict[str, str]:
    form = {"card_number": number, "card_expiry": "12 / 34", "card_cvc": "123"}
    if email is not None:
        form["email"] = email
    return form


@dataclass
class Received:
    body: str
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    """A small local HTTP server that records webhook POSTs.

    ``statuses`` are answered in turn (then 200 for ever).
    """

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received.append(
                Received(request.get_data(as_text=True), dict(request.headers.items()))
            )
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    def event_types(self) -> list[str]:
        with self._lock:
            return [json.loads(item.body)["type"] for item in self.received]

    def event_ids(self) -> list[str]:
        with self._lock:
            return [json.loads(item.body)["id"] for item in self.received]


@contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(statuses=list(statuses or []))
    server = make_server("127.0.0.1", 0, receiver._app, threaded=True)
    receiver.url = f"http://127.0.0.1:{server.server_port}/webhook"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def client_for(emulator: Emulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_emulator_tests", base_addresses={"api": emulator.url}, max_network_retries=0
    )


def new_price(client: stripe.StripeClient, *, amount: int = 2000, **recurring: Any) -> str:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month", **recurring},
            "product_data": {"name": "Premium"},
        }
    )
    return str(price.id)


def new_session(
    client: stripe.StripeClient,
    *,
    price: str | None = None,
    customer: str | None = None,
    email: str | None = None,
    **extra: Any,
) -> Any:
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price or new_price(client), "quantity": 1}],
        "success_url": "http://127.0.0.1:9/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/cancel",
        **extra,
    }
    if customer:
        params["customer"] = customer
    if email:
        params["customer_email"] = email
    return client.v1.checkout.sessions.create(params=params)


def pay(session_url: str, card: str = GOOD_CARD, email: str | None = None) -> HttpResult:
    return http_request("POST", session_url, form=card_form(card, email))


def subscribe(
    client: stripe.StripeClient, card: str = GOOD_CARD, *, test_clock: str | None = None
) -> tuple[str, str]:
    """A customer who paid a checkout with ``card``; returns (customer id, subscription id)."""
    params: dict[str, Any] = {"email": "payer@example.com"}
    if test_clock:
        params["test_clock"] = test_clock
    customer = client.v1.customers.create(params=params)
    session = new_session(client, customer=customer.id)
    result = pay(str(session.url), card)
    assert result.status == 303, result.body
    paid = client.v1.checkout.sessions.retrieve(session.id)
    return str(customer.id), str(paid.subscription)


def event_types(emulator: Emulator, object_id: str) -> list[str]:
    """The types of the events about ``object_id``, oldest first."""
    return [event["type"] for event in emulator.state.events_of(object_id)]


def events_for_customer(emulator: Emulator, customer_id: str) -> list[dict[str, Any]]:
    """Every event whose object is the customer or belongs to it, oldest first."""
    with emulator.state.lock:
        return [
            event
            for event in emulator.state.events.values()
            if customer_id
            in (event["data"]["object"].get("id"), event["data"]["object"].get("customer"))
        ]
