"""Home, the seed's free and premium pages, the account page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from application.use_cases.access_content import AccessContentCommand, ContentTier
from application.use_cases.get_account import GetAccountCommand
from application.use_cases.list_notes import ListNotesCommand
from domain.errors import SubscriptionRequired
from entrypoints.flask_app.account_page import AccountPage
from entrypoints.flask_app.deps import container
from entrypoints.flask_app.landing_page import LandingPage
from entrypoints.flask_app.pricing_views import choose_url

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    signed_in = current_user.is_authenticated
    reader = current_user.account if signed_in else None
    index = container().list_notes().execute(ListNotesCommand(user=reader))
    page = LandingPage.of(container().catalog(), index)
    return render_template("home.html", page=page, signed_in=signed_in, choose=choose_url)


# /free and /premium take POST only because the seed tutorial's pages post forms there;
# a POST reads the page like a GET and changes nothing.
@bp.route("/free", methods=["GET", "POST"])
def free_content() -> Response:
    """The seed's free page is now the notes, open to visitors too (303: a POST as well)."""
    return redirect(url_for("notes.index"), 303)


@bp.route("/premium", methods=["GET", "POST"])
@login_required
def premium_content() -> str | tuple[str, int]:
    try:
        container().access_content().execute(
            AccessContentCommand(current_user.account, ContentTier.PREMIUM)
        )
    except SubscriptionRequired as error:
        return render_template("subscribe.html", message=error.message), 403
    index = container().list_notes().execute(ListNotesCommand(user=current_user.account))
    paid = [note for note in index.notes if note.readable and not note.is_free]
    return render_template("premium.html", notes=paid)


@bp.get("/account")
@login_required
def account() -> str:
    view = container().get_account().execute(GetAccountCommand(current_user.id))
    return render_template("account.html", page=AccountPage.of(view))
