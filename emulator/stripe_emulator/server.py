"""The Flask application: authentication, idempotency keys, errors, and the blueprints.

``/v1/...`` is Stripe's API (:mod:`.api`), ``/checkout/...`` and ``/portal/...``
are the hosted pages (:mod:`.pages`, :mod:`.portal_pages`), ``/_emulator/...`` the control endpoints
for tests (:mod:`.control`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from .api import api, json_response
from .control import control
from .errors import NOT_EMULATED, StripeError
from .forms import Params, decode_form
from .ids import new_id
from .objects import API_VERSION
from .pages import pages
from .portal_pages import portal_pages
from .services import Services
from .store import RequestContext, current_request

log = logging.getLogger(__name__)

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details."
)
_MAX_IDEMPOTENCY_KEY = 255
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_KEY_PREFIX = re.compile(r"^(?:sk|pk|rk)_(?:test|live)_")
_TEST_KEY = re.compile(r"^(?:sk|rk)_test_\S+$")
"""Secret and restricted test-mode keys, with something after the prefix (Stripe's own
keys carry about a hundred characters there). Restricted keys get every permission."""


def mask_key(key: str) -> str:
    """An API key as Stripe shows it in errors: ``sk_test_****abcd``, never in full."""
    match = _KEY_PREFIX.match(key)
    prefix = match.group(0) if match else ""
    rest = key[len(prefix) :]
    return f"{prefix}****{rest[-4:] if len(rest) >= 8 else ''}"


def _api_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return None


def _authenticate() -> str:
    key = _api_key()
    if not key:
        raise StripeError(_NO_KEY, status=401)
    if not _TEST_KEY.match(key):
        raise StripeError(f"Invalid API Key provided: {mask_key(key)}", status=401)
    return key


def _check_headers() -> None:
    """Refuse what the emulator would otherwise answer wrongly: another API version's
    shapes, or a Connect account's data."""
    version = request.headers.get("Stripe-Version")
    if version and version != API_VERSION:
        raise StripeError(
            f"The Stripe emulator answers in API version {API_VERSION} only, not {version}: "
            "it does not emulate other versions' shapes.",
            code=NOT_EMULATED,
        )
    if request.headers.get("Stripe-Account"):
        raise StripeError(
            "The Stripe emulator does not emulate Connect accounts (Stripe-Account header).",
            code=NOT_EMULATED,
        )


def create_app(services: Services) -> Flask:
    """The emulator's WSGI application over ``services``."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions["stripe_emulator"] = services
    idempotency = services.idempotency

    @app.before_request
    def prepare() -> Response | None:
        g.request_id = new_id("req_")
        if not request.path.startswith("/v1/"):
            return None
        key = _authenticate()
        _check_headers()
        pairs = list(request.args.items(multi=True))
        if request.method == "POST":
            if request.content_length and request.mimetype not in _FORM_TYPES:
                raise StripeError(
                    "Invalid request: send parameters form-encoded "
                    f"(application/x-www-form-urlencoded), not {request.mimetype or 'raw'}."
                )
            pairs += list(request.form.items(multi=True))
        g.params = Params(decode_form(pairs))
        g.params.strings("expand")  # refuse a malformed expand before changing anything
        idempotency_key = request.headers.get("Idempotency-Key")
        g.context_token = current_request.set(RequestContext(g.request_id, idempotency_key))
        if request.method != "POST" or not idempotency_key:
            return None
        if len(idempotency_key) > _MAX_IDEMPOTENCY_KEY:
            raise StripeError(
                f"Idempotency-Key must be at most {_MAX_IDEMPOTENCY_KEY} characters long."
            )
        scope = (hashlib.sha256(key.encode()).hexdigest(), idempotency_key)
        fingerprint = json.dumps([request.method, request.path, g.params.raw()], sort_keys=True)
        replay = idempotency.begin(scope, fingerprint)
        if replay is None:
            g.idempotency = (scope, fingerprint)
        return replay

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["Request-Id"] = g.get("request_id", "")
        # Stripe's Date is Stripe's time: here, the emulator's default clock, moved by
        # time travel like every event's `created` (clients stamp fetches with it).
        response.headers["Date"] = http_date(services.store.now())
        if request.path.startswith("/v1/"):
            response.headers["Stripe-Version"] = API_VERSION
            if request.headers.get("Idempotency-Key"):
                response.headers["Idempotency-Key"] = request.headers["Idempotency-Key"]
        pending = g.get("idempotency")
        if pending is not None:
            idempotency.finish(pending[0], pending[1], response)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            services.persist()  # after the idempotency cache took the answer
        return response

    @app.teardown_request
    def release(_error: BaseException | None) -> None:
        pending = g.get("idempotency")
        if pending is not None:
            idempotency.release(pending[0])
        token = g.get("context_token")
        if token is not None:
            current_request.reset(token)

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if request.path.startswith("/v1/") or request.path == "/v1":
            message = (
                f"Unrecognized request URL ({request.method}: {request.path}). "
                "Please see https://stripe.com/docs."
                if status in (404, 405)
                else error.description or "Invalid request."
            )
            return json_response(StripeError(message, status=status).body(), status)
        response = error.get_response()
        return Response(response.get_data(), status=status, mimetype=response.mimetype)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        body = StripeError(
            "An unexpected error occurred in the Stripe emulator.",
            status=500,
            error_type="api_error",
        ).body()
        return json_response(body, 500)

    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(pages)
    app.register_blueprint(portal_pages)
    return app
