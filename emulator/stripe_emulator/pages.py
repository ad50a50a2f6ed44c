"""The hosted pages: Checkout (``/checkout/{cs_id}``) and invoices (``/i/{token}``,
``/i/{token}/pdf``); the billing portal's (``/portal/{bps_id}``) are in :mod:`.portal_pages`.

Server-rendered HTML forms, no JavaScript. Form fields: ``email``,
``card_number``, ``card_expiry`` (``MM / YY``) and ``card_cvc``; the expiry and
CVC are checked only when given.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from . import formatting, statuses
from .hosted_forms import CardEntry, NotFound, PageError
from .services import Services

pages = Blueprint("stripe_emulator_pages", __name__)


def services() -> Services:
    return current_app.extensions["stripe_emulator"]  # type: ignore[no-any-return]


@pages.app_context_processor
def subscription_statuses() -> dict[str, frozenset[str]]:
    """The templates test statuses with the sets the billing rules use."""
    return {"ENDED": statuses.ENDED, "OWING": statuses.OWING}


pages.add_app_template_filter(formatting.money, "money")
pages.add_app_template_filter(formatting.interval, "interval")
pages.add_app_template_filter(formatting.date, "date")


def page_error(error: PageError) -> Response:
    html = render_template("message.html", title="Not available", message=error.message)
    return Response(html, status=error.status)


@pages.get("/")
def index() -> str:
    return render_template("index.html")


def card_entry() -> CardEntry:
    form = request.form
    return CardEntry(
        number=form.get("card_number", ""),
        expiry=form.get("card_expiry") or None,
        cvc=form.get("card_cvc") or None,
    )


# -- checkout -------------------------------------------------------------------


def _checkout_page(session_id: str, *, error: str | None = None, status: int = 200) -> Response:
    view = services().checkout.page(session_id)
    session, email = view.session, view.email
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
        lines=view.lines,
        trial_days=view.trial_days,
        card_optional=view.card_optional,
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
        return page_error(error)


@pages.post("/checkout/<session_id>")
def checkout_pay(session_id: str) -> BaseResponse:
    card = card_entry()
    try:
        session = services().checkout.pay(
            session_id,
            email=request.form.get("email"),
            card=card,
            promotion_code=request.form.get("promotion_code"),
        )
    except NotFound as error:
        return page_error(error)
    except PageError as error:
        return _checkout_page(session_id, error=error.message, status=error.status)
    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    return redirect(target, code=303)


# -- invoices -------------------------------------------------------------------


def _invoice_page(token: str, *, error: str | None = None, status: int = 200) -> Response:
    view = services().invoice_pages.view(token)
    message = "Thank you: this invoice is paid." if request.args.get("done") == "paid" else None
    html = render_template(
        "invoice.html", invoice=view.invoice, token=view.token, message=message, error=error
    )
    return Response(html, status=status)


@pages.get("/i/<token>")
def invoice_page(token: str) -> Response:
    try:
        return _invoice_page(token)
    except PageError as error:
        return page_error(error)


@pages.post("/i/<token>")
def invoice_pay(token: str) -> BaseResponse:
    card = card_entry()
    try:
        services().invoice_pages.pay(token, card)
    except NotFound as error:
        return page_error(error)
    except PageError as error:
        return _invoice_page(token, error=error.message, status=error.status)
    target = url_for("stripe_emulator_pages.invoice_page", token=token, done="paid")
    return redirect(target, code=303)


@pages.get("/i/<token>/pdf")
def invoice_pdf(token: str) -> Response:
    try:
        name, content = services().invoice_pages.pdf(token)
    except PageError as error:
        return page_error(error)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
