"""``/_emulator/...``: control endpoints for tests (not part of Stripe's API).

No API key is needed; the emulator listens on the loopback interface only
unless told otherwise.

- ``GET  /_emulator/health``: ``{"ok": true}`` once serving.
- ``GET  /_emulator/clock``: the default clock, ``{"now", "offset"}``.
- ``POST /_emulator/clock/advance`` (``seconds``): move the default clock and run
  the billing engine for every customer without a test clock.
- ``GET  /_emulator/deliveries``: every webhook delivery attempt.
- ``GET  /_emulator/delivery``, ``POST /_emulator/delivery`` (``mode``, ``seconds``):
  the delivery mode (normal, duplicate, reorder, delay, drop).
- ``POST /_emulator/delivery/flush``: release held events.
- ``GET  /_emulator/settings``, ``POST /_emulator/settings`` (``after_retries``,
  ``retry_days``, ``incomplete_expiry_seconds``): billing settings.

Bodies may be JSON or form-encoded.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, current_app, request

from .api import json_response
from .errors import StripeError
from .services import Services

control = Blueprint("stripe_emulator_control", __name__, url_prefix="/_emulator")


def _services() -> Services:
    return current_app.extensions["stripe_emulator"]  # type: ignore[no-any-return]


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return data
    return {key: value for key, value in request.values.items()}


def _number(data: dict[str, Any], key: str, *, required: bool) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise StripeError(f"Missing required param: {key}.", param=key)
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StripeError(f"{key} must be a number.", param=key) from None
    if not math.isfinite(number) or number < 0:
        raise StripeError(f"{key} must be a non-negative number.", param=key)
    return number


def _clock(services: Services) -> dict[str, Any]:
    return {"now": services.store.now(), "offset": services.store.clock_offset}


@control.get("/health")
def health() -> Response:
    return json_response({"ok": True})


@control.get("/clock")
def clock() -> Response:
    services = _services()
    with services.store.lock:
        return json_response(_clock(services))


@control.post("/clock/advance")
def advance_clock() -> Response:
    seconds = _number(_body(), "seconds", required=True)
    assert seconds is not None
    services = _services()
    with services.store.lock:
        services.engine.advance_default_clock(seconds)
        return json_response(_clock(services))


@control.get("/deliveries")
def deliveries() -> Response:
    delivery = _services().delivery
    event_id = request.args.get("event_id")
    attempts = [
        attempt.to_json()
        for attempt in delivery.attempts
        if event_id is None or attempt.event_id == event_id
    ]
    return json_response({"data": attempts, "status": delivery.status()})


@control.get("/delivery")
def delivery_status() -> Response:
    return json_response(_services().delivery.status())


@control.post("/delivery")
def set_delivery_mode() -> Response:
    data = _body()
    mode = data.get("mode")
    if not isinstance(mode, str):
        raise StripeError("Missing required param: mode.", param="mode")
    delivery = _services().delivery
    try:
        delivery.set_mode(mode, _number(data, "seconds", required=False))
    except ValueError as error:
        raise StripeError(str(error), param="mode") from None
    return json_response(delivery.status())


@control.post("/delivery/flush")
def flush_delivery() -> Response:
    delivery = _services().delivery
    released = delivery.flush()
    return json_response({"released": released, **delivery.status()})


@control.route("/settings", methods=["GET", "POST"])
def settings() -> Response:
    services = _services()
    with services.store.lock:
        if request.method == "POST":
            data = _body()
            if "retry_days" in data and isinstance(data["retry_days"], str):
                data["retry_days"] = _int_list(data["retry_days"])
            if "incomplete_expiry_seconds" in data and isinstance(
                data["incomplete_expiry_seconds"], str
            ):
                data["incomplete_expiry_seconds"] = _int_list(data["incomplete_expiry_seconds"])[0]
            services.store.settings.update(data)
        return json_response(services.store.settings.to_json())


def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()] or [0]
    except ValueError:
        raise StripeError("Expected comma-separated integers.") from None
