"""Checkout, its success and cancel pages, the billing portal."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from application.use_cases.confirm_checkout import ConfirmCheckoutCommand
from application.use_cases.open_billing_portal import OpenBillingPortalCommand
from application.use_cases.start_subscription import StartSubscriptionCommand
from domain.errors import AlreadySubscribed, EmailNotVerified, NoBillingAccount, UnknownPlan
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.errors import status_for
from entrypoints.flask_app.forms import submitted_fields

bp = Blueprint("billing", __name__)

CHECKOUT_SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _external(endpoint: str) -> str:
    """An absolute URL on this site: BASE_URL when configured, else the request's host."""
    base = current_app.config.get("BASE_URL") or request.host_url
    return base.rstrip("/") + url_for(endpoint)


@bp.post("/create-checkout-session")
@login_required
def create_checkout_session() -> Response | tuple[str, int]:
    """Checkout for the price chosen (`price`: its lookup key; none: the only one)."""
    clicked_at = datetime.now(UTC)
    # Read as every form is (form, multipart or a JSON object of text; anything else is a
    # 400 with the reason, raised by submitted_fields).
    lookup_key = submitted_fields().get("price") or None
    try:
        checkout = (
            container()
            .start_subscription()
            .execute(
                StartSubscriptionCommand(
                    user_id=current_user.id,
                    success_url=f"{_external('billing.success')}?session_id="
                    + CHECKOUT_SESSION_PLACEHOLDER,
                    cancel_url=_external("billing.cancel"),
                    lookup_key=lookup_key,
                    requested_at=clicked_at,
                )
            )
        )
    except AlreadySubscribed as error:
        flash(error.message, "info")
        return _to_portal()
    except UnknownPlan as error:
        flash(error.message, "info")
        return redirect(url_for("pricing.show"), 303)
    except EmailNotVerified as error:
        return verify_first(error)
    return redirect(checkout.url, 303)


def verify_first(error: EmailNotVerified) -> tuple[str, int]:
    """The page for a payment refused until the address is verified: why, and a way to
    get a new link."""
    return render_template("verify_required.html", message=error.message), status_for(error)


@bp.get("/success")
@login_required
def success() -> str | tuple[str, int]:
    session_id = request.args.get("session_id", "")
    if not session_id or len(session_id) > 255 or not session_id.isprintable():
        message = "This page needs the checkout's session id. Go to your account instead."
        return render_template("error.html", message=message, status=400), 400
    result = (
        container().confirm_checkout().execute(ConfirmCheckoutCommand(current_user.id, session_id))
    )
    return render_template("success.html", paid=result.paid, premium=result.premium)


@bp.get("/cancel")
def cancel() -> str:
    return render_template("cancel.html")


@bp.route("/billing-portal", methods=["GET", "POST"])
@login_required
def billing_portal() -> Response:
    """The billing portal (the account page's button posts here; a GET is the link in
    a payment-failed email, after log-in). Opening it changes nothing."""
    return _to_portal()


def _to_portal() -> Response:
    portal = container().open_billing_portal()
    try:
        url = portal.execute(OpenBillingPortalCommand(current_user.id, _external("main.account")))
    except NoBillingAccount:
        flash("You have no subscription yet. Subscribe to start one.", "info")
        return redirect(url_for("main.account"), 303)
    return redirect(url, 303)
