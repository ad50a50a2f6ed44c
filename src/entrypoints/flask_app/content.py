"""Home, free and premium content, the account page."""

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from application.use_cases.access_content import (
    AccessContent,
    AccessContentCommand,
    ContentTier,
)
from application.use_cases.get_account import GetAccount, GetAccountCommand
from domain.errors import SubscriptionRequired
from entrypoints.container import Container

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template("home.html")


@bp.route("/free", methods=["GET", "POST"])
@login_required
@inject
def free_content(access: AccessContent = Provide[Container.access_content]) -> str:
    access.execute(AccessContentCommand(current_user.id, ContentTier.FREE))
    return render_template("free.html")


@bp.route("/premium", methods=["GET", "POST"])
@login_required
@inject
def premium_content(
    access: AccessContent = Provide[Container.access_content],
) -> str | tuple[str, int]:
    try:
        access.execute(AccessContentCommand(current_user.id, ContentTier.PREMIUM))
    except SubscriptionRequired as error:
        return render_template("subscribe.html", message=error.message), 403
    return render_template("premium.html")


@bp.get("/account")
@login_required
@inject
def account(get_account: GetAccount = Provide[Container.get_account]) -> str:
    view = get_account.execute(GetAccountCommand(current_user.id))
    return render_template("account.html", account=view)
