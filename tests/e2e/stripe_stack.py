"""The app wired to the Stripe emulator over HTTP, as `make run` wires it."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from requests import Response

from adapters.catalog_file import load_catalog
from adapters.memory import FakePasswordHasher
from adapters.stripe.provision import ONE_PRICE, provision
from entrypoints.flask_app import create_app
from stripe_emulator import Emulator
from tests.e2e.conftest import sqlite_settings
from tests.e2e.support import Browser, LiveServer, serve_later

STRIPE_KEY = "sk_test_e2e_emulator"


@dataclass
class StripeStack:
    emulator: Emulator
    server: LiveServer


@contextmanager
def stripe_stack(
    tmp_path: Path,
    *,
    real_hasher: bool = False,
    catalog_file: Path | None = None,
    **settings: Any,
) -> Iterator[StripeStack]:
    """Emulator + app served over HTTP; the app's webhook registered in the emulator.

    With `catalog_file`, the app sells that catalog (provisioned in the emulator as
    `make run` does); without, the one price of a one-price setup (STRIPE_PRICE_ID).

    Webhook retries are fast (tests wait with `emulator.delivery.wait_idle`); the
    emulator's clock moves only when a test advances it.
    """
    emulator = Emulator(port=0, delivery_backoff=0.05, delivery_max_attempts=6, tick_interval=None)
    with emulator, serve_later() as (url, install):
        catalog = load_catalog(catalog_file) if catalog_file else ONE_PRICE
        made = provision(
            STRIPE_KEY,
            webhook_url=f"{url}/webhook",
            api_base=emulator.url,
            catalog=catalog,
            portal=catalog_file is not None,
        )
        app = create_app(
            sqlite_settings(
                tmp_path,
                stripe_secret_key=STRIPE_KEY,
                stripe_price_id="" if catalog_file else made.price_id,
                catalog_file=catalog_file,
                stripe_webhook_secrets=(made.webhook_secret,),
                stripe_api_base=emulator.url,
                **settings,
            )
        )
        if not real_hasher:
            app.extensions["container"].hasher.override(FakePasswordHasher())
        install(app)
        yield StripeStack(emulator, LiveServer(url, app))


def pay(browser: Browser, checkout_url: str, card: str) -> Response:
    """Fill in and submit the emulator's hosted checkout page, as a person would."""
    page = browser.http.get(checkout_url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    return browser.http.post(
        checkout_url,
        data={"email": "", "card_number": card, "card_expiry": "12 / 34", "card_cvc": "123"},
        allow_redirects=False,
        timeout=10,
    )


def subscribe(
    browser: Browser, card: str = "4242 4242 4242 4242", *, price: str | None = None
) -> Response:
    """From the premium page: Subscribe (to `price`, a lookup key; None: the one price
    of a one-price setup), pay; returns the checkout page's answer."""
    browser.get("/premium")
    started = browser.submit("/create-checkout-session", {"price": price} if price else None)
    assert started.status_code == 303, started.text[:300]
    return pay(browser, started.headers["Location"], card)


def portal_action(browser: Browser, portal_url: str, button: str, **fields: str) -> Response:
    """Press `button` on the emulator's billing-portal page."""
    page = browser.http.get(portal_url, timeout=10).text
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    for action, body in forms:
        if f">{button}</button>" in body:
            base = portal_url.split("/portal/")[0]
            return browser.http.post(base + action, data=fields, allow_redirects=False, timeout=10)
    raise AssertionError(f"no {button!r} button on the portal page")


def open_portal(browser: Browser) -> str:
    browser.get("/account")
    response = browser.submit("/billing-portal")
    assert response.status_code == 303, response.text[:300]
    return response.headers["Location"]
