"""Stripe's error responses, as exceptions the routes turn into JSON."""

from __future__ import annotations

from typing import Any

NOT_EMULATED = "parameter_not_emulated"
EMULATOR_CODES = frozenset({NOT_EMULATED})
"""Error codes of the emulator's own, which Stripe's documentation does not list."""


class StripeError(Exception):
    """An error answered in Stripe's shape: ``{"error": {"type", "message", ...}}``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = error_type
        self.code = code
        self.param = param
        self.decline_code = decline_code

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe would answer with."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            if self.code not in EMULATOR_CODES:
                slug = self.code.replace("_", "-")
                error["doc_url"] = f"https://stripe.com/docs/error-codes/{slug}"
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}


def resource_missing(kind: str, object_id: str, *, param: str | None = None) -> StripeError:
    """An id that names nothing: 404 for an id in the path (Stripe names it ``id``), 400
    for one in a parameter."""
    return StripeError(
        f"No such {kind}: '{object_id}'",
        status=404 if param is None else 400,
        code="resource_missing",
        param=param or "id",
    )


def parameter_missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_invalid(param: str, message: str, *, code: str = "parameter_invalid") -> StripeError:
    return StripeError(message, code=code, param=param)


def parameter_unknown(param: str) -> StripeError:
    return StripeError(
        f"Received unknown parameter: {param}. (The Stripe emulator implements a subset of "
        "Stripe's API; a parameter Stripe accepts may still be missing here.)",
        code="parameter_unknown",
        param=param,
    )


def card_declined(message: str = "Your card was declined.") -> StripeError:
    return StripeError(
        message,
        status=402,
        error_type="card_error",
        code="card_declined",
        decline_code="generic_decline",
    )


def not_emulated(param: str, what: str) -> StripeError:
    """A parameter Stripe accepts but whose effect the emulator cannot produce.

    Refused rather than ignored: a 200 that silently drops it would let a test pass
    that fails against Stripe.
    """
    return StripeError(
        f"The Stripe emulator does not emulate {what} ({param}). Stripe accepts it; the "
        "emulator refuses it rather than ignore it.",
        code=NOT_EMULATED,
        param=param,
    )
