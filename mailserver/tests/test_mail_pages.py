"""The web inbox: a list, one message readable and safe to show, its links followable."""

from __future__ import annotations

import re

from mail_support import Inbox, message

HOSTILE_HTML = (
    '<p onclick="alert(1)">Hi</p><script>alert("x")</script>'
    '<img src="https://tracker.example/pixel.gif">'
    '<form action="https://evil.example"><input name="password"></form>'
    '<a href="https://notes.example/verify-email/tok">Verify</a>'
)


def test_the_inbox_lists_recipient_subject_and_time_newest_first(inbox: Inbox) -> None:
    inbox.send(message(to="ann@example.com", subject="Older"))
    inbox.send(message(to="bob@example.com", subject="Newer"))
    page = inbox.get("/")
    assert page.status_code == 200
    assert page.text.index("Newer") < page.text.index("Older")
    assert "bob@example.com" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page.text)
    assert "Delete all (2)" in page.text


def test_an_empty_inbox_says_so(inbox: Inbox) -> None:
    assert "No messages yet." in inbox.get("/").text


def test_a_message_page_shows_its_text_with_links_to_follow(inbox: Inbox) -> None:
    inbox.send(message(text="Verify: https://notes.example/verify-email/tok?x=1&y=2."))
    page = inbox.get(f"/messages/{inbox.messages()[0]['id']}")
    assert page.status_code == 200
    assert (
        '<a href="https://notes.example/verify-email/tok?x=1&amp;y=2" target="_blank" '
        'rel="noopener noreferrer">'
    ) in page.text


def test_markup_in_a_subject_or_text_is_shown_as_text(inbox: Inbox) -> None:
    inbox.send(message(subject="<script>alert(1)</script>", text="<b>not bold</b>"))
    listed = inbox.get("/").text
    shown = inbox.get(f"/messages/{inbox.messages()[0]['id']}").text
    for page in (listed, shown):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in shown


def test_the_html_part_is_shown_in_a_sandboxed_frame_under_a_strict_csp(inbox: Inbox) -> None:
    inbox.send(message(html=HOSTILE_HTML))
    message_id = inbox.messages()[0]["id"]
    page = inbox.get(f"/messages/{message_id}")
    assert HOSTILE_HTML not in page.text  # never inline in the inbox's own page
    frame = re.search(r'<iframe[^>]*sandbox="([^"]*)"[^>]*src="([^"]+)"', page.text)
    assert frame is not None
    assert frame.group(1) == "allow-popups allow-popups-to-escape-sandbox"  # no scripts, forms
    assert "allow-scripts" not in page.text and "allow-same-origin" not in page.text

    part = inbox.get(frame.group(2))
    assert part.status_code == 200
    assert part.headers["Content-Type"].startswith("text/html")
    csp = part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp  # no script, no fetch: no tracking pixel
    assert "script-src" not in csp
    assert "img-src data:;" in csp
    assert "sandbox allow-popups allow-popups-to-escape-sandbox" in csp  # even opened alone
    assert "form-action 'none'" in csp
    # Links open in a tab of their own, out of the sandbox.
    assert part.text.startswith('<base target="_blank">')
    assert 'href="https://notes.example/verify-email/tok"' in part.text


def test_the_inbox_pages_themselves_allow_no_script_and_no_framing(inbox: Inbox) -> None:
    inbox.send(message())
    for path in ("/", f"/messages/{inbox.messages()[0]['id']}"):
        response = inbox.get(path)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_message_without_html_has_no_frame_and_its_html_address_is_a_404(inbox: Inbox) -> None:
    inbox.send(message(text="only text"))
    message_id = inbox.messages()[0]["id"]
    assert "<iframe" not in inbox.get(f"/messages/{message_id}").text
    assert inbox.get(f"/messages/{message_id}/html").status_code == 404


def test_the_raw_message_is_plain_text(inbox: Inbox) -> None:
    inbox.send(message(html="<b>x</b>"))
    raw = inbox.get(f"/messages/{inbox.messages()[0]['id']}/raw")
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert "sandbox" in raw.headers["Content-Security-Policy"]
    assert b"Subject: Hello" in raw.content


def test_delete_one_and_delete_all_from_the_pages(inbox: Inbox) -> None:
    for subject in ("keep", "drop"):
        inbox.send(message(subject=subject))
    drop = inbox.messages()[0]["id"]
    same_origin = {"Origin": inbox.url}
    response = inbox.post(f"/messages/{drop}/delete", headers=same_origin)
    assert (response.status_code, response.headers["Location"]) == (303, "/")
    assert [m["subject"] for m in inbox.messages()] == ["keep"]
    assert inbox.post("/delete-all", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303
    assert inbox.messages() == []


def test_another_site_cannot_delete_mail(inbox: Inbox) -> None:
    inbox.send(message())
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = inbox.post("/delete-all", headers=headers)
        assert response.status_code == 403
        assert "another site" in response.text
    assert len(inbox.messages()) == 1


def test_unknown_pages_and_ids_are_a_404_page_not_a_500(inbox: Inbox) -> None:
    for path in ("/messages/0123456789abcdef", "/messages/x/html", "/messages/%00/raw", "/nope"):
        response = inbox.get(path)
        assert response.status_code == 404, path
        assert "That did not work" in response.text
    assert inbox.post("/messages/0123456789abcdef/delete").status_code == 303  # gone already
