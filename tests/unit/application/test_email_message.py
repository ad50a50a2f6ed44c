"""EmailMessage: what a use case may ask the EmailSender to send."""

import pytest

from application.email_message import EmailMessage
from domain.email import EmailAddress

ANN = EmailAddress("ann@example.com")


def test_a_message_with_a_subject_text_html_and_extra_headers() -> None:
    message = EmailMessage(
        ANN, "Receipt", "Thanks", "<p>Thanks</p>", (("Reply-To", "help@example.com"),)
    )
    assert message.header("reply-to") == "help@example.com"
    assert message.header("Message-ID") is None


@pytest.mark.parametrize(
    "subject",
    ["", "   ", "Hi\r\nBcc: everyone@example.com", "Hi\nthere", "nul\x00", "x" * 201, "a\u2028b"],
)
def test_a_subject_is_one_line_of_1_to_200_characters(subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        EmailMessage(ANN, subject, "text")


@pytest.mark.parametrize(("text", "html"), [("", None), (" \n", None), ("text", "  ")])
def test_a_message_has_a_plain_text_body_and_no_blank_html(text: str, html: str | None) -> None:
    with pytest.raises(ValueError):
        EmailMessage(ANN, "Subject", text, html)


@pytest.mark.parametrize(
    "header",
    [
        ("Bcc", "everyone@example.com"),
        ("from", "ceo@example.com"),
        ("Content-Type", "text/html"),
        ("X-Note", "one\r\nBcc: everyone@example.com"),
        ("Bad Name", "value"),
        ("Colon:Name", "value"),
        ("", "value"),
    ],
)
def test_extra_headers_cannot_inject_or_replace_what_the_sender_writes(
    header: tuple[str, str],
) -> None:
    with pytest.raises(ValueError):
        EmailMessage(ANN, "Subject", "text", headers=(header,))


def test_the_recipient_is_an_email_address() -> None:
    with pytest.raises(ValueError):
        EmailMessage("ann@example.com", "Subject", "text")  # type: ignore[arg-type]
