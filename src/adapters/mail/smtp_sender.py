"""The `EmailSender` over SMTP (smtplib): STARTTLS or implicit TLS, log-in, time-outs.

Every failure becomes one `EmailDeliveryFailed`, whose text is built here from the
server's code and reply (never from the exception's own text, never with the password),
and raised `from None`, so no traceback carries smtplib's objects or the credentials.
smtplib's debug output (which would print the AUTH exchange) stays off.
"""

import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr

from adapters.mail.smtp_server import SmtpServer
from application.email_message import EmailMessage
from application.ports import EmailSender
from domain.errors import EmailDeliveryFailed

DEFAULT_TIMEOUT_SECONDS = 10.0
# 7bit: non-ASCII and long lines go quoted-printable or base64, so any server takes them
# (without 8BITMIME) and no line nears SMTP's 1000-octet limit.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")


class SmtpEmailSender(EmailSender):
    """Sends each message on a connection of its own (notices are few; a pooled
    connection would need keep-alive and reconnect logic for no gain).

    `mail_from` is the From header (`Premium Notes <notes@example.com>`); its address is
    the envelope sender too. `timeout` bounds the connection and each reply.
    `ssl_context` verifies the server's certificate (default: the system's trust store,
    host name checked).
    """

    def __init__(
        self,
        server: SmtpServer,
        mail_from: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        name, address = parseaddr(mail_from)
        if "@" not in address:
            raise ValueError("mail_from needs an address")
        self.server = server
        self.mail_from = mail_from
        self.timeout = timeout
        self._envelope_from = address
        self._domain = address.rpartition("@")[2]
        self._sender = Address(display_name=name, addr_spec=address)
        self._ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        mime = self._mime(message)
        try:
            with self._connect() as smtp:
                if self.server.security == "starttls":
                    smtp.starttls(context=self._ssl_context)
                if self.server.username is not None and self.server.password is not None:
                    smtp.login(self.server.username, self.server.password)
                smtp.send_message(mime, from_addr=self._envelope_from, to_addrs=[str(message.to)])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise self._failed("the recipient was refused", code, reply) from None
        except smtplib.SMTPAuthenticationError as error:
            raise self._failed(
                "the log-in was refused (check SMTP_URL's user and password)",
                error.smtp_code,
                error.smtp_error,
                permanent=False,
            ) from None
        except smtplib.SMTPSenderRefused as error:
            raise self._failed(
                "the sender was refused (check MAIL_FROM)",
                error.smtp_code,
                error.smtp_error,
                permanent=False,
            ) from None
        except smtplib.SMTPResponseException as error:
            raise self._failed("the server refused", error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPNotSupportedError:
            raise EmailDeliveryFailed(
                f"{self.server} does not offer what SMTP_URL asks (STARTTLS or AUTH)"
            ) from None
        except ssl.SSLError as error:
            raise EmailDeliveryFailed(f"TLS with {self.server} failed: {error.reason}") from None
        except (smtplib.SMTPException, OSError) as error:
            reason = _first_line(getattr(error, "strerror", None) or type(error).__name__)
            raise EmailDeliveryFailed(f"{self.server} cannot be reached: {reason}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.server.security == "tls":
            return smtplib.SMTP_SSL(
                self.server.host, self.server.port, timeout=self.timeout, context=self._ssl_context
            )
        return smtplib.SMTP(self.server.host, self.server.port, timeout=self.timeout)

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage(policy=_POLICY)
        mime["From"] = self._sender
        mime["To"] = str(message.to)
        mime["Subject"] = message.subject
        mime["Date"] = format_datetime(datetime.now(UTC))
        if message.header("Message-ID") is None:
            mime["Message-ID"] = make_msgid(domain=self._domain)
        for name, value in message.headers:
            mime[name] = value
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _failed(
        self, what: str, code: int, reply: bytes | str, *, permanent: bool | None = None
    ) -> EmailDeliveryFailed:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = self._scrubbed(_first_line(text))
        return EmailDeliveryFailed(
            f"{self.server}: {what}: {code} {text}".rstrip(),
            permanent=500 <= code < 600 if permanent is None else permanent,
        )

    def _scrubbed(self, text: str) -> str:
        """A server that echoes what it was sent must not put the password in a log."""
        password = self.server.password
        return text.replace(password, "***") if password else text


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""
