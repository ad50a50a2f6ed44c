"""Cancelling at the period's end and resuming, from the account page: GET
/account/cancel asks to confirm, POST /account/cancel cancels, POST /account/resume
undoes it. A refusal (nothing to cancel, an ended subscription) is a page with the
reason, by the error table."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from application.use_cases.cancel_subscription import CancelSubscriptionCommand
from application.use_cases.get_account import GetAccountCommand
from application.use_cases.resume_subscription import ResumeSubscriptionCommand
from entrypoints.flask_app.cancel_page import CancelPage, canceled_message, resumed_message
from entrypoints.flask_app.deps import container

bp = Blueprint("cancellation", __name__)


@bp.get("/account/cancel")
@login_required
def confirm() -> Response | str:
    view = container().get_account().execute(GetAccountCommand(current_user.id))
    if not view.can_cancel:
        message = (
            "Your subscription is already set to cancel."
            if view.can_resume
            else "You have no subscription to cancel."
        )
        flash(message, "info")
        return redirect(url_for("main.account"), 303)
    return render_template("cancel_confirm.html", page=CancelPage.of(view))


@bp.post("/account/cancel")
@login_required
def cancel() -> Response:
    command = CancelSubscriptionCommand(current_user.id)
    subscription = container().cancel_subscription().execute(command)
    flash(canceled_message(subscription), "info")
    return redirect(url_for("main.account"), 303)


@bp.post("/account/resume")
@login_required
def resume() -> Response:
    command = ResumeSubscriptionCommand(current_user.id)
    subscription = container().resume_subscription().execute(command)
    flash(resumed_message(subscription), "success")
    return redirect(url_for("main.account"), 303)
