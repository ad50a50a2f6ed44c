"""The web inbox (pages for people) and its JSON API (for tests), over one mailbox.

Pages: `/` lists the messages, newest first; `/messages/ID` shows one (its text with
links made clickable, its HTML part in a sandboxed frame); `/messages/ID/html` is that
HTML part alone, under a CSP that forbids scripts, plugins, forms and any fetch, and
opens its links in a new tab; `/messages/ID/raw` the bytes as received.

API: `GET /api/messages`, `GET /api/messages/ID` (text, html, headers, links),
`DELETE /api/messages` (all), `DELETE /api/messages/ID`, `GET /api/health`.

A POST or DELETE from another site's page is refused (403): the inbox only listens on
loopback, but a page in the same browser could otherwise empty it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response as BaseResponse

from .mailbox import Mailbox, StoredMessage
from .reading import ReadMessage, printable, read_message

log = logging.getLogger("local_mail")

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The HTML part of a message: no script, no fetch of anything (no tracking pixel, no
# remote font), inline styles only; sandboxed even when opened on its own, with
# popups allowed (and unsandboxed) so that its links open in a tab of their own.
PART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
_URL = re.compile(r"https?://[^\s<>\"'()]+[^\s<>\"'().,;:!?]")


def create_inbox_app(mailbox: Mailbox, smtp_address: str) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # forms carry nothing big
    app.extensions["local_mail"] = mailbox

    @app.before_request
    def refuse_cross_site_writes() -> Response | None:
        if request.method in ("GET", "HEAD", "OPTIONS") or _same_site():
            return None
        return _error(403, "Refused: a request from another site may not change the inbox.")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _error(error.code or 500, error.description or "That did not work.")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error(500, "The inbox failed on this request; see the server's log.")

    # -- pages -----------------------------------------------------------------

    @app.get("/")
    def inbox() -> str:
        rows = [(m, read_message(m.raw)) for m in mailbox.newest_first()]
        return render_template("inbox.html", rows=rows, smtp_address=smtp_address)

    @app.get("/messages/<message_id>")
    def message_page(message_id: str) -> str:
        message = _found(mailbox, message_id)
        read = read_message(message.raw)
        return render_template(
            "message.html",
            message=message,
            read=read,
            text=linkify(read.text) if read.text is not None else None,
            sandbox=FRAME_SANDBOX,
        )

    @app.get("/messages/<message_id>/html")
    def message_html(message_id: str) -> Response:
        read = read_message(_found(mailbox, message_id).raw)
        if read.html is None:
            raise NotFound("This message has no HTML part.")
        # The first <base> with a target wins: links open in a new tab, not in the frame.
        response = Response('<base target="_blank">' + read.html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PART_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @app.get("/messages/<message_id>/raw")
    def message_raw(message_id: str) -> Response:
        response = Response(_found(mailbox, message_id).raw, mimetype="text/plain")
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @app.post("/messages/<message_id>/delete")
    def delete_one(message_id: str) -> BaseResponse:
        mailbox.delete(message_id)
        return redirect(url_for("inbox"), code=303)

    @app.post("/delete-all")
    def delete_all() -> BaseResponse:
        mailbox.clear()
        return redirect(url_for("inbox"), code=303)

    # -- JSON API ----------------------------------------------------------------

    @app.get("/api/health")
    def health() -> Response:
        return jsonify(ok=True)

    @app.get("/api/messages")
    def api_list() -> Response:
        return jsonify(data=[_summary(m, read_message(m.raw)) for m in mailbox.newest_first()])

    @app.get("/api/messages/<message_id>")
    def api_get(message_id: str) -> Response:
        message = _found(mailbox, message_id)
        read = read_message(message.raw)
        return jsonify(
            {
                **_summary(message, read),
                "text": read.text,
                "html": read.html,
                "headers": [[name, value] for name, value in read.headers],
                "links": read.links,
            }
        )

    @app.delete("/api/messages")
    def api_clear() -> Response:
        return jsonify(deleted=mailbox.clear())

    @app.delete("/api/messages/<message_id>")
    def api_delete(message_id: str) -> Response:
        if not mailbox.delete(message_id):
            raise NotFound("No message has this id.")
        return jsonify(deleted=1)

    return app


def linkify(text: str) -> Markup:
    """Plain text as HTML: escaped, with every http(s) URL a link opening a new tab."""
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        parts.append(str(escape(text[last : found.start()])))
        url = escape(found.group(0))
        parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece is escaped above


def _found(mailbox: Mailbox, message_id: str) -> StoredMessage:
    message = mailbox.get(message_id)
    if message is None:
        raise NotFound("No message has this id (deleted, or never received).")
    return message


def _summary(message: StoredMessage, read: ReadMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "received_at": message.received_at.isoformat(),
        "mail_from": printable(message.mail_from),
        "rcpt_tos": [printable(to) for to in message.rcpt_tos],
        "from": read.from_,
        "to": read.to,
        "subject": read.subject,
        "size": message.size,
    }


def _same_site() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def _error(status: int, message: str) -> Response:
    if request.path.startswith("/api/"):
        response = jsonify(error=message)
        response.status_code = status
        return response
    return Response(render_template("error.html", message=message), status=status)
