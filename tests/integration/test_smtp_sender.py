"""The SMTP adapter beyond the contract: SMTP_URL, TLS, log-in, refusals, time-outs, and
a password that never shows."""

import time
from urllib.parse import quote

import pytest

from adapters.mail import SmtpEmailSender, SmtpServer
from application.email_message import EmailMessage
from domain.email import EmailAddress
from domain.errors import EmailDeliveryFailed
from local_mail import MailServer
from tests.support.local_inbox import LocalInbox
from tests.support.smtp_servers import (
    PASSWORD,
    USER,
    Certificate,
    make_certificate,
    silent_server,
    strict_server,
)

FROM = "Premium Notes <notes@example.com>"
MESSAGE = EmailMessage(to=EmailAddress("ann@example.com"), subject="Hi", text="Hello.")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def _url(port: int, password: str = PASSWORD, scheme: str = "smtp") -> str:
    return f"{scheme}://{USER}:{quote(password, safe='')}@127.0.0.1:{port}"


def _sender(url: str, certificate: Certificate | None = None, **kwargs: float) -> SmtpEmailSender:
    server = SmtpServer.from_url(url)
    if server.security == "none" and certificate is not None:
        # 127.0.0.1 is loopback (plain by default); these servers demand STARTTLS.
        server = SmtpServer(server.host, server.port, "starttls", server.username, server.password)
    context = certificate.client_context() if certificate else None
    return SmtpEmailSender(server, FROM, ssl_context=context, **kwargs)


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "username", "password"),
    [
        ("smtp://127.0.0.1:1025", "127.0.0.1", 1025, "none", None, None),
        ("smtp://localhost", "localhost", 25, "none", None, None),
        ("smtp://[::1]:2525", "::1", 2525, "none", None, None),
        ("smtp://u:p@mail.example.com", "mail.example.com", 587, "starttls", "u", "p"),
        (
            "smtp://u%40x.io:p%3Aw%2F@smtp.example.com:2587",
            *("smtp.example.com", 2587, "starttls", "u@x.io", "p:w/"),
        ),
        ("smtps://u:p@smtp.example.com", "smtp.example.com", 465, "tls", "u", "p"),
        ("smtps://127.0.0.1:1465", "127.0.0.1", 1465, "tls", None, None),
    ],
)
def test_smtp_url_gives_host_port_tls_mode_and_log_in(
    url: str, host: str, port: int, security: str, username: str | None, password: str | None
) -> None:
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.security) == (host, port, security)
    assert (server.username, server.password) == (username, password)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://u:hunter2@mail.example.com", "smtp:// or smtps://"),
        ("mail.example.com:587", "smtp:// or smtps://"),
        ("smtp://u:hunter2@:587", "no host"),
        ("smtp://u:hunter2@mail.example.com:99999", "port"),
        ("smtp://u:hunter2@mail.example.com:0", "port"),
        ("smtp://u:hunter2@mail.example.com:abc", "port"),
        ("smtp://u:hunter2@mail.example.com/path", "no path"),
        ("smtp://u:hunter2@mail.example.com?tls=no", "no path"),
        ("smtp://u@mail.example.com", "user and a password"),
        ("smtp://:hunter2@mail.example.com", "user and a password"),
    ],
)
def test_a_malformed_smtp_url_says_why_without_repeating_it(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as raised:
        SmtpServer.from_url(url)
    assert "hunter2" not in str(raised.value)


def test_the_password_is_in_no_repr_or_str() -> None:
    server = SmtpServer.from_url("smtp://user:hunter2@mail.example.com")
    sender = SmtpEmailSender(server, FROM)
    for shown in (repr(server), str(server), repr(sender)):
        assert "hunter2" not in shown
    assert str(server) == "smtp://user:***@mail.example.com:587"


def test_starttls_and_a_log_in_deliver(certificate: Certificate) -> None:
    with strict_server(certificate) as (handler, port):
        _sender(_url(port), certificate).send(MESSAGE)
        [envelope] = handler.received
    assert envelope.mail_from == "notes@example.com"
    assert envelope.rcpt_tos == ["ann@example.com"]
    assert b"Subject: Hi" in (envelope.original_content or b"")


# aiosmtpd warns that AUTH does not require STARTTLS: on implicit TLS there is none to require.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_delivers(certificate: Certificate) -> None:
    with strict_server(certificate, implicit_tls=True) as (handler, port):
        _sender(_url(port, scheme="smtps"), certificate).send(MESSAGE)
        assert len(handler.received) == 1


def test_a_wrong_password_fails_without_showing_either_password(certificate: Certificate) -> None:
    wrong = "n0t-the-r1ght-one"
    with strict_server(certificate) as (handler, port):
        with pytest.raises(EmailDeliveryFailed) as failed:
            _sender(_url(port, password=wrong), certificate).send(MESSAGE)
        assert handler.received == []
    error = failed.value
    assert "log-in was refused" in error.detail
    assert "535" in error.detail
    assert error.permanent is False  # fixed by fixing the setting: keep the message
    for shown in (str(error), repr(error), error.detail, error.message):
        assert wrong not in shown and PASSWORD not in shown
    assert error.__cause__ is None and error.__suppress_context__


def test_a_certificate_that_is_not_trusted_stops_the_send(certificate: Certificate) -> None:
    with strict_server(certificate) as (handler, port):
        server = SmtpServer("127.0.0.1", port, "starttls", USER, PASSWORD)
        with pytest.raises(EmailDeliveryFailed, match="TLS with"):
            SmtpEmailSender(server, FROM).send(MESSAGE)  # the system's trust store only
        assert handler.received == []


def test_starttls_asked_of_a_server_without_it_sends_nothing_in_clear(
    mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    server = SmtpServer("127.0.0.1", mail_server.smtp_port, "starttls", USER, PASSWORD)
    with pytest.raises(EmailDeliveryFailed, match="does not offer"):
        SmtpEmailSender(server, FROM).send(MESSAGE)
    assert local_inbox.messages() == []


def test_a_refused_recipient_is_a_permanent_failure(certificate: Certificate) -> None:
    with strict_server(certificate) as (handler, port):
        handler.refused.add("ann@example.com")
        with pytest.raises(EmailDeliveryFailed) as failed:
            _sender(_url(port), certificate).send(MESSAGE)
    assert failed.value.permanent is True
    assert "recipient was refused: 550" in failed.value.detail


@pytest.mark.parametrize(("reply", "permanent"), [("451 4.3.0 Try later", False), ("554 No", True)])
def test_a_refused_message_is_permanent_only_for_a_5xx(
    certificate: Certificate, reply: str, permanent: bool
) -> None:
    with strict_server(certificate) as (handler, port):
        handler.data_reply = reply
        with pytest.raises(EmailDeliveryFailed) as failed:
            _sender(_url(port), certificate).send(MESSAGE)
    assert failed.value.permanent is permanent
    assert reply.split()[0] in failed.value.detail


def test_a_server_that_never_answers_times_out() -> None:
    with silent_server() as port:
        started = time.monotonic()
        with pytest.raises(EmailDeliveryFailed, match="cannot be reached") as failed:
            _sender(f"smtp://127.0.0.1:{port}", timeout=0.5).send(MESSAGE)
        assert time.monotonic() - started < 5
    assert failed.value.permanent is False


def test_a_name_that_does_not_resolve_is_a_delivery_failure() -> None:
    with pytest.raises(EmailDeliveryFailed, match="cannot be reached"):
        _sender("smtp://u:p@no-such-host.invalid:2525", timeout=2).send(MESSAGE)
