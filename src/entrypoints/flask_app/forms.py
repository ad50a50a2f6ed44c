"""Form parsing: what was sent, its presence and size. What makes an email or password
valid is the domain's business (EmailAddress, password policy).

Every form field is text. Flask-WTF on its own also reads a JSON body (any JSON value)
and file uploads, which handed numbers, lists, dicts and files to validators and the
password hasher that expect strings: 500s. Here one function, `submitted_fields`, reads
what a request submitted, for the forms and for the log-in rate limit's account key
alike, so the two can never read different emails:

- form-encoded and multipart bodies: their text fields; a file upload is refused;
- a JSON object whose values are all strings (what an API client would send with an
  X-CSRFToken header); any other JSON (a list, a number, null, a nested object or a
  non-string value) is refused;
- text that cannot be encoded as UTF-8 (a lone surrogate, which only JSON can carry) is
  refused too, before it reaches the hasher.

Refused means `UnreadableSubmission`: a 400 with the reason, and nothing done.
"""

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from domain.email import MAX_LENGTH as EMAIL_MAX
from domain.password_policy import MAX_LENGTH as PASSWORD_MAX

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnreadableSubmission(BadRequest):
    """The request's body is not a set of text fields. Its description is the reason, in
    words a page can show."""


def submitted_fields() -> ImmutableMultiDict[str, str]:
    """The text fields the current request submitted; raises `UnreadableSubmission`."""
    if request.files:
        raise UnreadableSubmission("This form takes no files: send each field as text.")
    if request.form:
        fields: MultiDict[str, str] = MultiDict(request.form)
    elif request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes: not a form
            raise UnreadableSubmission("Send the form's fields as a JSON object.") from None
        fields = _json_fields(body)
    else:
        fields = MultiDict()
    for _, value in fields.items(multi=True):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableSubmission("A field is not valid text.") from None
    return ImmutableMultiDict(fields)


def _json_fields(body: Any) -> MultiDict[str, str]:
    if not isinstance(body, dict):
        raise UnreadableSubmission("Send the form's fields as a JSON object of text values.")
    if not all(isinstance(value, str) for value in body.values()):
        raise UnreadableSubmission("Every field of the form must be text.")
    return MultiDict(body)


class TextForm(FlaskForm):  # type: ignore[misc]
    """A FlaskForm that reads its fields through `submitted_fields`; `blank`: reads
    nothing (a page with several forms shows the others empty after one is posted)."""

    def __init__(self, *, blank: bool = False, **kwargs: Any) -> None:
        submitted = request.method in SUBMIT_METHODS and not blank
        formdata = submitted_fields() if submitted else None
        super().__init__(formdata=formdata, **kwargs)


class CredentialsForm(TextForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Please enter your email address."),
            Length(max=EMAIL_MAX, message="That email address is too long."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Please enter a password."),
            Length(
                max=PASSWORD_MAX, message=f"The password must be at most {PASSWORD_MAX} characters."
            ),
        ],
    )


class RegisterForm(CredentialsForm):
    pass


class LoginForm(CredentialsForm):
    pass
