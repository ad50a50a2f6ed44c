"""Changing plan from the account page: /account/plan/<lookup_key> previews a change
(GET) and confirms it (POST); /account/keep-plan undoes a pending downgrade.

A refusal or a declined card is a page with the reason (4xx), never a 500."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from application.use_cases.change_plan import ChangePlanCommand
from application.use_cases.keep_current_plan import KeepCurrentPlanCommand
from application.use_cases.preview_plan_change import PreviewPlanChangeCommand
from domain.errors import PaymentDeclined, PlanChangeExpired, PlanChangeRefused, UnknownPlan
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import status_for
from entrypoints.flask_app.forms import submitted_fields
from entrypoints.flask_app.plan_change_page import PlanChangePage, done_message

bp = Blueprint("plans", __name__)

MAX_TIMESTAMP = 10**11  # far beyond any period end: anything longer is not a moment


@bp.get("/account/plan/<lookup_key>")
@login_required
def preview(lookup_key: str) -> str | tuple[str, int]:
    try:
        quote = (
            container()
            .preview_plan_change()
            .execute(PreviewPlanChangeCommand(current_user.id, lookup_key))
        )
    except UnknownPlan:
        abort(404)
    except PlanChangeRefused as error:
        return _refused(error)
    return render_template("plan_change.html", page=PlanChangePage.of(quote))


@bp.post("/account/plan/<lookup_key>")
@login_required
def confirm(lookup_key: str) -> Response | str | tuple[str, int]:
    command = ChangePlanCommand(current_user.id, lookup_key, _moment())
    try:
        result = container().change_plan().execute(command)
    except UnknownPlan:
        abort(404)
    except PlanChangeExpired as error:
        flash(error.message, "info")
        return redirect(url_for("plans.preview", lookup_key=lookup_key), 303)
    except (PlanChangeRefused, PaymentDeclined) as error:
        return _refused(error)
    flash(done_message(result), "info")
    return redirect(url_for("main.account"), 303)


@bp.post("/account/keep-plan")
@login_required
def keep() -> Response:
    container().keep_current_plan().execute(KeepCurrentPlanCommand(current_user.id))
    flash("Your plan stays as it is.", "info")
    return redirect(url_for("main.account"), 303)


def _moment() -> datetime | None:
    """The preview's proration date the form sent back (None when absent or malformed:
    the change is then priced again)."""
    raw = submitted_fields().get("proration_date", "")
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_TIMESTAMP:
        return None
    return datetime.fromtimestamp(int(raw), UTC)


def _refused(error: PlanChangeRefused | PaymentDeclined) -> tuple[str, int]:
    declined = isinstance(error, PaymentDeclined)
    return (
        render_template("plan_change_refused.html", message=error.message, declined=declined),
        status_for(error),
    )
