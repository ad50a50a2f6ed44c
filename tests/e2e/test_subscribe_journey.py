"""Subscribe through the emulator's checkout, over HTTP, with the real Stripe adapter
and SDK: the journey a new user takes after `make run`."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from application.ports import EventStatus
from tests.e2e.stripe_stack import (
    StripeStack,
    open_portal,
    pay,
    portal_action,
    stripe_stack,
    subscribe,
)
from tests.e2e.support import Browser

EMAIL = "payer@example.com"
PASSWORD = "a fine passphrase"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path) as stack:
        yield stack


@pytest.fixture
def browser(stack: StripeStack) -> Browser:
    return stack.server.browser().sign_up(EMAIL, PASSWORD)


def inbox(stack: StripeStack) -> dict[str, EventStatus]:
    with stack.server.container.uow() as uow:
        return {r.provider_type: r.status for r in uow.events.list()}


def test_paying_with_4242_lands_on_success_and_opens_premium(
    stack: StripeStack, browser: Browser
) -> None:
    assert browser.get("/premium").status_code == 403
    paid = subscribe(browser)
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith(f"{stack.server.url}/success?session_id=cs_test_")

    success = browser.get(paid.headers["Location"])
    assert success.status_code == 200
    assert "Thank you for subscribing" in success.text
    assert browser.get("/premium").status_code == 200

    assert stack.emulator.delivery.wait_idle(10)
    events = inbox(stack)
    # Whichever of the success page and the webhooks came first stored the subscription;
    # an event that found it stored already changed nothing and is "ignored".
    assert events["checkout.session.completed"] in (EventStatus.PROCESSED, EventStatus.IGNORED)
    assert EventStatus.FAILED not in events.values()
    assert "customer.subscription.created" in events
    assert "invoice.paid" in events
    account = browser.get("/account").text
    assert "Active" in account
    assert "Manage billing" in account


def test_a_declined_card_says_so_and_premium_stays_closed(
    stack: StripeStack, browser: Browser
) -> None:
    declined = subscribe(browser, card="4000 0000 0000 0002")
    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    assert stack.emulator.delivery.wait_idle(10)
    assert browser.get("/premium").status_code == 403


def test_success_grants_premium_before_any_webhook_arrives(
    stack: StripeStack, browser: Browser
) -> None:
    stack.emulator.delivery.set_mode("delay")
    paid = subscribe(browser)
    assert browser.get(paid.headers["Location"]).status_code == 200
    assert inbox(stack) == {}  # nothing delivered yet
    assert browser.get("/premium").status_code == 200

    stack.emulator.delivery.flush()  # the late webhooks change nothing
    assert stack.emulator.delivery.wait_idle(10)
    assert browser.get("/premium").status_code == 200


def test_someone_elses_checkout_session_is_refused_on_success(
    stack: StripeStack, browser: Browser
) -> None:
    paid = subscribe(browser)
    other = stack.server.browser()
    other.register("other@example.com", PASSWORD)
    other.log_in("other@example.com", PASSWORD)
    response = other.get(paid.headers["Location"].replace(stack.server.url, ""))
    assert response.status_code == 403
    assert other.get("/premium").status_code == 403


def test_subscribing_again_while_subscribed_opens_the_billing_portal(
    stack: StripeStack, browser: Browser
) -> None:
    browser.get(subscribe(browser).headers["Location"])
    browser.get("/account")
    again = browser.submit("/create-checkout-session")
    assert again.status_code == 303
    assert "/portal/" in again.headers["Location"]


def test_canceling_in_the_portal_removes_premium(stack: StripeStack, browser: Browser) -> None:
    browser.get(subscribe(browser).headers["Location"])
    assert stack.emulator.delivery.wait_idle(10)
    portal = open_portal(browser)
    assert portal_action(browser, portal, "Cancel now").status_code in (302, 303)
    assert stack.emulator.delivery.wait_idle(10)
    assert inbox(stack)["customer.subscription.deleted"] is EventStatus.PROCESSED
    assert browser.get("/premium").status_code == 403


def test_subscribe_in_two_tabs_leaves_only_the_later_checkout_payable(
    stack: StripeStack, browser: Browser
) -> None:
    browser.get("/premium")
    first = browser.submit("/create-checkout-session").headers["Location"]
    browser.get("/premium")
    second = browser.submit("/create-checkout-session").headers["Location"]

    assert second != first
    assert pay(browser, second, "4242 4242 4242 4242").status_code == 303
    again = pay(browser, first, "4242 4242 4242 4242")
    assert again.status_code != 303  # expired by the second tab, as Stripe would
    assert stack.emulator.delivery.wait_idle(10)

    with stack.server.container.uow() as uow:
        [user] = uow.users.list_billed()
    assert len([s for s in user.subscriptions.values() if s.is_live]) == 1


def test_subscribing_again_before_any_webhook_arrives_opens_the_portal(
    stack: StripeStack, browser: Browser
) -> None:
    stack.emulator.delivery.set_mode("drop")
    subscribe(browser)  # paid, but we were told nothing and the user left

    browser.get("/premium")
    again = browser.submit("/create-checkout-session")
    assert again.status_code == 303
    assert "/portal/" in again.headers["Location"]
    assert browser.get("/premium").status_code == 200  # found at Stripe on the way


def test_item_6_three_quick_clicks_land_the_last_on_a_payable_checkout(
    stack: StripeStack, browser: Browser
) -> None:
    browser.get("/premium")
    token = browser.csrf_token()
    browser.submit("/create-checkout-session")  # the customer exists: clicks race on checkouts

    def click(delay: float) -> str:
        time.sleep(delay)
        response = browser.http.post(
            f"{stack.server.url}/create-checkout-session",
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=20,
        )
        assert response.status_code == 303, response.text[:300]
        return str(response.headers["Location"])

    with ThreadPoolExecutor(3) as pool:
        landed = list(pool.map(click, (0.0, 0.05, 0.1)))

    def is_payable(url: str) -> bool:
        page = browser.http.get(url, timeout=10).text
        return "has expired" not in page and "already complete" not in page

    payable = [url for url in set(landed) if is_payable(url)]
    assert payable == [landed[-1]], landed  # the last click's page, and only one
