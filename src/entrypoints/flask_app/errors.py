"""The one table that maps errors to HTTP status codes and messages, and its two
presentations.

`answer_for` decides the status and the message for any error reaching Flask: domain
errors by `STATUS_OF`, an unreadable form body by its reason, HTTP errors by their code,
an unreachable database as 503 (retry later), anything else as 500. People get
`page_answer`, a page; machines (the webhook, whose blueprint registers
`machine_answer`) get a short text/plain body. Views for forms show a domain error's
message on the form again, with `status_for`. Nothing here shows a stack trace or a
secret.

A page for a 5xx leaves out the signed-in nav: it needs the user, whose loader needs
the database, which may be what failed. Rendering it touches no database.
"""

import logging
from dataclasses import dataclass

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from adapters.sqlalchemy.availability import is_database_unavailable
from domain import errors
from entrypoints.flask_app.forms import UnreadableSubmission

log = logging.getLogger(__name__)

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.InvalidEmail: 400,
    errors.WeakPassword: 400,
    errors.EmailAlreadyRegistered: 409,
    errors.InvalidCredentials: 401,
    errors.UserNotFound: 404,
    errors.SubscriptionRequired: 403,
    errors.NoteNotFound: 404,
    errors.AlreadySubscribed: 409,
    errors.UnknownPlan: 400,
    errors.PlanChangeRefused: 409,
    errors.PlanChangeExpired: 409,
    errors.NoBillingAccount: 409,
    errors.CancellationRefused: 409,
    errors.CheckoutNotFound: 404,
    errors.CheckoutNotYours: 403,
    errors.InvalidWebhook: 400,
    errors.PaymentDeclined: 402,
    errors.PaymentProviderError: 503,
}

# For people, by status, when the error carries no message meant for them.
PAGE_MESSAGES: dict[int, str] = {
    400: "The request was not understood. Please go back and try again.",
    404: "There is no page here.",
    405: "That page does not take this kind of request.",
    413: "What you sent is too large.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. Please try again.",
    503: "The service is briefly unavailable. Please try again in a minute.",
}


@dataclass(frozen=True)
class ErrorAnswer:
    status: int
    message: str  # for a person
    text: str  # for a machine: short, plain


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def answer_for(error: Exception) -> ErrorAnswer:
    if isinstance(error, errors.DomainError):
        return ErrorAnswer(status_for(error), error.message, error.message)
    if isinstance(error, UnreadableSubmission):
        reason = error.description or PAGE_MESSAGES[400]  # written for people
        return ErrorAnswer(400, reason, reason)
    if isinstance(error, HTTPException):
        code = error.code or 500
        message = PAGE_MESSAGES.get(code, error.description or "That did not work.")
        return ErrorAnswer(code, message, f"{code} {error.name}")
    if is_database_unavailable(error):
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        log.error("database unavailable on %s %s: %s", request.method, request.path, reason)
        return ErrorAnswer(503, PAGE_MESSAGES[503], "database unavailable; retry later")
    log.exception("unhandled error on %s %s", request.method, request.path)
    return ErrorAnswer(500, PAGE_MESSAGES[500], "processing failed; retry later")


def page_answer(error: Exception) -> tuple[str, int] | HTTPException:
    if isinstance(error, HTTPException) and error.code is None:
        return error
    answer = answer_for(error)
    page = render_template(
        "error.html", message=answer.message, status=answer.status, bare=answer.status >= 500
    )
    return page, answer.status


def machine_answer(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException) and error.code is None:
        return error
    answer = answer_for(error)
    return Response(answer.text, answer.status, mimetype="text/plain")


def register_error_handlers(app: Flask) -> None:
    # One handler for every exception; a blueprint serving machines registers
    # `machine_answer` the same way, and Flask prefers the blueprint's.
    app.register_error_handler(Exception, page_answer)
