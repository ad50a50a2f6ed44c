"""A local SMTP server that keeps every message, with a web inbox and a JSON API.

It stands in for a real mail provider the way the Stripe emulator stands in for
Stripe: `make run` starts it when SMTP_URL is not set, and the app's real SMTP adapter
sends to it. From Python::

    from local_mail import MailServer

    with MailServer(smtp_port=0, web_port=0) as mail:  # 0: any free port
        smtplib.SMTP(mail.host, mail.smtp_port).sendmail(sender, [to], message)
        requests.get(f"{mail.web_url}/api/messages").json()["data"]

or from a shell: ``python -m local_mail --port 1025 --web-port 8025 --state-dir DIR``.
It imports nothing of the application.
"""

from .mailbox import MailStateError
from .server import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_SMTP_PORT,
    DEFAULT_WEB_PORT,
    MailServer,
    PortUnavailable,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_SMTP_PORT",
    "DEFAULT_WEB_PORT",
    "MailServer",
    "MailStateError",
    "PortUnavailable",
]
