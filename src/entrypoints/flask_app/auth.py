"""Register, log in, log out."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from application.use_cases.authenticate_user import AuthenticateUserCommand
from application.use_cases.log_out import LogOutCommand
from application.use_cases.register_user import RegisterUserCommand
from domain.errors import DomainError
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import status_for
from entrypoints.flask_app.forms import LoginForm, RegisterForm
from entrypoints.flask_app.redirects import safe_next
from entrypoints.flask_app.session_user import SessionUser

bp = Blueprint("auth", __name__)

# Why a person was sent to log in (or register), by the page they were going to: "Log in
# to read this note." A page not named here needs no reason.
REASONS = {
    "notes.read": "read this note",
    "notes.index": "see which notes your plan opens",
    "main.premium_content": "read premium content",
    "main.account": "see your account",
    "pricing.confirm": "continue to payment",
    "billing.success": "see your subscription",
}
# The email just registered, offered again on the log-in form that follows.
REGISTERED_EMAIL = "registered_email"


def reason_for(next_url: str | None) -> str | None:
    """What the `next` page (a path on this site, checked by safe_next) is for."""
    if not next_url:
        return None
    path = next_url.split("?", 1)[0]
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # no such page (404, 405, a redirect to a slash)
        return None
    return REASONS.get(str(endpoint))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    form = RegisterForm()
    # Where to go after the log-in that follows (a price chosen on /pricing); a path only.
    next_url = safe_next(request.args.get("next"), "") or None
    shown = {"form": form, "next": next_url, "reason": reason_for(next_url)}
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("register.html", **shown), status
    try:
        container().register_user().execute(
            RegisterUserCommand(form.email.data or "", form.password.data or "")
        )
    except DomainError as error:
        return render_template("register.html", **shown, error=error.message), status_for(error)
    session[REGISTERED_EMAIL] = form.email.data
    flash("Registration successful. Please log in.", "success")
    return redirect(url_for("auth.login", next=next_url), 303)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    next_url = safe_next(request.args.get("next"), url_for("main.home"))
    if not form.is_submitted() and REGISTERED_EMAIL in session:
        form.email.data = session.pop(REGISTERED_EMAIL)
    shown = {"form": form, "next": next_url, "reason": reason_for(next_url)}
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("login.html", **shown), status
    try:
        user = (
            container()
            .authenticate_user()
            .execute(AuthenticateUserCommand(form.email.data or "", form.password.data or ""))
        )
    except DomainError as error:
        return render_template("login.html", **shown, error=error.message), status_for(error)
    session.clear()  # nothing from before the log-in survives it (session fixation)
    login_user(SessionUser(user.id, user.email.value, user.session_generation, user))
    session.permanent = True
    return redirect(next_url, 303)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        container().log_out().execute(LogOutCommand(current_user.id))
        logout_user()
    session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("main.home"), 303)
