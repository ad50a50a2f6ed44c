"""The service's side of a bench: a subscriber made through the Stripe emulator, users
seeded for the spread webhooks, and the requests of each scenario."""

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy import Engine

from adapters.sqlalchemy.database import create_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.stripe.translate import subscription_from_stripe
from bench.requests_file import Request
from domain.email import EmailAddress
from domain.user import User

STRIPE_KEY = "sk_test_bench"
PASSWORD = "bench-password-correct-horse"  # noqa: S105
PREMIUM_TEXT = "Thank you for subscribing."  # what only a subscriber's /premium says
SIGNED_IN_TEXT = "Signed in as"
SEEDED_USERS = 1000
_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
_VERIFY_LINK = re.compile(r"https?://[^/\s]+(/verify-email/[A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class Subscriber:
    email: str
    cookie: str  # the signed-in session, as the browser sends it
    user_id: str
    subscription: Mapping[str, Any]  # Stripe's object, as the emulator answers it
    user_agent: str  # the browser's: Flask-Login's session protection compares it

    @property
    def headers(self) -> dict[str, str]:
        """What the browser that logged in sends with each page: its cookie and its
        User-Agent. Without the latter, each replayed request would look like the
        session moved to another client, and the answer would re-sign the cookie."""
        return {"Cookie": self.cookie, "User-Agent": self.user_agent}


def _token(session: requests.Session, url: str) -> str:
    match = _CSRF.search(session.get(url, timeout=10).text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def _post(session: requests.Session, url: str, expect: int, **fields: str) -> requests.Response:
    data = {"csrf_token": _token(session, url), **fields}
    answer = session.post(url, data=data, allow_redirects=False, timeout=30)
    if answer.status_code != expect:
        raise RuntimeError(f"POST {url}: {answer.status_code}, expected {expect}")
    return answer


def subscribe(app_url: str, emulator_url: str, email: str, engine: Engine) -> Subscriber:
    """Register, log in, Subscribe, pay on the emulator's checkout page: as a person."""
    browser = requests.Session()
    _post(browser, f"{app_url}/register", 303, email=email, password=PASSWORD)
    _verify(browser, app_url, email, engine)  # paying needs a verified address
    _post(browser, f"{app_url}/login", 303, email=email, password=PASSWORD)
    data = {"csrf_token": _token(browser, f"{app_url}/premium")}
    started = browser.post(
        f"{app_url}/create-checkout-session", data=data, allow_redirects=False, timeout=30
    )
    if started.status_code != 303:
        raise RuntimeError(f"Subscribe answered {started.status_code}: {started.text[:300]}")
    checkout = started.headers["Location"]
    card = {"email": "", "card_number": "4242 4242 4242 4242", "card_expiry": "12 / 34"}
    paid = browser.post(
        checkout, data={**card, "card_cvc": "123"}, allow_redirects=True, timeout=30
    )
    if paid.status_code != 200:
        raise RuntimeError(f"checkout answered {paid.status_code}: {paid.text[:300]}")
    premium = browser.get(f"{app_url}/premium", timeout=10)
    if premium.status_code != 200 or PREMIUM_TEXT not in premium.text:
        raise RuntimeError(f"the subscriber is refused premium: {premium.status_code}")
    with SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow:
        user = uow.users.get_by_email(EmailAddress(email))
    if user is None or len(user.subscriptions) != 1:
        raise RuntimeError("the subscriber's subscription was not stored")
    (subscription_id,) = user.subscriptions
    answer = requests.get(
        f"{emulator_url}/v1/subscriptions/{subscription_id}", auth=(STRIPE_KEY, ""), timeout=10
    )
    answer.raise_for_status()
    user_agent = str(browser.headers["User-Agent"])
    return Subscriber(email, _cookie_header(browser), user.id, answer.json(), user_agent)


def _verify(browser: requests.Session, app_url: str, email: str, engine: Engine) -> None:
    """Open the link of the verification email, read in the app's outbox."""
    with SqlAlchemyUnitOfWork(create_session_factory(engine)).reading() as uow:
        texts = [e.message.text for e in uow.outbox.list() if e.message.to.value == email]
    links = [path for text in texts for path in _VERIFY_LINK.findall(text)]
    if not links:
        raise RuntimeError(f"no verification email to {email}")
    answer = browser.get(f"{app_url}{links[-1]}", allow_redirects=False, timeout=10)
    if answer.status_code != 303:
        raise RuntimeError(f"the verification link answered {answer.status_code}")


def _cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def login_form(app_url: str, email: str) -> Request:
    """A log-in POST that succeeds (303) every time it is sent: the cookie and CSRF token of
    one visit to the log-in page."""
    browser = requests.Session()
    token = _token(browser, f"{app_url}/login")
    body = urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    headers = {
        "Cookie": _cookie_header(browser),
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": str(browser.headers["User-Agent"]),
    }
    return Request("POST", "/login", headers, body)


def seeded_subscription(template: Mapping[str, Any], group: str, index: int) -> dict[str, Any]:
    obj = deepcopy(dict(template))
    obj["id"] = f"sub_bench_{group}_{index}"
    obj["customer"] = f"cus_bench_{group}_{index}"
    obj["metadata"] = {}
    return obj


def seed_users(engine: Engine, template: Mapping[str, Any], group: str) -> None:
    """SEEDED_USERS users, each with a live subscription like the subscriber's (written
    straight to the database: a thousand checkouts would only slow the set-up)."""
    now = datetime.now(UTC)
    with SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow:
        for index in range(SEEDED_USERS):
            obj = seeded_subscription(template, group, index)
            snapshot = subscription_from_stripe(obj, as_of=now)
            user = User.register(
                EmailAddress(f"bench-{group}-{index}@example.com"), "not-a-hash", now
            )
            user.customer_id = obj["customer"]
            user.subscriptions[snapshot.id] = snapshot
            uow.users.add(user)
        uow.commit()


def sign(payload: str, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook(event_id: str, created: int, obj: Mapping[str, Any], secret: str) -> Request:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": "customer.subscription.updated",
        "data": {"object": obj, "previous_attributes": {}},
    }
    body = json.dumps(event, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": sign(body, secret, int(time.time())),
    }
    return Request("POST", "/webhook", headers, body)


def same_state_events(
    prefix: str, count: int, objects: list[dict[str, Any]], secret: str
) -> Iterator[Request]:
    """Distinct events, stamped now, that repeat each subscription's stored state: the
    first about a subscription is applied, the others are ties with the same state
    (ignored). Event i is about objects[i % len(objects)]."""
    created = int(time.time())
    for i in range(count):
        yield webhook(f"{prefix}{i}", created, objects[i % len(objects)], secret)


def changing_events(
    prefix: str, count: int, objects: list[dict[str, Any]], secret: str, first_created: int
) -> Iterator[Request]:
    """Distinct events that each change their subscription (cancel at period end, on and
    off), each one second newer than the last about the same subscription: with
    subscriptions many more than connections, each is applied and writes its user."""
    for i in range(count):
        turn, which = divmod(i, len(objects))
        obj = dict(objects[which])
        obj["cancel_at_period_end"] = turn % 2 == 0
        yield webhook(f"{prefix}{i}", first_created + turn, obj, secret)
