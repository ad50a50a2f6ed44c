"""Registration does not tell whether an address has an account: the same status, the
same page and (within noise) the same time, with the real argon2 hasher and real mail
(issue 12, done-when 5). Asking for a password reset likewise, and asking to change the
email to an address that has an account."""

import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from adapters.mail import SmtpServer
from entrypoints.flask_app import create_app
from local_mail import MailServer
from tests.e2e.conftest import offline_stripe_app, sqlite_settings
from tests.e2e.support import Browser, LiveServer, serve, signed_up, submit_form
from tests.support.local_inbox import LocalInbox

TRIES = 50
TAKEN = "taken@example.com"
PASSWORD = "a long enough passphrase"
_CSRF = re.compile(r'value="[^"]{20,}"')


@pytest.fixture
def live(tmp_path: Path, mail_server: MailServer) -> Iterator[LiveServer]:
    settings = sqlite_settings(
        tmp_path,
        smtp_server=SmtpServer.from_url(mail_server.smtp_url),
        register_rate_limit="10000 per minute",
        reset_rate_limit="10000 per minute",
        reset_rate_limit_per_address="10000 per minute",
    )
    app = create_app(settings)  # argon2id, as in production
    with serve(app) as live:
        yield live
        app.extensions["container"].outbox_delivery().stop()


def timed_post(
    browser: Browser, path: str, data: dict[str, str]
) -> tuple[float, requests.Response]:
    browser.get(path)
    fields = {"csrf_token": browser.csrf_token(), **data}
    started = time.perf_counter()
    response = browser.http.post(
        f"{browser.base_url}{path}", data=fields, allow_redirects=False, timeout=10
    )
    return time.perf_counter() - started, response


def page_after(browser: Browser, response: requests.Response, email: str) -> str:
    """The page the answer leads to, the email and the tokens in it blanked out."""
    page = browser.get(response.headers["Location"]).text
    return _CSRF.sub('value="TOKEN"', page.replace(email, "EMAIL"))


def test_a_registered_and_a_new_email_get_the_same_status_page_and_time(
    live: LiveServer, local_inbox: LocalInbox
) -> None:
    Browser(live.url).register(TAKEN, PASSWORD)
    local_inbox.wait_for(1)
    times: dict[str, list[float]] = {"taken": [], "new": []}
    answers: dict[str, set[tuple[int, str, str]]] = {"taken": set(), "new": set()}
    for number in range(TRIES):
        for kind in ("new", "taken") if number % 2 else ("taken", "new"):
            email = TAKEN if kind == "taken" else f"new{number}@example.com"
            browser = Browser(live.url)
            took, response = timed_post(
                browser, "/register", {"email": email, "password": PASSWORD}
            )
            times[kind].append(took)
            page = page_after(browser, response, email)
            answers[kind].add((response.status_code, response.headers["Location"], page))

    assert answers["taken"] == answers["new"]
    [(status, location, _)] = answers["new"]
    assert (status, location) == (303, "/register/check-inbox")
    gap = abs(statistics.median(times["taken"]) - statistics.median(times["new"]))
    assert gap < 0.020, {k: statistics.median(v) for k, v in times.items()}


def test_a_reset_for_a_registered_and_an_unknown_email_looks_the_same(
    live: LiveServer, local_inbox: LocalInbox
) -> None:
    Browser(live.url).register(TAKEN, PASSWORD)
    times: dict[str, list[float]] = {"taken": [], "unknown": []}
    answers: dict[str, set[tuple[int, str, str]]] = {"taken": set(), "unknown": set()}
    for number in range(TRIES):
        for kind in ("unknown", "taken") if number % 2 else ("taken", "unknown"):
            email = TAKEN if kind == "taken" else f"nobody{number}@example.com"
            browser = Browser(live.url)
            took, response = timed_post(browser, "/reset-password", {"email": email})
            times[kind].append(took)
            page = page_after(browser, response, email)
            answers[kind].add((response.status_code, response.headers["Location"], page))

    assert answers["taken"] == answers["unknown"]
    gap = abs(statistics.median(times["taken"]) - statistics.median(times["unknown"]))
    assert gap < 0.020, {k: statistics.median(v) for k, v in times.items()}


def test_the_settings_page_after_asking_for_a_taken_and_a_free_address_looks_the_same(
    tmp_path: Path,
) -> None:
    """The page once said "Waiting for you to confirm <address>" only when the address
    had no account (a link was made), so any signed-in user could test addresses."""
    app = offline_stripe_app(tmp_path, ("whsec_test_reveals_nothing",))
    assert signed_up(app, TAKEN, PASSWORD)
    seen = []
    for asker, new in (("asker@example.com", TAKEN), ("other@example.com", "free@example.com")):
        client = signed_up(app, asker, PASSWORD)
        form = {"email": new, "password": PASSWORD}
        asked = submit_form(client, "/account/settings", "/account/settings/email", form)
        page = client.get("/account/settings").get_data(as_text=True)
        page = _CSRF.sub('value="TOKEN"', page.replace(new, "NEW").replace(asker, "ME"))
        seen.append((asked.status_code, asked.headers["Location"], page))

    assert seen[0] == seen[1], "the settings page tells whether the new address has an account"
    assert seen[0][0] == 303
    assert "Waiting for you to confirm" in seen[0][2]
