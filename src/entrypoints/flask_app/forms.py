"""Form parsing: presence and size only. What makes an email or password valid is the
domain's business (EmailAddress, password policy)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from domain.email import MAX_LENGTH as EMAIL_MAX
from domain.password_policy import MAX_LENGTH as PASSWORD_MAX


class CredentialsForm(FlaskForm):  # type: ignore[misc]
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
