"""The tokens of emailed links kept out of request logs.

A password-reset or verification link carries its token in the path, and a request log
line (the development server's, gunicorn's access log) writes the path, the Referer
too: whoever reads the logs within the hour could reset the password. The filter below
blanks the token out of every such line, whatever logs it.
"""

import logging
import re
from collections.abc import Mapping

# A token after /reset-password/ or /verify-email/; not the pages without one.
_TOKEN_IN_PATH = re.compile(
    r"(/(?:reset-password|verify-email)/)(?!(?:new|sent|resend)(?:[\s?\"'/]|$))[^\s/?\"'&#]+"
)
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, Mapping):  # gunicorn: a dict of atoms
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        elif isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


def redact_request_logs() -> None:
    """Install the filter on the request loggers (once per process)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
