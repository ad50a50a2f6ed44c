"""The hosted pages: Checkout (``/checkout/{cs_id}``) and the billing portal (``/portal/{bps_id}``).

Server-rendered HTML forms, no JavaScript. Form fields: ``email``,
``card_number``, ``card_expiry`` (``MM / YY``) and ``card_cvc``; the expiry and
CVC are checked only when given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from . import statuses
from .hosted_forms import CardEntry, NotFound, PageError
from .services import Services

pages = Blueprint("stripe_emulator_pages", __name__)

_ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                           "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})  # fmt: skip
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}

PORTAL_MESSAGES = {
    "scheduled": "Your subscription will be canceled at the end of the current period.",
    "resumed": "Your subscription will continue.",
    "canceled": "Your subscription has been canceled.",
    "card": "Your card has been updated.",
}


def _services() -> Services:
    return current_app.extensions["stripe_emulator"]  # type: ignore[no-any-return]


@pages.app_context_processor
def subscription_statuses() -> dict[str, frozenset[str]]:
    """The templates test statuses with the sets the billing rules use."""
    return {"ENDED": statuses.ENDED, "OWING": statuses.OWING}


@pages.app_template_filter("money")
def money(amount: int, currency: str) -> str:
    """``2000, "usd"`` -> ``$20.00``."""
    currency = currency.lower()
    value = f"{amount:,}" if currency in _ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


@pages.app_template_filter("interval")
def interval(recurring: dict[str, object] | None) -> str:
    """``{"interval": "month", "interval_count": 3}`` -> ``every 3 months``."""
    if not recurring:
        return ""
    count = recurring.get("interval_count") or 1
    unit = recurring.get("interval")
    return f"per {unit}" if count == 1 else f"every {count} {unit}s"


@pages.app_template_filter("date")
def date(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%B %-d, %Y")


def _page_error(error: PageError) -> Response:
    html = render_template("message.html", title="Not available", message=error.message)
    return Response(html, status=error.status)


@pages.get("/")
def index() -> str:
    return render_template("index.html")


# -- checkout -------------------------------------------------------------------


def _checkout_page(session_id: str, *, error: str | None = None, status: int = 200) -> Response:
    session, lines, email = _services().checkout.page(session_id)
    if session["status"] == "complete":
        html = render_template(
            "message.html",
            title="Already paid",
            message="This checkout session is already complete.",
            link=session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]),
            link_text="Continue",
        )
        return Response(html, status=200 if error is None else 409)
    if session["status"] == "expired":
        html = render_template(
            "message.html",
            title="Session expired",
            message="This checkout session has expired.",
            link=session["cancel_url"],
            link_text="Back",
        )
        return Response(html, status=200 if error is None else 410)
    html = render_template(
        "checkout.html",
        session=session,
        lines=lines,
        email=request.form.get("email", email) if request.method == "POST" else email,
        email_locked=bool(session["customer"] and email),
        error=error,
    )
    return Response(html, status=status)


@pages.get("/checkout/<session_id>")
def checkout_page(session_id: str) -> Response:
    try:
        return _checkout_page(session_id)
    except PageError as error:
        return _page_error(error)


@pages.post("/checkout/<session_id>")
def checkout_pay(session_id: str) -> BaseResponse:
    form = request.form
    card = CardEntry(
        number=form.get("card_number", ""),
        expiry=form.get("card_expiry") or None,
        cvc=form.get("card_cvc") or None,
    )
    try:
        session = _services().checkout.pay(session_id, email=form.get("email"), card=card)
    except NotFound as error:
        return _page_error(error)
    except PageError as error:
        return _checkout_page(session_id, error=error.message, status=error.status)
    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    return redirect(target, code=303)


# -- billing portal -------------------------------------------------------------


def _portal_page(session_id: str, *, error: str | None = None, status: int = 200) -> Response:
    view = _services().portal.page(session_id)
    html = render_template(
        "portal.html",
        session=view.session,
        customer=view.customer,
        subscriptions=view.subscriptions,
        card_last4=view.card_last4,
        product_names=view.product_names,
        message=PORTAL_MESSAGES.get(request.args.get("done", "")),
        error=error,
    )
    return Response(html, status=status)


@pages.get("/portal/<session_id>")
def portal_page(session_id: str) -> Response:
    try:
        return _portal_page(session_id)
    except PageError as error:
        return _page_error(error)


def _portal_action(session_id: str, done: str, action: Callable[[], None]) -> BaseResponse:
    try:
        action()
    except NotFound as error:
        return _page_error(error)
    except PageError as error:
        try:
            return _portal_page(session_id, error=error.message, status=error.status)
        except PageError as missing:
            return _page_error(missing)
    target = url_for("stripe_emulator_pages.portal_page", session_id=session_id, done=done)
    return redirect(target, code=303)


@pages.post("/portal/<session_id>/subscriptions/<subscription_id>/cancel-at-period-end")
def portal_cancel_at_period_end(session_id: str, subscription_id: str) -> BaseResponse:
    portal = _services().portal
    return _portal_action(
        session_id,
        "scheduled",
        lambda: portal.cancel_at_period_end(session_id, subscription_id),
    )


@pages.post("/portal/<session_id>/subscriptions/<subscription_id>/resume")
def portal_resume(session_id: str, subscription_id: str) -> BaseResponse:
    portal = _services().portal
    return _portal_action(session_id, "resumed", lambda: portal.resume(session_id, subscription_id))


@pages.post("/portal/<session_id>/subscriptions/<subscription_id>/cancel")
def portal_cancel_now(session_id: str, subscription_id: str) -> BaseResponse:
    portal = _services().portal
    return _portal_action(
        session_id, "canceled", lambda: portal.cancel_now(session_id, subscription_id)
    )


@pages.post("/portal/<session_id>/card")
def portal_update_card(session_id: str) -> BaseResponse:
    form = request.form
    card = CardEntry(
        number=form.get("card_number", ""),
        expiry=form.get("card_expiry") or None,
        cvc=form.get("card_cvc") or None,
    )
    portal = _services().portal
    return _portal_action(session_id, "card", lambda: portal.update_card(session_id, card))
