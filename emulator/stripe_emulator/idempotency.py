"""Responses saved per (API key, ``Idempotency-Key``), replayed for a retried request."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flask import Response

from .errors import StripeError


@dataclass
class SavedResponse:
    fingerprint: str
    status: int
    body: bytes


Scope = tuple[str, str]
"""(SHA-256 of the API key, the Idempotency-Key)."""


class IdempotencyCache:
    """Responses saved per (API key, ``Idempotency-Key``), replayed for a retried request.

    Only successful responses and card errors (402) are saved; a request that
    failed validation may be retried with the same key, as on Stripe. The saved
    responses are part of the emulator's state (:mod:`.state_file` keeps them), so a
    retry after a restart still gets the first answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saved: dict[Scope, SavedResponse] = {}
        self._in_progress: set[Scope] = set()

    def begin(self, scope: Scope, fingerprint: str) -> Response | None:
        """A replayed response, an error, or None to go ahead (the key is then in use)."""
        with self._lock:
            saved = self._saved.get(scope)
            if saved is not None:
                if saved.fingerprint != fingerprint:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{scope[1]}' if you meant to execute a different request.",
                        error_type="idempotency_error",
                    )
                response = Response(saved.body, status=saved.status, mimetype="application/json")
                response.headers["Idempotent-Replayed"] = "true"
                return response
            if scope in self._in_progress:
                raise StripeError(
                    "There is currently another in-progress request using this idempotent key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through). Please retry this request later.",
                    status=409,
                    code="idempotency_key_in_use",
                )
            self._in_progress.add(scope)
            return None

    def finish(self, scope: Scope, fingerprint: str, response: Response) -> None:
        with self._lock:
            if 200 <= response.status_code < 300 or response.status_code == 402:
                self._saved[scope] = SavedResponse(
                    fingerprint, response.status_code, response.get_data()
                )

    def release(self, scope: Scope) -> None:
        with self._lock:
            self._in_progress.discard(scope)

    def to_json(self) -> list[dict[str, Any]]:
        """The saved responses (bodies are Stripe's JSON, so text)."""
        with self._lock:
            return [
                {
                    "key_hash": scope[0],
                    "idempotency_key": scope[1],
                    "fingerprint": saved.fingerprint,
                    "status": saved.status,
                    "body": saved.body.decode(),
                }
                for scope, saved in self._saved.items()
            ]

    def restore(self, entries: list[dict[str, Any]]) -> None:
        """Replace the saved responses with ``entries`` (from :meth:`to_json`)."""
        with self._lock:
            self._saved = {
                (str(entry["key_hash"]), str(entry["idempotency_key"])): SavedResponse(
                    str(entry["fingerprint"]), int(entry["status"]), str(entry["body"]).encode()
                )
                for entry in entries
            }
