"""Forgotten passwords: /reset-password asks for a link by email; the emailed
/reset-password/<token> leads to /reset-password/new, which sets a new password.

Asking answers the same page whether or not the address has an account (and the use
case does the same work either way). A link that does not work is a 400 page saying
so, with a way to ask for a new one, whatever is wrong with it."""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from application.use_cases.check_reset_link import CheckResetLinkCommand
from application.use_cases.request_password_reset import RequestPasswordResetCommand
from application.use_cases.reset_password import ResetPasswordCommand
from domain.account_tokens import OpenedLink
from domain.errors import DomainError, InvalidLink
from entrypoints.flask_app.account_forms import NewPasswordForm, ResetRequestForm
from entrypoints.flask_app.auth import KEPT_EMAIL
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import status_for

bp = Blueprint("reset", __name__)

# The reset link once opened (`OpenedLink`: the user id and the digest of its secret,
# never the secret: the signed session cookie is readable by whoever sees it), between
# opening the link and setting the password.
OPENED_RESET_LINK = "reset_link"


@bp.route("/reset-password", methods=["GET", "POST"])
def request_link() -> Response | str | tuple[str, int]:
    form = ResetRequestForm()
    if not form.is_submitted():
        kept = session.get(KEPT_EMAIL) or (
            current_user.email if current_user.is_authenticated else None
        )
        form.email.data = kept
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("reset_request.html", form=form), status
    email = (form.email.data or "").strip()
    try:
        container().request_password_reset().execute(RequestPasswordResetCommand(email))
    except DomainError as error:  # a malformed address: the same for anyone
        return render_template("reset_request.html", form=form, error=error.message), status_for(
            error
        )
    session[KEPT_EMAIL] = email
    return redirect(url_for("reset.sent"), 303)


@bp.get("/reset-password/sent")
def sent() -> str:
    return render_template("reset_sent.html", email=session.get(KEPT_EMAIL))


@bp.get("/reset-password/<token>")
def open_link(token: str) -> Response | tuple[str, int]:
    """The emailed link: checked, then kept in the session as opened (without its
    secret) and left at once for a page without it, so that the token is in no later
    request line, Referer header or cookie."""
    try:
        opened = OpenedLink.of(token)
        container().check_reset_link().execute(CheckResetLinkCommand(opened))
    except InvalidLink as error:
        return invalid_link(error, "reset")
    session[OPENED_RESET_LINK] = opened.text
    return redirect(url_for("reset.choose"), 303)


@bp.route("/reset-password/new", methods=["GET", "POST"])
def choose() -> Response | str | tuple[str, int]:
    try:
        opened = OpenedLink.parse(session.get(OPENED_RESET_LINK))
        email = container().check_reset_link().execute(CheckResetLinkCommand(opened))
    except InvalidLink as error:
        session.pop(OPENED_RESET_LINK, None)
        return invalid_link(error, "reset")
    form = NewPasswordForm()
    shown = {"form": form, "email": email}
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("reset_password.html", **shown), status
    command = ResetPasswordCommand(opened, form.password.data or "")
    try:
        result = container().reset_password().execute(command)
    except InvalidLink as error:  # used by another request meanwhile
        session.pop(OPENED_RESET_LINK, None)
        return invalid_link(error, "reset")
    except DomainError as error:
        return render_template("reset_password.html", **shown, error=error.message), status_for(
            error
        )
    if current_user.is_authenticated:
        logout_user()  # every session of the account ended; this browser's too
    session.clear()
    session[KEPT_EMAIL] = result.email
    flash("Your password is set. Log in with the new one.", "success")
    return redirect(url_for("auth.login"), 303)


def invalid_link(error: InvalidLink, kind: str) -> tuple[str, int]:
    return render_template("link_invalid.html", message=error.message, kind=kind), 400
