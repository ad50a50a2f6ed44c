"""The one table that maps domain errors to HTTP status codes.

Views for forms show the error's message on the form again with this status; every
other domain error reaching Flask is rendered by `handle_domain_error` as a page for a
person. Nothing here shows a stack trace or a secret.
"""

import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

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
    errors.AlreadySubscribed: 409,
    errors.NoBillingAccount: 409,
    errors.CheckoutNotFound: 404,
    errors.CheckoutNotYours: 403,
    errors.InvalidWebhook: 400,
    errors.PaymentDeclined: 402,
    errors.PaymentProviderError: 503,
}


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def handle_domain_error(error: errors.DomainError) -> tuple[str, int] | Response:
    status = status_for(error)
    if request.path == "/webhook":
        return Response(error.message, status, mimetype="text/plain")
    return render_template("error.html", message=error.message, status=status), status


def handle_http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    if error.code is None or request.path == "/webhook":
        return error  # machines get werkzeug's short text answer
    messages = {
        400: "The request was not understood. Please go back and try again.",
        404: "There is no page here.",
        405: "That page does not take this kind of request.",
        413: "What you sent is too large.",
        429: "Too many attempts. Please wait a minute and try again.",
    }
    if isinstance(error, UnreadableSubmission):
        message = error.description  # written for people: what was wrong with the body
    else:
        message = messages.get(error.code, error.description or "That did not work.")
    return render_template("error.html", message=message, status=error.code), error.code


def handle_unexpected(error: Exception) -> tuple[str, int] | Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    if request.path == "/webhook":
        return Response("processing failed; retry later", 500, mimetype="text/plain")
    message = "Something went wrong on our side. Please try again."
    return render_template("error.html", message=message, status=500), 500


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(errors.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
