"""The `EmailRenderer` over Jinja2 templates: one folder, three files a message.

For a message named `welcome`: `welcome.subject.txt` (one line), `welcome.txt` (the
plain text) and, optionally, `welcome.html` (the HTML part, usually extending
`_layout.html`). Only `.html` templates escape what they are given; text stays text.
An undefined value is an error, not an empty string.
"""

import re
from collections.abc import Mapping
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

from application.email_message import EmailMessage
from application.ports import EmailRenderer
from domain.email import EmailAddress

DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "templates"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class JinjaEmailRenderer(EmailRenderer):
    def __init__(self, folder: Path = DEFAULT_TEMPLATES) -> None:
        self.folder = folder
        self._jinja = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(["html"], default_for_string=False, default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def render(self, name: str, to: EmailAddress, context: Mapping[str, object]) -> EmailMessage:
        if not _NAME.match(name):
            raise LookupError(f"no email template is named {name!r}")
        values = {**context, "to": to}
        try:
            subject = self._jinja.get_template(f"{name}.subject.txt").render(values)
            text = self._jinja.get_template(f"{name}.txt").render(values)
            html = self._html(name, values)
        except TemplateNotFound as error:
            raise LookupError(f"email template {name!r}: {error.name} is missing") from None
        except UndefinedError as error:
            raise LookupError(f"email template {name!r}: {error.message}") from None
        return EmailMessage(to=to, subject=" ".join(subject.split()), text=text, html=html)

    def _html(self, name: str, values: Mapping[str, object]) -> str | None:
        try:
            template = self._jinja.get_template(f"{name}.html")
        except TemplateNotFound as error:
            if error.name != f"{name}.html":
                raise  # the layout it extends is missing: that is a broken template
            return None
        return template.render(values)
