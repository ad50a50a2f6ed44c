"""Whatever arrives over SMTP, the inbox shows it: malformed MIME never breaks a page."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail_support import Inbox

MALFORMED = {
    "unknown charset": (
        b"Subject: =?x-unknown?q?abc?=\r\nContent-Type: text/plain; charset=x-nope\r\n\r\n"
        b"caf\xe9\r\n"
    ),
    "broken base64": (
        b"Subject: b64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64***\r\n"
    ),
    "8-bit headers": b"Subject: caf\xe9 \xff\xfe\r\nFrom: \xc3\x28 <x@y>\r\n\r\nbody\r\n",
    "no headers at all": b"just a body, no blank line",
    "header without colon": b"This is not a header\r\nSubject: ok\r\n\r\nbody\r\n",
    "multipart without boundary": (
        b"Subject: mp\r\nContent-Type: multipart/alternative\r\n\r\n--x\r\n\r\nnope\r\n"
    ),
    "multipart never closed": (
        b'Subject: mp\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>open"
    ),
    "nul and lone cr": b"Subject: a\x00b\rc\r\n\r\nnul\x00 and \r lone cr\r\n",
    "broken encoded word": b"Subject: =?utf-8?b?!!!?= =?utf-8?q?=ZZ?=\r\n\r\nbody\r\n",
    "address header gibberish": b'To: <<<@@@>>>, "unclosed\r\nFrom: ,,,;;;\r\n\r\nbody\r\n',
    "message/rfc822 inside": (
        b'Subject: fwd\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n"
    ),
    "quoted-printable gone wrong": (
        b"Subject: qp\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E9=ZZ=\r\n=\r\n"
    ),
    "html with a bad charset": (
        b"Subject: h\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>\xff\xfe</p>\r\n"
    ),
}


def _every_view_answers(inbox: Inbox, message_id: str) -> None:
    for path in ("/", f"/messages/{message_id}", f"/messages/{message_id}/raw"):
        assert inbox.get(path).status_code == 200, path
    got = inbox.message(message_id)
    if got["html"] is not None:
        assert inbox.get(f"/messages/{message_id}/html").status_code == 200


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_message_is_kept_and_shown(inbox: Inbox, raw: bytes) -> None:
    code, reply = inbox.send_raw(raw)
    assert code == 250, reply
    [summary] = inbox.messages()
    _every_view_answers(inbox, summary["id"])


def test_an_undecodable_body_is_shown_with_replacement_characters(inbox: Inbox) -> None:
    inbox.send_raw(MALFORMED["unknown charset"])
    got = inbox.only()
    assert got["text"].startswith("caf")  # decoded as far as possible, never dropped


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    raw=st.binary(max_size=600)
    | st.lists(
        st.sampled_from(
            [
                b"Subject: x\r\n",
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"Content-Type: text/html; charset=bogus\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"<a href='http://x'>",
                b"=?utf-8?q?=C3?=",
                b"\xff\x00\r",
            ]
        ),
        max_size=25,
    ).map(b"".join)
)
def test_any_bytes_sent_as_a_message_leave_every_view_answering(inbox: Inbox, raw: bytes) -> None:
    inbox.clear()
    code, _ = inbox.send_raw(raw)
    assert code in (250, 500)  # 500: a line over 1000 octets
    for summary in inbox.messages():
        _every_view_answers(inbox, summary["id"])
