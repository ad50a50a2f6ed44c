"""A received message as people read it: headers, its plain text and its HTML part.

Mail arrives as anything a client sends: malformed MIME, unknown charsets, broken
base64, 8-bit headers. Reading never raises: what cannot be decoded is shown with
replacement characters, and a body that is not MIME at all is shown as text.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from html.parser import HTMLParser

_URL = re.compile(r"https?://[^\s<>\"'()]+[^\s<>\"'().,;:!?]")


@dataclass(frozen=True)
class ReadMessage:
    subject: str
    from_: str
    to: str
    date: str
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    links: list[str] = field(default_factory=list)
    """Every http(s) link of the text and the HTML part (their hrefs), in order, once."""


def read_message(raw: bytes) -> ReadMessage:
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # the parser is lenient, but a message must never break the inbox
        return _unparsed(raw)
    headers = _headers(parsed)
    first = {name.lower(): value for name, value in reversed(headers)}
    text = _part(parsed, "plain")
    html = _part(parsed, "html")
    if text is None and html is None and not parsed.is_multipart():
        text = _payload(parsed)
    links = _links_in_text(text or "") + _hrefs(html or "")
    return ReadMessage(
        subject=first.get("subject", ""),
        from_=first.get("from", ""),
        to=first.get("to", ""),
        date=first.get("date", ""),
        headers=headers,
        text=text,
        html=html,
        links=list(dict.fromkeys(links)),
    )


def printable(value: str) -> str:
    """`value` as valid Unicode: undecodable bytes and lone surrogates replaced."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _unparsed(raw: bytes) -> ReadMessage:
    text = raw.decode("utf-8", "replace")
    return ReadMessage("", "", "", "", [], text, None, _links_in_text(text))


def _headers(message: Message) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for name in message.keys():  # noqa: SIM118 - a Message is no dict: `in` looks at values
        if any(n == name for n, _ in headers):
            continue  # get_all below gives every header of the name at once
        try:
            values = [str(value) for value in message.get_all(name, [])]
        except Exception:  # a header the parser chokes on: shown as received
            values = [_raw_header(message, name)]
        headers.extend((printable(name), printable(_unfold(v))) for v in values)
    return headers


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key == name:
            return str(value)
    return ""


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", value)


def _part(message: EmailMessage, subtype: str) -> str | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:
        return None
    if part is None or not isinstance(part, EmailMessage):
        return None
    return _payload(part)


def _payload(part: Message) -> str:
    """A part's content as text, decoded by its charset as far as that works, with the
    wire's CRLF line ends as newlines."""
    return _decoded(part).replace("\r\n", "\n")


def _decoded(part: Message) -> str:
    with contextlib.suppress(Exception):  # an unknown charset, a broken transfer encoding
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return printable(content)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return printable(payload) if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _links_in_text(text: str) -> list[str]:
    return _URL.findall(text)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value and value.strip().startswith(("http://", "https://")):
                    self.hrefs.append(value.strip())


def _hrefs(html: str) -> list[str]:
    parser = _Hrefs()
    with contextlib.suppress(Exception):  # HTMLParser is lenient; this is only a guard
        parser.feed(html)
        parser.close()
    return parser.hrefs
