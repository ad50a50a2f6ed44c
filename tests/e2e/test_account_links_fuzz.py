"""Any tampering with an emailed link is refused with a 4xx page, never a 500 and never
what the real link does (Hypothesis, over the app's test client). A path with "//" in it
is first redirected by Werkzeug to the one without (308); where it lands is a 4xx."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.email import EmailAddress
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import OutboxMailbox, form_token
from tests.support.mail import token_of

EMAIL = "ann@example.com"
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One account, with a live reset link and a live verification link."""
    tmp_path: Path = tmp_path_factory.mktemp("links")
    app = offline_stripe_app(
        tmp_path, ("whsec_test_links",), register_rate_limit="10000 per minute"
    )
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/register"), "email": EMAIL, "password": PASSWORD}
    assert client.post("/register", data=data).status_code == 303
    data = {"csrf_token": form_token(client, "/reset-password"), "email": EMAIL}
    assert client.post("/reset-password", data=data).status_code == 303
    yield app
    app.extensions["container"].engine().dispose()


def real_token(app: Flask, path: str) -> str:
    return token_of(OutboxMailbox(app.extensions["container"]).link(EMAIL, path))


def tampered(original: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=120),
        st.integers(0, len(original) - 1).map(lambda n: original[:n]),
        st.text(min_size=1, max_size=4).map(lambda extra: original + extra),
        # A lone surrogate cannot be written in a URL (UTF-8 has no encoding for it).
        st.tuples(st.integers(0, len(original) - 1), st.characters(exclude_categories=["Cs"])).map(
            lambda change: original[: change[0]] + change[1] + original[change[0] + 1 :]
        ),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_tampered_reset_link_is_a_4xx_page(app: Flask, data: st.DataObject) -> None:
    original = real_token(app, "/reset-password/")
    token = data.draw(tampered(original).filter(lambda t: t != original))
    client = app.test_client()
    path = f"/reset-password/{quote(token, safe='')}"
    shown = client.get(path, follow_redirects=True)  # Werkzeug merges "//" with a 308
    assert 400 <= shown.status_code < 500, (token, shown.status_code)
    assert "Traceback" not in shown.get_data(as_text=True)
    csrf = form_token(client, "/reset-password")
    posted = client.post(
        path,
        data={"csrf_token": csrf, "password": "another passphrase"},
        follow_redirects=True,
    )
    assert 400 <= posted.status_code < 500, (token, posted.status_code)
    # The real link still works: nothing was used up.
    assert client.get(f"/reset-password/{original}").status_code == 303


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_tampered_verification_link_is_a_4xx_page(app: Flask, data: st.DataObject) -> None:
    original = real_token(app, "/verify-email/")
    token = data.draw(tampered(original).filter(lambda t: t != original))
    response = app.test_client().get(
        f"/verify-email/{quote(token, safe='')}", follow_redirects=True
    )
    assert 400 <= response.status_code < 500, (token, response.status_code)
    assert "Traceback" not in response.get_data(as_text=True)
    with app.extensions["container"].uow().reading() as uow:
        user = uow.users.get_by_email(EmailAddress(EMAIL))
    assert user is not None and not user.email_verified
