"""Log lines an operator can search: LOG_FORMAT=json (one object a line) or text.

Every record says when, how bad, which logger and what; one logged during a request
also carries that request's id (`request_id`), so a search for the id finds the
request's line and everything logged while it ran. A record may carry fields of its
own (`extra={"fields": {...}}`, the request line's method, route, status...): JSON
puts them beside the message, text after it as `name=value`.

What goes into a field is chosen by its caller: the request line names the route (the
URL rule, `/notes/<slug>`), never the raw path or query (which may hold a token), and
the user by id, never by email; no cookie, header or form value is logged.
"""

import json
import logging
import sys
import time
from typing import Any

from flask import g, has_request_context

_OURS = "_premium_notes_handler"  # marks the handler installed here, to replace it


def _request_id() -> str | None:
    if has_request_context():
        request_id: str | None = g.get("request_id")
        return request_id
    return None


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds: `2025-01-01T12:00:00.000Z`. The date and time
    of a second are formatted once, for all the lines written in it."""
    global _second
    whole, text = _second
    if int(created) != whole:
        whole = int(created)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int(created % 1 * 1000):03d}Z"


# json.dumps with options builds a new encoder for every call: one, made once.
_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, msg, request_id, the record's fields,
    and `exc` (the traceback) when one was logged."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if "request_id" not in line and (request_id := _request_id()) is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encode(line)


class TextFormatter(logging.Formatter):
    """`2025-01-01 12:00:00,000 logger: message name=value ...`, for a person."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = getattr(record, "fields", None)
        if fields is None and (request_id := _request_id()) is not None:
            fields = {"request_id": request_id}
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return text


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: str, stream: Any = None) -> None:
    """Send the process's log records (INFO and up) to stderr in `log_format`.

    Called once by what starts the process (`make run`, gunicorn's workers through
    `create_app()` from the environment); an app built from given settings (tests)
    leaves logging as it is. Calling it again replaces its handler, never adds one.
    """
    # The logging documentation's "Optimization" switches, for what no line here shows:
    # the caller's file and line (a walk up the stack for every record), the thread and
    # the multiprocessing name. One line a request makes them worth it.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per API call is noise
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # at each import
