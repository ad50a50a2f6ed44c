"""One contract for the email sender, run against the in-memory fake and against the SMTP
adapter talking to the local mail server over real SMTP (read back through its API)."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from adapters.mail import SmtpEmailSender, SmtpServer
from adapters.memory import InMemoryEmailSender
from application.email_message import EmailMessage
from application.ports import EmailSender
from domain.email import EmailAddress
from domain.errors import EmailDeliveryFailed
from local_mail import MailServer
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import free_port

FROM = "Premium Notes <notes@example.com>"


@dataclass(frozen=True)
class Delivered:
    """A message as its recipient's server has it."""

    to: str
    from_: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]  # names lower-cased


@dataclass
class World:
    sender: EmailSender
    delivered: Callable[[], list[Delivered]]
    go_down: Callable[[], None]
    come_back: Callable[[], None]


def _newline_ended(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _memory() -> World:
    sender = InMemoryEmailSender(FROM)

    def delivered() -> list[Delivered]:
        return [
            Delivered(
                to=str(sent.message.to),
                from_=sent.mail_from,
                subject=sent.message.subject,
                text=_newline_ended(sent.message.text),
                html=_newline_ended(sent.message.html) if sent.message.html else None,
                headers={name.lower(): v for name, v in sent.message.headers}
                | {"message-id": sent.message_id},
            )
            for sent in sender.sent
        ]

    def set_available(up: bool) -> Callable[[], None]:
        return lambda: setattr(sender, "available", up)

    return World(sender, delivered, set_available(False), set_available(True))


def _smtp(server: MailServer, inbox: LocalInbox) -> World:
    def sender_to(url: str) -> SmtpEmailSender:
        return SmtpEmailSender(SmtpServer.from_url(url), FROM, timeout=5)

    def delivered() -> list[Delivered]:
        return [
            Delivered(
                to=m["to"],
                from_=m["from"],
                subject=m["subject"],
                text=m["text"],
                html=m["html"],
                headers={name.lower(): value for name, value in m["headers"]},
            )
            for m in inbox.everything()
        ]

    world = World(sender_to(server.smtp_url), delivered, lambda: None, lambda: None)
    # Down: the adapter is pointed at a port where nothing listens; back: at the server.
    world.go_down = lambda: setattr(world, "sender", sender_to(f"smtp://127.0.0.1:{free_port()}"))
    world.come_back = lambda: setattr(world, "sender", sender_to(server.smtp_url))
    return world


@pytest.fixture(params=["memory", "smtp"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "memory":
        return _memory()
    return _smtp(request.getfixturevalue("mail_server"), request.getfixturevalue("local_inbox"))


def a_message(**changes: object) -> EmailMessage:
    values: dict[str, object] = {
        "to": EmailAddress("ann@example.com"),
        "subject": "Your receipt",
        "text": "Thank you.\nYour receipt: https://notes.example/receipts/1\n",
        "html": '<p>Thank you.</p><p><a href="https://notes.example/receipts/1">Receipt</a></p>',
    }
    return EmailMessage(**(values | changes))  # type: ignore[arg-type]


def test_a_message_arrives_from_the_sender_to_its_address_with_both_parts(world: World) -> None:
    world.sender.send(a_message())
    [got] = world.delivered()
    assert got.to == "ann@example.com"
    assert got.from_ == FROM
    assert got.subject == "Your receipt"
    assert got.text == "Thank you.\nYour receipt: https://notes.example/receipts/1\n"
    assert got.html == (
        '<p>Thank you.</p><p><a href="https://notes.example/receipts/1">Receipt</a></p>\n'
    )


def test_a_text_only_message_arrives_without_an_html_part(world: World) -> None:
    world.sender.send(a_message(html=None))
    [got] = world.delivered()
    assert got.html is None
    assert got.text.startswith("Thank you.")


def test_non_ascii_long_lines_and_any_line_ends_arrive_intact(world: World) -> None:
    long_line = "Grüße aus Köln, 東京 ✓ " * 100  # over SMTP's 1000-octet line limit
    subject = "Ünïcödé " + "subject words " * 13  # long enough to be folded
    world.sender.send(
        a_message(
            subject=subject.strip(),
            text=f"first\r\n{long_line}\rlast",
            html=f"<p>{long_line}</p>",
        )
    )
    [got] = world.delivered()
    assert got.subject == subject.strip()
    assert got.text == f"first\n{long_line}\nlast\n"
    assert got.html == f"<p>{long_line}</p>\n"


def test_extra_headers_arrive_and_a_given_message_id_is_kept(world: World) -> None:
    headers = (
        ("Reply-To", "help@example.com"),
        ("List-Unsubscribe", "<https://notes.example/account>"),
        ("Message-ID", "<outbox-42@notes.example>"),
    )
    world.sender.send(a_message(headers=headers))
    [got] = world.delivered()
    assert got.headers["reply-to"] == "help@example.com"
    assert got.headers["list-unsubscribe"] == "<https://notes.example/account>"
    assert got.headers["message-id"] == "<outbox-42@notes.example>"


def test_every_message_gets_a_message_id_of_its_own(world: World) -> None:
    world.sender.send(a_message())
    world.sender.send(a_message())
    ids = [got.headers["message-id"] for got in world.delivered()]
    assert len(set(ids)) == 2
    assert all(i.startswith("<") and i.endswith("@example.com>") for i in ids)


def test_a_message_sent_twice_arrives_twice(world: World) -> None:
    message = a_message()
    world.sender.send(message)
    world.sender.send(message)
    assert [got.subject for got in world.delivered()] == ["Your receipt", "Your receipt"]


def test_a_server_that_cannot_be_reached_is_a_failure_worth_retrying(world: World) -> None:
    world.go_down()
    with pytest.raises(EmailDeliveryFailed) as failed:
        world.sender.send(a_message(subject="Lost?"))
    assert failed.value.permanent is False
    assert failed.value.message == "The email could not be sent. Please try again in a moment."
    assert world.delivered() == []
    world.come_back()
    world.sender.send(a_message(subject="Not lost"))
    assert [got.subject for got in world.delivered()] == ["Not lost"]
