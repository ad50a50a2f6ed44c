"""Where the SMTP adapter sends: SMTP_URL, read into host, port, TLS mode and log-in."""

import ipaddress
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["starttls", "tls", "none"]
LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server and how to talk to it.

    `security`: "tls" (implicit TLS, `smtps://`, port 465 by default), "starttls"
    (`smtp://`, port 587 by default: the connection is upgraded before anything else is
    said, and sending stops if the server cannot), "none" (`smtp://` to a loopback
    address only, such as `make run`'s local mail server: nothing leaves the machine).
    The password never appears in `repr` or `str`.
    """

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """Read `smtp://[user:password@]host[:port]` or `smtps://...`.

        Raises `ValueError` saying what is wrong; the message never repeats the URL
        (it may hold a password). User and password are percent-decoded.
        """
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValueError("its port is not a number from 1 to 65535") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("it must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("it names no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("it takes no path, query or fragment")
        if port == 0:
            raise ValueError("its port is not a number from 1 to 65535")
        if (parts.username is None) != (parts.password is None) or parts.username == "":
            raise ValueError("a log-in needs both a user and a password (user:password@)")
        loopback = _is_loopback(parts.hostname)
        security: Security = (
            "tls" if parts.scheme == "smtps" else "none" if loopback else "starttls"
        )
        default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def __str__(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        login = f"{self.username}:***@" if self.username is not None else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{login}{host}:{self.port}"


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
