"""The forms of the account's own pages: password reset, settings, leaving. Read like
every form (`TextForm`: text fields only, whatever the body's encoding)."""

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from domain.email import MAX_LENGTH as EMAIL_MAX
from domain.password_policy import MAX_LENGTH as PASSWORD_MAX
from entrypoints.flask_app.forms import TextForm


def _email(label: str = "Email") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Please enter your email address."),
            Length(max=EMAIL_MAX, message="That email address is too long."),
        ],
    )


def _password(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            Length(
                max=PASSWORD_MAX, message=f"The password must be at most {PASSWORD_MAX} characters."
            ),
        ],
    )


class ResetRequestForm(TextForm):
    email = _email()


class NewPasswordForm(TextForm):
    password = _password("New password", "Please enter a new password.")


class ChangePasswordForm(TextForm):
    current_password = _password("Current password", "Please enter your current password.")
    new_password = _password("New password", "Please enter a new password.")


class ChangeEmailForm(TextForm):
    email = _email("New email")
    password = _password("Your password", "Please enter your password.")


class DeleteAccountForm(TextForm):
    password = _password("Your password", "Please enter your password.")
