"""The notes over HTTP: the index, free and locked notes for visitors and subscribers, and
a malicious note that cannot put anything executable on its page."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.access import AccessPolicy
from domain.catalog import Catalog, Interval, Plan, PlanPrice
from domain.notes import Note
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import form_token, user_id_of
from tests.support import stripe_events as se
from tests.support.html_safety import executable_parts
from tests.support.notes import write_notes

SECRET = "whsec_test_notes"
PRICE = "price_test_1"  # what offline_stripe_app sells


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app with the shipped notes, its one plan sold at PRICE."""
    app = offline_stripe_app(tmp_path, (SECRET,))
    yield app
    app.extensions["container"].engine().dispose()


def sign_up(client: FlaskClient, email: str) -> str:
    data = {"csrf_token": form_token(client, "/register"), "email": email, "password": "pw-" * 4}
    assert client.post("/register", data=data).status_code == 303
    assert client.post("/login", data=data).status_code == 303
    return user_id_of(client.application, email)


def subscribe(client: FlaskClient, user_id: str, price: str = PRICE) -> None:
    """The user pays for `price`: Stripe's signed webhook says so."""
    now = int(time.time())
    subscription = se.subscription(
        id=f"sub_{user_id[:8]}",
        customer=f"cus_{user_id[:8]}",
        user_id=user_id,
        price=price,
        period_start=now - 86_400,
        period_end=now + 30 * 86_400,
    )
    payload = json.dumps(se.event("customer.subscription.created", subscription)).encode()
    response = client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, SECRET)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def text_of(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def test_the_index_lists_every_note_with_what_opens_it(app: Flask) -> None:
    page = text_of(app.test_client().get("/notes"))

    assert "Capture first, sort later" in page
    assert "Why a single inbox for every stray thought" in page  # the summary
    assert page.count("Included in: Premium") == 4  # the one-plan setup: every paid note
    assert page.count(">Free<") == 2
    assert page.count(">locked<") == 4
    assert 'href="/notes/protect-a-deep-work-block"' in page


def test_a_visitor_reads_a_free_note_without_signing_in(app: Flask) -> None:
    response = app.test_client().get("/notes/capture-first")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Capture first, sort later</h1>" in page
    assert "<strong>Capturing</strong>" in page  # rendered Markdown
    assert "The inbox should end empty." in page  # the whole note


def test_a_locked_note_answers_403_with_its_summary_opening_and_plans(app: Flask) -> None:
    response = app.test_client().get("/notes/from-notes-to-draft")

    assert response.status_code == 403
    page = text_of(response)
    assert "From a pile of notes to a first draft" in page
    assert "Turn the notes you already have into a draft" in page  # summary
    assert "A blank page is hard because it asks you to invent" in page  # first paragraph
    assert "Included in: <strong>Premium</strong>" in page or "<strong>Premium</strong>" in page
    assert "Search your notes for the topic" not in page  # nothing past the first paragraph
    assert 'href="/login?next=/notes/from-notes-to-draft"' in page
    assert 'href="/register"' in page


def test_a_signed_in_user_without_a_plan_is_offered_to_subscribe(app: Flask) -> None:
    client = app.test_client()
    sign_up(client, "reader@example.com")
    response = client.get("/notes/the-weekly-review")
    assert response.status_code == 403
    page = text_of(response)
    assert 'action="/create-checkout-session"' in page
    assert "Subscribe" in page
    assert "Empty every inbox" not in page


def test_a_subscriber_reads_a_paid_note(app: Flask) -> None:
    client = app.test_client()
    subscribe(client, sign_up(client, "subscriber@example.com"))

    response = client.get("/notes/protect-a-deep-work-block")

    assert response.status_code == 200
    assert "Set the block up" in text_of(response)  # past the first paragraph
    assert text_of(client.get("/notes")).count("you can read it") == 4
    premium = client.get("/premium")
    assert premium.status_code == 200
    assert 'href="/notes/protect-a-deep-work-block"' in text_of(premium)


def test_an_unknown_note_is_a_404_page(app: Flask) -> None:
    for slug in ("no-such-note", "CAPTURE-FIRST", "capture-first.md", "..%2Fsettings"):
        response = app.test_client().get(f"/notes/{slug}")
        assert response.status_code == 404, slug
        assert "There is no" in text_of(response), slug
    assert "There is no note here." in text_of(app.test_client().get("/notes/no-such-note"))


def test_free_answers_with_the_notes_and_premium_keeps_its_seed_behaviour(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client, "/login")
    for response in (client.get("/free"), client.post("/free", data={"csrf_token": token})):
        assert response.status_code == 303
        assert response.headers["Location"] == "/notes"
    assert client.get("/premium").status_code == 302  # to log in, as before
    sign_up(client, "seed@example.com")
    refused = client.get("/premium")
    assert refused.status_code == 403
    assert 'action="/create-checkout-session"' in text_of(refused)
    assert 'href="/notes"' in text_of(refused)


def test_the_nav_links_to_the_notes(app: Flask) -> None:
    assert '<a href="/notes">Notes</a>' in text_of(app.test_client().get("/"))


def test_notes_pages_keep_the_strict_csp(app: Flask) -> None:
    client = app.test_client()
    for path in ("/notes", "/notes/capture-first", "/notes/from-notes-to-draft"):
        csp = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path


# -- several plans: access follows what was bought -------------------------------------

BASIC = Plan(
    "basic",
    "Basic",
    frozenset({"notes.basic"}),
    (PlanPrice("basic_monthly", Interval.MONTH, 500, "usd", "price_basic"),),
)
PRO = Plan(
    "pro",
    "Pro",
    frozenset({"notes.basic", "notes.pro"}),
    (PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd", "price_pro"),),
    rank=1,
)


def test_with_two_plans_a_basic_subscriber_reads_basic_notes_and_is_shown_pro(
    app: Flask,
) -> None:
    app.extensions["container"].policy.override(AccessPolicy(Catalog((BASIC, PRO))))
    client = app.test_client()
    index = text_of(client.get("/notes"))
    assert "Included in: Basic, Pro" in index and "Included in: Pro" in index

    subscribe(client, sign_up(client, "basic@example.com"), price="price_basic")

    assert client.get("/notes/write-the-summary-first").status_code == 200  # notes.basic
    locked = client.get("/notes/from-notes-to-draft")  # notes.pro
    assert locked.status_code == 403
    page = text_of(locked)
    assert "<strong>Pro</strong>" in page
    assert "Your plan does not include it" in page
    assert 'href="/account"' in page


# -- a note written to attack its readers ----------------------------------------------

MALICIOUS_BODY = """\
Harmless opening <script>alert(document.cookie)</script> with
<img src=x onerror="alert(1)"> and [a link](javascript:alert(1)).

<iframe src="https://evil.example/"></iframe>
<style>body { display: none }</style>
<div onmouseover="alert(1)" style="position:fixed">raw html</div>

![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)
[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[vb](vbscript:msgbox(1)) <javascript:alert(1)>

[ref][1]

[1]: JaVaScRiPt:alert(1)
"""


@pytest.fixture
def hostile_app(tmp_path: Path) -> Iterator[Flask]:
    notes = (
        Note(
            "hostile",
            'Title <script>alert("t")</script>',
            "Summary <img src=x onerror=alert(1)>",
            MALICIOUS_BODY,
        ),
        Note("hostile-paid", "Paid <b>", "Sum <i>", MALICIOUS_BODY, requires="notes.pro"),
    )
    app = offline_stripe_app(tmp_path, (SECRET,), notes_dir=write_notes(tmp_path / "notes", notes))
    yield app
    app.extensions["container"].engine().dispose()


@pytest.mark.parametrize("path", ["/notes", "/notes/hostile", "/notes/hostile-paid"])
def test_a_malicious_note_puts_nothing_executable_on_any_page(
    hostile_app: Flask, path: str
) -> None:
    response = hostile_app.test_client().get(path)
    assert response.status_code in (200, 403)
    page = text_of(response)
    main = page[page.index("<main") : page.index("</main>")]
    assert executable_parts(main) == [], main
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", page, re.IGNORECASE)
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):", page, re.I)
    assert "Harmless opening" in page or path == "/notes"


def test_the_malicious_text_is_shown_as_text(hostile_app: Flask) -> None:
    page = text_of(hostile_app.test_client().get("/notes/hostile"))
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page
    assert "&lt;iframe" in page
    assert "Title &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
