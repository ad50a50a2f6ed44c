"""The local mail server's JSON API, as the tests read mail through it."""

from dataclasses import dataclass
from typing import Any

import requests

from tests.support.local_run import wait_until


@dataclass
class LocalInbox:
    """The inbox of a local mail server (`python -m local_mail`) at `url`."""

    url: str

    def messages(self) -> list[dict[str, Any]]:
        """Summaries, newest first."""
        response = requests.get(f"{self.url}/api/messages", timeout=10)
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def message(self, message_id: str) -> dict[str, Any]:
        """One message in full: text, html, headers ([[name, value]...]), links."""
        response = requests.get(f"{self.url}/api/messages/{message_id}", timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def everything(self) -> list[dict[str, Any]]:
        """Every message in full, oldest first."""
        return [self.message(m["id"]) for m in reversed(self.messages())]

    def clear(self) -> None:
        requests.delete(f"{self.url}/api/messages", timeout=10).raise_for_status()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every message in full, oldest first, once there are at least `count`."""
        if not wait_until(lambda: len(self.messages()) >= count, timeout):
            raise AssertionError(f"expected {count} message(s), got {len(self.messages())}")
        return self.everything()
