"""/pricing: the plans and their prices; /pricing/<lookup_key>: confirm one, then Checkout.

A signed-out visitor's choice goes through register and log-in (`next`) to the
confirmation page, whose button posts to Checkout (a redirect cannot post a form)."""

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user, login_required

from entrypoints.flask_app.deps import container
from entrypoints.flask_app.pricing_page import PricingPage, chosen

bp = Blueprint("pricing", __name__)


@bp.get("/pricing")
def show() -> str:
    page = PricingPage.of(container().catalog())
    return render_template(
        "pricing.html", page=page, signed_in=current_user.is_authenticated, choose=choose_url
    )


@bp.get("/pricing/<lookup_key>")
@login_required
def confirm(lookup_key: str) -> str:
    found = chosen(container().catalog(), lookup_key)
    if found is None:
        abort(404)
    card, option = found
    return render_template("pricing_confirm.html", card=card, option=option)


def choose_url(lookup_key: str) -> str:
    """Where a signed-out visitor's button leads: register, then this price."""
    return url_for("auth.register", next=url_for("pricing.confirm", lookup_key=lookup_key))
