"""Helpers for the mail server's tests: send over real SMTP, read over real HTTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import requests

from local_mail import MailServer

SENDER = "app@example.com"


def message(
    to: str = "ann@example.com",
    subject: str = "Hello",
    text: str | None = "Hello there.",
    html: str | None = None,
    **headers: str,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = to
    mail["Subject"] = subject
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    return mail


@dataclass
class Inbox:
    """One mail server, seen from outside: SMTP in, HTTP out."""

    server: MailServer

    @property
    def url(self) -> str:
        return self.server.web_url

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP(self.server.host, self.server.smtp_port, timeout=10)

    def send(self, mail: EmailMessage, to: list[str] | None = None) -> None:
        with self.smtp() as smtp:
            smtp.send_message(mail, to_addrs=to)

    def send_raw(self, data: bytes, to: str = "ann@example.com") -> tuple[int, bytes]:
        """MAIL, RCPT and DATA by hand (no SIZE declared); the answer to DATA."""
        with self.smtp() as smtp:
            smtp.ehlo()
            assert smtp.mail(SENDER)[0] == 250
            assert smtp.rcpt(to)[0] == 250
            return smtp.data(data)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.url}{path}", timeout=10, allow_redirects=False, **kwargs)

    def messages(self) -> list[dict[str, Any]]:
        response = self.get("/api/messages")
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def only(self) -> dict[str, Any]:
        [summary] = self.messages()
        return self.message(summary["id"])

    def message(self, message_id: str) -> dict[str, Any]:
        response = self.get(f"/api/messages/{message_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def clear(self) -> None:
        response = requests.delete(f"{self.url}/api/messages", timeout=10)
        assert response.status_code == 200, response.text
