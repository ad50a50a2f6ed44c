"""An invoice as a one-page PDF, written out by hand (no PDF library needed).

The page is plain text in Helvetica: enough for a person to read and print it, and
for a test to find the invoice's number and amounts in it.
"""

from __future__ import annotations

from . import formatting
from .objects import Json

_LEADING = 16
_TOP = 800
_LEFT = 56


def invoice_lines(invoice: Json) -> list[str]:
    """The text of the invoice, one line per list entry."""
    currency = invoice["currency"]
    issued = invoice["status_transitions"]["finalized_at"] or invoice["created"]
    billed_to = invoice["customer_name"] or invoice["customer_email"] or invoice["customer"]
    lines = [
        f"Invoice {invoice['number'] or invoice['id']}",
        f"{invoice['account_name']} (test mode)",
        "",
        f"Billed to: {billed_to}",
        f"Date of issue: {formatting.date(issued)}",
        f"Status: {invoice['status']}",
        "",
    ]
    for line in invoice["lines"]["data"]:
        period = line["period"]
        lines.append(
            f"{line['description']}  ({formatting.date(period['start'])} - "
            f"{formatting.date(period['end'])})  {formatting.money(line['amount'], currency)}"
        )
    lines += [
        "",
        f"Total: {formatting.money(invoice['total'], currency)}",
        f"Amount paid: {formatting.money(invoice['amount_paid'], currency)}",
        f"Amount remaining: {formatting.money(invoice['amount_remaining'], currency)}",
    ]
    return lines


def render(lines: list[str]) -> bytes:
    """A PDF 1.4 file showing ``lines`` on one A4 page."""
    text = "".join(f"({_escape(line)}) Tj T*\n" for line in lines)
    content = f"BT /F1 11 Tf {_LEADING} TL {_LEFT} {_TOP} Td\n{text}ET".encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
