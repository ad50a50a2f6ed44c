"""Proving an address: the emailed /verify-email/<token> (sent at registration, on
request, and to the new address of a change of email), and "send me a new link"."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from application.use_cases.send_verification_email import SendVerificationEmailCommand
from application.use_cases.verify_email import Verified, VerifyEmailCommand
from domain.errors import EmailAlreadyRegistered, InvalidLink
from entrypoints.flask_app.auth import KEPT_EMAIL
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.password_reset_views import invalid_link
from entrypoints.flask_app.redirects import safe_next

bp = Blueprint("verify", __name__)


@bp.get("/verify-email/<token>")
def open_link(token: str) -> Response | tuple[str, int]:
    try:
        result = container().verify_email().execute(VerifyEmailCommand(token))
    except InvalidLink as error:
        return invalid_link(error, "verify")
    except EmailAlreadyRegistered as error:
        return invalid_link(InvalidLink(error.message), "verify")[0], 409
    if result.what is Verified.NEW_ADDRESS:
        flash(f"Your email address is now {result.email}.", "success")
    else:
        flash(f"Thank you: {result.email} is verified.", "success")
    if current_user.is_authenticated and current_user.id == result.user_id:
        target = "settings.show" if result.what is Verified.NEW_ADDRESS else "main.account"
        return redirect(url_for(target), 303)
    session[KEPT_EMAIL] = result.email
    return redirect(url_for("auth.login"), 303)


@bp.post("/verify-email/resend")
@login_required
def resend() -> Response:
    sent = (
        container().send_verification_email().execute(SendVerificationEmailCommand(current_user.id))
    )
    if sent:
        flash(f"We sent a new link to {current_user.email}. Only the newest link works.", "info")
    else:
        flash("Your email address is verified already.", "info")
    # Back to the page the banner was on (this site's, a path only).
    referrer = urlsplit(request.referrer or "")
    same_site = referrer.netloc == request.host
    return redirect(safe_next(referrer.path if same_site else None, url_for("main.account")), 303)
