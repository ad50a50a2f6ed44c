"""Home, free and premium content, the account page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from application.use_cases.access_content import AccessContentCommand, ContentTier
from application.use_cases.get_account import GetAccountCommand
from domain.errors import SubscriptionRequired
from entrypoints.flask_app.account_page import AccountPage
from entrypoints.flask_app.deps import container

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template("home.html")


# /free and /premium take POST only because the seed tutorial's pages post forms there;
# a POST reads the page like a GET and changes nothing.
@bp.route("/free", methods=["GET", "POST"])
@login_required
def free_content() -> str:
    container().access_content().execute(
        AccessContentCommand(current_user.account, ContentTier.FREE)
    )
    return render_template("free.html")


@bp.route("/premium", methods=["GET", "POST"])
@login_required
def premium_content() -> str | tuple[str, int]:
    try:
        container().access_content().execute(
            AccessContentCommand(current_user.account, ContentTier.PREMIUM)
        )
    except SubscriptionRequired as error:
        return render_template("subscribe.html", message=error.message), 403
    return render_template("premium.html")


@bp.get("/account")
@login_required
def account() -> str:
    view = container().get_account().execute(GetAccountCommand(current_user.id))
    return render_template("account.html", page=AccountPage.of(view))
