"""Account settings: /account/settings (change email, change password) and
/account/delete (leave, after a confirmation page). Each change needs the password;
a refusal is the page again with the reason (4xx), never a 500."""

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from application.use_cases.change_password import ChangePasswordCommand
from application.use_cases.delete_account import DeleteAccountCommand
from application.use_cases.get_account import GetAccountCommand
from application.use_cases.request_email_change import RequestEmailChangeCommand
from domain.errors import DomainError
from domain.user import User
from entrypoints.flask_app.account_forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
)
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import status_for
from entrypoints.flask_app.session_user import SessionUser

bp = Blueprint("settings", __name__)


@dataclass(frozen=True)
class SettingsPage:
    email: str
    verified: bool
    pending_email: str | None
    has_billing: bool

    @classmethod
    def of(cls, user: User) -> "SettingsPage":
        pending = user.pending_email
        return cls(
            email=user.email.value,
            verified=user.email_verified,
            pending_email=pending.value if pending else None,
            has_billing=user.customer_id is not None,
        )


def _settings_page(
    email_form: ChangeEmailForm | None = None,
    password_form: ChangePasswordForm | None = None,
    error: str | None = None,
) -> str:
    return render_template(
        "settings.html",
        page=SettingsPage.of(current_user.account),
        email_form=email_form or ChangeEmailForm(blank=True),
        password_form=password_form or ChangePasswordForm(blank=True),
        error=error,
    )


@bp.get("/account/settings")
@login_required
def show() -> str:
    return _settings_page()


@bp.post("/account/settings/email")
@login_required
def change_email() -> Response | tuple[str, int]:
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return _settings_page(email_form=form), 400
    command = RequestEmailChangeCommand(
        current_user.id, form.password.data or "", form.email.data or ""
    )
    try:
        new = container().request_email_change().execute(command)
    except DomainError as error:
        return _settings_page(email_form=form, error=error.message), status_for(error)
    flash(
        f"We sent a link to {new}. Your address changes when you open it; until then it "
        f"stays {current_user.email}.",
        "info",
    )
    return redirect(url_for("settings.show"), 303)


@bp.post("/account/settings/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _settings_page(password_form=form), 400
    command = ChangePasswordCommand(
        current_user.id, form.current_password.data or "", form.new_password.data or ""
    )
    try:
        result = container().change_password().execute(command)
    except DomainError as error:
        return _settings_page(password_form=form, error=error.message), status_for(error)
    # Every other session ended; this one goes on in the new generation.
    account = current_user.account
    session.clear()
    login_user(SessionUser(account.id, account.email.value, result.session_generation, account))
    session.permanent = True
    flash("Your password is changed. Your other devices are logged out.", "success")
    return redirect(url_for("settings.show"), 303)


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete() -> Response | str | tuple[str, int]:
    form = DeleteAccountForm()
    view = container().get_account().execute(GetAccountCommand(current_user.id))
    page = {
        "email": view.email,
        "live_subscription": not view.can_subscribe,
        "plan_name": view.plan_name or "",
    }
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("delete_account.html", form=form, page=page), status
    command = DeleteAccountCommand(current_user.id, form.password.data or "")
    try:
        container().delete_account().execute(command)
    except DomainError as error:
        shown = render_template("delete_account.html", form=form, page=page, error=error.message)
        return shown, status_for(error)
    logout_user()
    session.clear()
    flash("Your account is deleted. Thank you for reading with us.", "success")
    return redirect(url_for("main.home"), 303)
