"""The JSON API tests read mail through: list, one message in full, delete, clear."""

from __future__ import annotations

import requests

from mail_support import Inbox, message


def test_one_message_has_its_text_html_headers_and_links(inbox: Inbox) -> None:
    inbox.send(
        message(
            to="ann@example.com",
            subject="Reset your password",
            text="Open https://notes.example/reset-password/abc123 within the hour.",
            html='<p><a href="https://notes.example/reset-password/abc123">Reset</a></p>',
            Reply_To="help@example.com",
        )
    )
    got = inbox.only()
    assert got["subject"] == "Reset your password"
    assert got["text"] == "Open https://notes.example/reset-password/abc123 within the hour.\n"
    assert got["html"] == '<p><a href="https://notes.example/reset-password/abc123">Reset</a></p>\n'
    headers = dict(got["headers"])
    assert headers["Reply-To"] == "help@example.com"
    assert headers["Content-Type"].startswith("multipart/alternative")
    assert got["links"] == ["https://notes.example/reset-password/abc123"]


def test_a_text_only_message_has_no_html_and_an_html_only_one_no_text(inbox: Inbox) -> None:
    inbox.send(message(subject="text only", text="plain"))
    inbox.send(message(subject="html only", text=None, html="<b>bold</b>"))
    html_only, text_only = (inbox.message(m["id"]) for m in inbox.messages())
    assert (text_only["text"], text_only["html"]) == ("plain\n", None)
    assert (html_only["text"], html_only["html"]) == (None, "<b>bold</b>\n")


def test_delete_one_and_clear(inbox: Inbox) -> None:
    for subject in ("a", "b", "c"):
        inbox.send(message(subject=subject))
    first = inbox.messages()[-1]["id"]
    assert requests.delete(f"{inbox.url}/api/messages/{first}", timeout=10).json() == {"deleted": 1}
    assert [m["subject"] for m in inbox.messages()] == ["c", "b"]
    again = requests.delete(f"{inbox.url}/api/messages/{first}", timeout=10)
    assert again.status_code == 404
    assert requests.delete(f"{inbox.url}/api/messages", timeout=10).json() == {"deleted": 2}
    assert inbox.messages() == []


def test_unknown_ids_are_a_404_in_json(inbox: Inbox) -> None:
    for message_id in ("0123456789abcdef", "nope", "..%2f..%2fetc", "A" * 500):
        response = inbox.get(f"/api/messages/{message_id}")
        assert response.status_code == 404
        assert "error" in response.json()


def test_health(inbox: Inbox) -> None:
    assert inbox.get("/api/health").json() == {"ok": True}
