"""Email: the SMTP adapter of `EmailSender`, and the templates every message is made from."""

from adapters.mail.renderer import DEFAULT_TEMPLATES, JinjaEmailRenderer
from adapters.mail.smtp_sender import SmtpEmailSender
from adapters.mail.smtp_server import SmtpServer

__all__ = ["DEFAULT_TEMPLATES", "JinjaEmailRenderer", "SmtpEmailSender", "SmtpServer"]
