"""What pages and sessions keep from one request to the next (issue 10, third round):
the same links, tokens and sessions as Flask's own, never another's, never past their
lifetime."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from entrypoints.flask_app import page_parts
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import signed_in, user_id_of
from tests.support import stripe_events as se

_LOGOUT_TOKEN = re.compile(
    r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"'
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = offline_stripe_app(tmp_path, ("whsec_kept",))
    yield app
    app.extensions["container"].engine().dispose()


def logout_token(client: FlaskClient) -> str:
    match = _LOGOUT_TOKEN.search(client.get("/").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_kept_links_are_flasks_own_for_each_script_root(app: Flask) -> None:
    links = page_parts.kept_links(app)
    pages: list[tuple[str, dict[str, Any]]] = [("main.home", {}), ("notes.read", {"slug": "x"})]
    for root in ("", "/shop", ""):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, values in pages:
                assert links(endpoint, **values) == url_for(endpoint, **values)
                assert links(endpoint, **values).startswith(f"{root}/")


def test_each_session_gets_its_own_token_and_a_kept_one_is_accepted(app: Flask) -> None:
    ann, bob = signed_in(app, "ann@example.com"), signed_in(app, "bob@example.com")
    first = logout_token(ann)

    assert logout_token(ann) == first  # signed once, then kept
    assert logout_token(bob) != first
    assert bob.post("/logout", data={"csrf_token": first}).status_code == 400  # not bob's
    assert ann.post("/logout", data={"csrf_token": logout_token(ann)}).status_code == 303


def test_the_token_of_the_first_page_after_log_in_is_kept(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Log-in starts the session's CSRF token anew; the first page signs it. The next
    # page, a second later, must show the same token, not one signed anew.
    ann = signed_in(app, "ann@example.com")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = logout_token(ann)
    monkeypatch.setattr(time, "time", lambda: now + 2)

    assert logout_token(ann) == first


def test_a_pages_own_forms_carry_the_kept_token_too(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log-out form's token comes through the kept navigation; the forms of the
    # pages themselves (here the account page's) call the templates' csrf_token().
    ann = signed_in(app, "ann@example.com")
    form_token_re = re.compile(r'<main.*name="csrf_token" value="([^"]+)"', re.S)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = form_token_re.findall(ann.get("/account").get_data(as_text=True))
    monkeypatch.setattr(time, "time", lambda: now + 2)

    again = form_token_re.findall(ann.get("/account").get_data(as_text=True))

    assert first and again == first == [logout_token(ann)]


def test_a_token_is_signed_again_after_half_its_time_limit(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 100
    ann = signed_in(app, "ann@example.com")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = logout_token(ann)
    monkeypatch.setattr(time, "time", lambda: now + 51)

    again = logout_token(ann)

    assert again != first  # a new timestamp
    assert ann.post("/logout", data={"csrf_token": again}).status_code == 303


# -- the kept navigation and footer --------------------------------------------------------

_BADGE = re.compile(r'<span class="badge plan-badge"[^>]*>([^<]+)</span>')


def nav_of(page: str) -> str:
    return page[page.index('<nav class="site-nav"') : page.index("</nav>")]


def footer_of(page: str) -> str:
    return page[page.index('<footer class="site-footer">') :]


def marked(page: str) -> list[tuple[str, str]]:
    """(aria-current, the link's text) of every marked link in the navigation."""
    found = re.findall(r'<a [^>]*aria-current="(\w+)"[^>]*>(.*?)</a>', nav_of(page), re.S)
    return [(value, re.sub(r"<[^>]+>", "", label).strip()) for value, label in found]


def page(client: FlaskClient, path: str, **options: Any) -> str:
    answer = client.get(path, **options)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def paid(app: Flask, client: FlaskClient, email: str, *, ended: bool = False) -> None:
    """Stripe's signed webhook: `email` pays for the one plan (or, `ended`, no longer)."""
    user_id = user_id_of(app, email)
    now = int(time.time())
    subscription = se.subscription(
        id=f"sub_{user_id[:8]}",
        customer=f"cus_{user_id[:8]}",
        user_id=user_id,
        status="canceled" if ended else "active",
        period_start=now - 86_400,
        period_end=now - 60 if ended else now + 30 * 86_400,
        ended_at=now - 60 if ended else None,
    )
    kind = "customer.subscription.deleted" if ended else "customer.subscription.created"
    payload = json.dumps(se.event(kind, subscription, created=now + ended)).encode()
    answer = client.post(
        "/webhook",
        data=payload,
        headers={"Stripe-Signature": se.sign(payload, "whsec_kept")},
        content_type="application/json",
    )
    assert answer.get_json()["status"] == "processed", answer.get_data(as_text=True)


def test_the_kept_navigation_marks_the_page_it_is_on_each_time(app: Flask) -> None:
    ann = signed_in(app, "ann@example.com")
    visitor = app.test_client()
    for _ in range(2):  # rendered, then kept
        assert marked(page(ann, "/notes")) == [("page", "Notes")]
        assert marked(page(ann, "/notes/capture-first")) == [("true", "Notes")]
        assert marked(page(ann, "/pricing")) == [("page", "Pricing")]
        assert marked(page(ann, "/account")) == [("page", "Account")]
        assert marked(page(ann, "/")) == [("page", "Premium Notes")]
        assert marked(page(visitor, "/login")) == [("page", "Log in")]
        assert marked(page(visitor, "/register")) == [("page", "Register")]
        assert marked(page(visitor, "/notes")) == [("page", "Notes")]


def test_the_kept_navigation_shows_the_plan_the_user_has_now(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = signed_in(app, "ann@example.com")
    assert _BADGE.findall(page(ann, "/notes")) == []

    paid(app, ann, "ann@example.com")
    assert _BADGE.findall(page(ann, "/notes")) == ["Premium"]
    monkeypatch.setattr(page_parts, "plan_badge", lambda: "Team")  # another plan's name
    assert _BADGE.findall(page(ann, "/notes")) == ["Team"]
    monkeypatch.undo()
    assert _BADGE.findall(page(ann, "/notes")) == ["Premium"]

    paid(app, ann, "ann@example.com", ended=True)
    assert _BADGE.findall(page(ann, "/notes")) == []


def test_after_log_out_the_kept_navigation_is_a_visitors(app: Flask) -> None:
    ann = signed_in(app, "ann@example.com")
    member = page(ann, "/notes")
    assert ">Log out</button>" in nav_of(member)
    assert '<a href="/account">Account</a>' in footer_of(member)

    assert ann.post("/logout", data={"csrf_token": logout_token(ann)}).status_code == 303
    visitor = page(ann, "/notes")

    assert ">Log out</button>" not in nav_of(visitor)
    assert ">Log in</a>" in nav_of(visitor) and ">Register</a>" in nav_of(visitor)
    assert '<a href="/account">Account</a>' not in footer_of(visitor)


def test_the_kept_navigation_links_to_each_script_root(app: Flask) -> None:
    client = app.test_client()
    assert 'href="/notes"' in nav_of(page(client, "/notes"))

    shop = page(client, "/notes", base_url="http://localhost/shop/")

    assert 'href="/shop/notes"' in nav_of(shop) and 'href="/notes"' not in nav_of(shop)
    assert '<a href="/shop/pricing">Pricing</a>' in footer_of(shop)


def test_a_kept_page_is_the_page_rendered_anew(app: Flask) -> None:
    ann = signed_in(app, "ann@example.com")
    paid(app, ann, "ann@example.com")
    paths = ("/", "/notes", "/premium", "/account", "/pricing")
    kept = [page(ann, path) for path in paths for _ in range(2)]

    app.jinja_env.auto_reload = True  # as in debug: nothing kept, each rendered anew
    anew = [page(ann, path) for path in paths for _ in range(2)]

    assert kept == anew
