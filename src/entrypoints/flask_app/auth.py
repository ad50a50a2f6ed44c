"""Register, log in, log out."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
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


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    form = RegisterForm()
    # Where to go after the log-in that follows (a price chosen on /pricing); a path only.
    next_url = safe_next(request.args.get("next"), "") or None
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("register.html", form=form, next=next_url), status
    try:
        container().register_user().execute(
            RegisterUserCommand(form.email.data or "", form.password.data or "")
        )
    except DomainError as error:
        return render_template(
            "register.html", form=form, next=next_url, error=error.message
        ), status_for(error)
    flash("Registration successful. Please log in.", "success")
    return redirect(url_for("auth.login", next=next_url), 303)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    next_url = safe_next(request.args.get("next"), url_for("main.home"))
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("login.html", form=form, next=next_url), status
    try:
        user = (
            container()
            .authenticate_user()
            .execute(AuthenticateUserCommand(form.email.data or "", form.password.data or ""))
        )
    except DomainError as error:
        return render_template(
            "login.html", form=form, next=next_url, error=error.message
        ), status_for(error)
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
