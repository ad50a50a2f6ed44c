"""The billing portal's pages: ``/portal/{bps_id}`` and its actions.

Server-rendered HTML forms, no JavaScript. Cancel, resume and card buttons POST and
come back to the portal (303); "Update plan" links to a confirmation page
(``GET .../update?price=``) that shows what the switch charges or when it applies, whose
button POSTs it (``price``, and the quote's ``proration_date``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .hosted_forms import NotFound, PageError
from .pages import card_entry, page_error, services

portal_pages = Blueprint("stripe_emulator_portal", __name__)

PORTAL_MESSAGES = {
    "scheduled": "Your subscription will be canceled at the end of the current period.",
    "resumed": "Your subscription will continue.",
    "canceled": "Your subscription has been canceled.",
    "card": "Your card has been updated.",
    "now": "Your plan has been updated.",
    "trial": "Your plan has been updated; your trial continues.",
    "end_trial": "Your plan has been updated and your trial has ended.",
    "period_end": "Your plan will change at the end of the current period.",
}


def _portal_page(session_id: str, *, error: str | None = None, status: int = 200) -> Response:
    view = services().portal.page(session_id)
    html = render_template(
        "portal.html",
        view=view,
        session=view.session,
        customer=view.customer,
        message=PORTAL_MESSAGES.get(request.args.get("done", "")),
        error=error,
    )
    return Response(html, status=status)


@portal_pages.get("/portal/<session_id>")
def portal_page(session_id: str) -> Response:
    try:
        return _portal_page(session_id)
    except PageError as error:
        return page_error(error)


def _portal_error(session_id: str, error: PageError) -> Response:
    """The portal with the error, or the error alone when there is no portal to show."""
    if isinstance(error, NotFound):
        return page_error(error)
    try:
        return _portal_page(session_id, error=error.message, status=error.status)
    except PageError as missing:
        return page_error(missing)


def _portal_action(session_id: str, done: Callable[[], str]) -> BaseResponse:
    """Run an action, then back to the portal with its message (``done``)."""
    try:
        message = done()
    except PageError as error:
        return _portal_error(session_id, error)
    target = url_for("stripe_emulator_portal.portal_page", session_id=session_id, done=message)
    return redirect(target, code=303)


def _then(action: Callable[[], object], message: str) -> Callable[[], str]:
    def run() -> str:
        action()
        return message

    return run


@portal_pages.post("/portal/<session_id>/subscriptions/<subscription_id>/cancel-at-period-end")
def portal_cancel_at_period_end(session_id: str, subscription_id: str) -> BaseResponse:
    portal = services().portal
    action = _then(lambda: portal.cancel_at_period_end(session_id, subscription_id), "scheduled")
    return _portal_action(session_id, action)


@portal_pages.post("/portal/<session_id>/subscriptions/<subscription_id>/resume")
def portal_resume(session_id: str, subscription_id: str) -> BaseResponse:
    portal = services().portal
    action = _then(lambda: portal.resume(session_id, subscription_id), "resumed")
    return _portal_action(session_id, action)


@portal_pages.post("/portal/<session_id>/subscriptions/<subscription_id>/cancel")
def portal_cancel_now(session_id: str, subscription_id: str) -> BaseResponse:
    portal = services().portal
    action = _then(lambda: portal.cancel_now(session_id, subscription_id), "canceled")
    return _portal_action(session_id, action)


@portal_pages.post("/portal/<session_id>/card")
def portal_update_card(session_id: str) -> BaseResponse:
    card = card_entry()
    portal = services().portal
    return _portal_action(session_id, _then(lambda: portal.update_card(session_id, card), "card"))


# -- plan switches ----------------------------------------------------------------


def _switch_page(
    session_id: str, subscription_id: str, price_id: str, *, error: str | None, status: int
) -> Response:
    portal = services().portal
    view = portal.page(session_id)
    quote = portal.quote_switch(session_id, subscription_id, price_id)
    html = render_template(
        "portal_switch.html",
        session=view.session,
        subscription_id=subscription_id,
        quote=quote,
        error=error,
    )
    return Response(html, status=status)


@portal_pages.get("/portal/<session_id>/subscriptions/<subscription_id>/update")
def portal_switch_page(session_id: str, subscription_id: str) -> Response:
    price_id = request.args.get("price", "")
    try:
        return _switch_page(session_id, subscription_id, price_id, error=None, status=200)
    except PageError as error:
        return _portal_error(session_id, error)


@portal_pages.post("/portal/<session_id>/subscriptions/<subscription_id>/update")
def portal_switch(session_id: str, subscription_id: str) -> BaseResponse:
    price_id = request.form.get("price", "")
    date = request.form.get("proration_date", "")
    try:
        if not date.isdigit() or len(date) > 12:
            raise PageError("This offer has expired: choose the plan again.", 400)
        timing = services().portal.switch(session_id, subscription_id, price_id, int(date))
    except PageError as error:
        if error.status != 402:
            return _portal_error(session_id, error)
        try:  # declined: the confirmation again, with the reason; nothing changed
            return _switch_page(
                session_id, subscription_id, price_id, error=error.message, status=402
            )
        except PageError as other:
            return _portal_error(session_id, other)
    target = url_for("stripe_emulator_portal.portal_page", session_id=session_id, done=timing)
    return redirect(target, code=303)
