"""The tokens of emailed links never reach a request log line (the development server's
or gunicorn's access log)."""

import logging

import pytest

from entrypoints.flask_app.log_redaction import RedactLinkTokens, redact

TOKEN = "0f0ec792ee1f432283a0ab274a085190.Qn4TVcfW3tst16013T4CsNcQepKE79m4Jy33pjEv7gU"


@pytest.mark.parametrize("path", [f"/reset-password/{TOKEN}", f"/verify-email/{TOKEN}?x=1"])
def test_a_link_token_is_blanked_out(path: str) -> None:
    assert TOKEN not in redact(f'"GET {path} HTTP/1.1" 200 -')
    assert "[token]" in redact(path)


@pytest.mark.parametrize(
    "path", ["/reset-password/new", "/reset-password/sent", "/verify-email/resend", "/account"]
)
def test_pages_without_a_token_are_left_alone(path: str) -> None:
    assert redact(f'"GET {path} HTTP/1.1"') == f'"GET {path} HTTP/1.1"'


def test_the_filter_reads_both_kinds_of_log_records() -> None:
    werkzeug = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '%s - "%s" %s',
        ("1.2.3.4", f"GET /verify-email/{TOKEN}", 303),
        None,
    )
    gunicorn = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '"%(r)s" "%(f)s"', None, None
    )
    gunicorn.args = {
        "r": f"GET /reset-password/{TOKEN} HTTP/1.1",
        "f": f"https://x/reset-password/{TOKEN}",
        "s": 200,
    }
    for record in (werkzeug, gunicorn):
        assert RedactLinkTokens().filter(record)
        assert TOKEN not in record.getMessage()
