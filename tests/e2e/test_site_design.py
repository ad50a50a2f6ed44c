"""The pages' shared design over HTTP (issue 14, part 1): favicon, titles, the nav's
current page and plan badge, the footer, the log-in page's reason and kept email, the
show-password script, and the landing page's plans, prices and notes.

The browser half (widths, the script at work) is tests/e2e/test_browser_layout.py.
"""

import json
import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.conftest import offline_stripe_app
from tests.e2e.stripe_stack import StripeStack, stripe_stack
from tests.e2e.support import Browser, form_token, user_id_of
from tests.support import stripe_events as se

SECRET = "whsec_test_design"
PRICE = "price_test_1"  # what offline_stripe_app sells, as its one plan "Premium"
PASSWORD = "a design passphrase"
REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"
FREE_NOTE = "/notes/capture-first"
PAID_NOTE = "/notes/from-notes-to-draft"
VISITOR_PAGES = ("/", "/notes", FREE_NOTE, PAID_NOTE, "/pricing", "/login", "/register", "/cancel")
MEMBER_PAGES = (*VISITOR_PAGES[:5], "/account", "/premium")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = offline_stripe_app(tmp_path, (SECRET,))
    yield app
    app.extensions["container"].engine().dispose()


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def sign_up(client: FlaskClient, email: str = "ann@example.com") -> str:
    data = {"csrf_token": form_token(client, "/register"), "email": email, "password": PASSWORD}
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303
    return user_id_of(client.application, email)


def subscribe(client: FlaskClient, user_id: str) -> None:
    """Stripe's signed webhook says the user pays for PRICE."""
    now = int(time.time())
    subscription = se.subscription(
        id=f"sub_{user_id[:8]}",
        customer=f"cus_{user_id[:8]}",
        user_id=user_id,
        price=PRICE,
        period_start=now - 86_400,
        period_end=now + 30 * 86_400,
    )
    payload = json.dumps(se.event("customer.subscription.created", subscription)).encode()
    answer = client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SECRET)},
        content_type="application/json",
    )
    assert answer.status_code == 200, text(answer)


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, page[:300]
    return unescape(found.group(1)).strip()


def current_links(page: str) -> list[tuple[str, str]]:
    """(aria-current value, the link's text) of every marked link in the nav."""
    nav = page[page.index('<nav class="site-nav"') : page.index("</nav>")]
    found = re.findall(r'<a [^>]*aria-current="(\w+)"[^>]*>(.*?)</a>', nav, re.S)
    return [(value, re.sub(r"<[^>]+>", "", label).strip()) for value, label in found]


def the_email_field(page: str) -> str:
    found = re.search(r"<input [^>]*name=\"email\"[^>]*>", page)
    assert found, page[:500]
    return found.group(0)


# -- favicon, titles, nav, footer ----------------------------------------------------------


def test_the_favicon_answers_in_both_forms_and_every_page_links_it(app: Flask) -> None:
    client = app.test_client()
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.mimetype == "image/vnd.microsoft.icon"
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert ico.cache_control.max_age == 86_400
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith(b"<svg")
    for path in (*VISITOR_PAGES, "/no-such-page"):
        page = text(client.get(path))
        assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page, path
        assert 'rel="icon" href="/favicon.ico"' in page, path


def test_every_page_has_a_title_of_its_own(app: Flask) -> None:
    visitor, member = app.test_client(), app.test_client()
    sign_up(member)
    titles = {path: title_of(text(visitor.get(path))) for path in VISITOR_PAGES}
    titles |= {f"member {path}": title_of(text(member.get(path))) for path in MEMBER_PAGES}
    titles["404"] = title_of(text(visitor.get("/no-such-page")))

    assert titles["/"].startswith("Premium Notes: ")
    assert titles["/login"] == "Log in · Premium Notes"
    assert titles["/register"] == "Create an account · Premium Notes"
    assert titles[FREE_NOTE] == "Capture first, sort later · Premium Notes"
    assert titles["member /account"] == "Your account · Premium Notes"
    assert titles["404"] == "Page not found · Premium Notes"
    for where, title in titles.items():
        assert title and "Premium Notes" in title, where
        assert not title.startswith(" ·"), where
    distinct = {t for w, t in titles.items() if not w.startswith("member")}
    assert len(distinct) == len(VISITOR_PAGES) + 1


@pytest.mark.parametrize(
    ("path", "marked"),
    [
        ("/", [("page", "Premium Notes")]),
        ("/notes", [("page", "Notes")]),
        (FREE_NOTE, [("true", "Notes")]),  # a page of the Notes section
        ("/pricing", [("page", "Pricing")]),
        ("/login", [("page", "Log in")]),
        ("/register", [("page", "Register")]),
        ("/cancel", []),
    ],
)
def test_the_nav_marks_the_current_page(app: Flask, path: str, marked: list[object]) -> None:
    assert current_links(text(app.test_client().get(path))) == marked


def test_a_members_nav_marks_the_account_page_and_logs_out_like_a_link(app: Flask) -> None:
    client = app.test_client()
    sign_up(client)
    page = text(client.get("/account"))
    assert current_links(page) == [("page", "Account")]
    assert '<button type="submit" class="nav-link">Log out</button>' in page
    assert ">Log in<" not in page and ">Register<" not in page


def test_the_plan_badge_shows_for_a_subscriber_only(app: Flask) -> None:
    client = app.test_client()
    user_id = sign_up(client)
    badge = re.compile(r'<span class="badge plan-badge"[^>]*>([^<]+)</span>')
    assert not badge.search(text(client.get("/")))

    subscribe(client, user_id)

    for path in ("/", "/notes", "/account"):
        assert badge.findall(text(client.get(path))) == ["Premium"], path
    assert not badge.search(text(app.test_client().get("/")))  # a visitor


def test_every_page_ends_with_the_footer(app: Flask) -> None:
    client = app.test_client()
    for path in (*VISITOR_PAGES, "/no-such-page"):
        page = text(client.get(path))
        footer = page[page.index('<footer class="site-footer">') :]
        assert '<a href="/pricing">Pricing</a>' in footer, path
        assert "Payments are handled by Stripe" in footer, path


# -- log-in and register ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("protected", "reason"),
    [
        ("/premium", "Log in to read premium content."),
        ("/account", "Log in to see your account."),
        ("/pricing/premium_monthly", "Log in to continue to payment."),
    ],
)
def test_a_protected_page_sends_to_log_in_with_the_reason(
    app: Flask, protected: str, reason: str
) -> None:
    client = app.test_client()
    sent = client.get(protected)
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"])
    assert f'<p class="flash reason" role="status">{reason}</p>' in text(page)


def test_a_locked_notes_links_give_the_reason_on_log_in_and_register(app: Flask) -> None:
    client = app.test_client()
    locked = text(client.get(PAID_NOTE))
    [log_in] = re.findall(r'href="(/login\?next=[^"]+)"', locked)
    [register] = re.findall(r'href="(/register\?next=[^"]+)"', locked)
    assert "Log in to read this note." in text(client.get(unescape(log_in)))
    assert "Create an account to read this note." in text(client.get(unescape(register)))


@pytest.mark.parametrize("query", ["", "?next=/", "?next=/no-such-page", "?next=//evil.test/x"])
def test_no_reason_when_nothing_protected_was_asked_for(app: Flask, query: str) -> None:
    page = text(app.test_client().get(f"/login{query}"))
    assert "Log in to" not in page
    assert 'class="flash reason"' not in page


def test_the_email_is_kept_after_a_failed_log_in_never_the_password(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "kept@example.com")
    other = app.test_client()
    data = {"email": "kept@example.com", "password": "not the password at all"}
    failed = other.post("/login", data={"csrf_token": form_token(other, "/login"), **data})
    assert failed.status_code == 401
    page = text(failed)
    assert 'value="kept@example.com"' in the_email_field(page)
    assert "not the password at all" not in page
    assert "Invalid email or password." in page


@pytest.mark.parametrize("password", ["short", "password"])  # too short; too common
def test_the_email_is_kept_after_a_refused_registration(app: Flask, password: str) -> None:
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": "kept@example.com"}
    refused = client.post("/register", data={**data, "password": password})
    assert refused.status_code == 400
    page = text(refused)
    assert 'value="kept@example.com"' in the_email_field(page)
    assert f'value="{password}"' not in page
    assert 'role="alert"' in page


def test_the_email_is_kept_when_it_is_taken(app: Flask) -> None:
    sign_up(app.test_client(), "taken@example.com")
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": "taken@example.com"}
    refused = client.post("/register", data={**data, "password": PASSWORD})
    assert refused.status_code == 409
    assert 'value="taken@example.com"' in the_email_field(text(refused))


def test_after_registering_the_log_in_form_offers_the_email_once(app: Flask) -> None:
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": "new@example.com"}
    registered = client.post("/register", data={**data, "password": PASSWORD})
    assert registered.status_code == 303
    page = text(client.get(registered.headers["Location"]))
    assert 'value="new@example.com"' in the_email_field(page)
    assert 'value=""' in the_email_field(text(client.get("/login")))


def test_log_in_and_register_link_to_each_other_keeping_the_next_page(app: Flask) -> None:
    client = app.test_client()
    login = text(client.get("/login?next=/account"))
    register = text(client.get("/register?next=/account"))
    assert 'href="/register?next=/account">Create an account</a>' in login
    assert 'href="/login?next=/account">Log in</a>' in register
    assert "Forgot" not in login  # no reset page yet: no link to one


def test_the_show_password_script_is_a_file_served_as_javascript(app: Flask) -> None:
    client = app.test_client()
    script = client.get("/static/show-password.js")
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert "data-show-password" in text(script)
    for path in ("/login", "/register"):
        page = text(client.get(path))
        assert '<script src="/static/show-password.js" defer></script>' in page, path
        password = re.search(r'<input [^>]*name="password"[^>]*>', page)
        assert password and 'type="password"' in password.group(0), path
        assert "data-show-password" in password.group(0), path
        assert "Show" not in page.split("<main", 1)[1], path  # the button is the script's
    assert "show-password.js" not in text(client.get("/notes"))


# -- the landing page ---------------------------------------------------------------------


@pytest.fixture
def catalog_stack(tmp_path: Path) -> Iterator[StripeStack]:
    with stripe_stack(tmp_path, catalog_file=REPO_CATALOG) as stack:
        yield stack


def test_the_landing_page_says_what_it_is_with_plans_prices_and_notes(
    catalog_stack: StripeStack,
) -> None:
    browser = Browser(catalog_stack.server.url)
    page = browser.get("/").text

    assert "<h1>Short notes that make your notes work for you</h1>" in page
    assert "6 notes, 2 of them free" in page
    for price in ("$5.00 / month", "$50.00 / year", "$12.00 / month", "$120.00 / year"):
        assert price in page
    assert "7-day free trial, no card needed" in page
    assert re.search(r'href="/register\?next=/pricing/pro_yearly">Choose Pro yearly<', page)
    sample = page[page.index('id="sample-heading"') : page.index('id="plans-heading"')]
    assert sample.count('<li class="note-listing">') == 4
    assert sample.count(">Free<") == 2 and sample.count(">locked<") == 2
    assert f'href="{FREE_NOTE}"' in sample
    assert 'class="button" href="/pricing">See plans and prices<' in page
    assert f'class="button secondary" href="{FREE_NOTE}">Read a free note<' in page
    assert browser.get(FREE_NOTE).status_code == 200  # a visitor reads it
    assert browser.get(PAID_NOTE).status_code == 403


def test_the_landing_pages_prices_follow_the_readers_region(catalog_stack: StripeStack) -> None:
    browser = Browser(catalog_stack.server.url)
    german = browser.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).text
    assert "5,00\u00a0US$ / month" in german
    assert "Save 24,00\u00a0US$ a year" in german
    pricing = browser.get("/pricing", headers={"Accept-Language": "en-GB"}).text
    assert "US$120.00 / year" in pricing
