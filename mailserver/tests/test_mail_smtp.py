"""SMTP: what is accepted is kept as sent; what is too big or malformed is refused, and the
server goes on serving."""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, datetime, timedelta

import pytest

from local_mail import MailServer
from mail_support import SENDER, Inbox, message


def test_a_message_sent_over_smtp_is_listed_with_its_recipient_subject_and_time(
    inbox: Inbox,
) -> None:
    before = datetime.now(UTC)
    inbox.send(message(to="ann@example.com", subject="Your receipt"))
    [summary] = inbox.messages()
    assert summary["to"] == "ann@example.com"
    assert summary["rcpt_tos"] == ["ann@example.com"]
    assert summary["mail_from"] == SENDER
    assert summary["subject"] == "Your receipt"
    received = datetime.fromisoformat(summary["received_at"])
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC)


def test_messages_are_listed_newest_first(inbox: Inbox) -> None:
    for subject in ("first", "second", "third"):
        inbox.send(message(subject=subject))
    assert [m["subject"] for m in inbox.messages()] == ["third", "second", "first"]


def test_one_message_to_several_recipients_is_kept_once_with_every_recipient(
    inbox: Inbox,
) -> None:
    inbox.send(message(to="ann@example.com"), to=["ann@example.com", "bob@example.org"])
    [summary] = inbox.messages()
    assert summary["rcpt_tos"] == ["ann@example.com", "bob@example.org"]


def test_the_bytes_are_kept_as_received(inbox: Inbox) -> None:
    mail = message(subject="Ünïcode", text="Grüße, 世界 ✓")
    inbox.send(mail)
    [summary] = inbox.messages()
    raw = inbox.get(f"/messages/{summary['id']}/raw").content
    assert raw.replace(b"\r\n", b"\n") == mail.as_bytes().replace(b"\r\n", b"\n")
    got = inbox.message(summary["id"])
    assert got["subject"] == "Ünïcode"
    assert got["text"] == "Grüße, 世界 ✓\n"


def test_a_message_over_the_size_limit_is_refused_and_not_kept(
    inbox: Inbox, shared_server: MailServer
) -> None:
    lines = shared_server.max_message_size // 72 + 10
    big = b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * lines
    code, reply = inbox.send_raw(big)  # no SIZE declared: refused once read
    assert code == 552, reply
    # SIZE declared: refused at MAIL FROM, before any data.
    with pytest.raises(smtplib.SMTPSenderRefused) as declared, inbox.smtp() as smtp:
        smtp.sendmail(SENDER, ["ann@example.com"], big)
    assert declared.value.smtp_code == 552
    assert inbox.messages() == []
    inbox.send(message(subject="small"))  # and the server goes on
    assert [m["subject"] for m in inbox.messages()] == ["small"]


def test_a_line_over_1000_octets_is_refused_and_not_kept(inbox: Inbox) -> None:
    code, _ = inbox.send_raw(b"Subject: long\r\n\r\n" + b"y" * 2000 + b"\r\n")
    assert code == 500
    assert inbox.messages() == []


def test_a_client_leaving_during_data_leaves_nothing_behind(inbox: Inbox) -> None:
    smtp = inbox.smtp()
    smtp.ehlo()
    smtp.mail(SENDER)
    smtp.rcpt("ann@example.com")
    assert smtp.docmd("DATA")[0] == 354
    smtp.send(b"Subject: half\r\n\r\nhalf a mess")
    smtp.close()  # no final dot
    inbox.send(message(subject="whole"))
    assert [m["subject"] for m in inbox.messages()] == ["whole"]


def test_smtputf8_addresses_are_accepted(inbox: Inbox) -> None:
    mail = message(to="jörg@exämple.com", subject="UTF-8 everywhere")
    with inbox.smtp() as smtp:
        smtp.send_message(mail, mail_options=["SMTPUTF8"])
    [summary] = inbox.messages()
    assert summary["rcpt_tos"] == ["jörg@exämple.com"]


def test_commands_out_of_order_are_refused_not_fatal(inbox: Inbox) -> None:
    with inbox.smtp() as smtp:
        smtp.ehlo()
        assert smtp.docmd("DATA")[0] == 503  # no MAIL, no RCPT
        assert smtp.docmd("RCPT TO:<a@example.com>")[0] == 503
        assert smtp.docmd("NONSENSE")[0] == 500
    inbox.send(message(subject="after"))
    assert len(inbox.messages()) == 1


def _address_beyond_loopback() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_it_listens_on_loopback_only(shared_server: MailServer) -> None:
    assert shared_server.host == "127.0.0.1"
    address = _address_beyond_loopback()
    if address is None:
        pytest.skip("this machine has no address beyond loopback to try")
    for port in (shared_server.smtp_port, shared_server.web_port):
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()
