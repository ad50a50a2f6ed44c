"""Every message the SMTP server accepted, in arrival order, kept in a folder if given one.

With a state folder, each message is two files written atomically: `NNNNNNNN-ID.eml` (the
bytes as received) and `NNNNNNNN-ID.json` (the envelope and arrival time), the JSON last,
so a message whose JSON exists is whole. Files are readable by their owner only: mail
holds password-reset links. A file that cannot be read at start-up is skipped with a
warning, never a reason not to start.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("local_mail")

_ID = re.compile(r"^[0-9a-f]{16}$")
_NAME = re.compile(r"^(\d{8})-([0-9a-f]{16})\.json$")


class MailStateError(Exception):
    """The state folder cannot be used; the message names it and why."""


@dataclass(frozen=True)
class StoredMessage:
    """One accepted message: its envelope and its bytes as received."""

    id: str
    number: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def size(self) -> int:
        return len(self.raw)


class Mailbox:
    """Thread-safe: the SMTP thread adds while the web thread reads."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, StoredMessage] = {}
        self._next_number = 1
        self.state_dir = Path(state_dir) if state_dir is not None else None
        if self.state_dir is not None:
            self._load(self.state_dir)

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> StoredMessage:
        """Keep a message; OSError when its files cannot be written (nothing is kept)."""
        with self._lock:
            message = StoredMessage(
                id=secrets.token_hex(8),
                number=self._next_number,
                received_at=datetime.now(UTC),
                mail_from=mail_from,
                rcpt_tos=tuple(rcpt_tos),
                raw=raw,
            )
            if self.state_dir is not None:
                self._write(self.state_dir, message)
            self._messages[message.id] = message
            self._next_number += 1
            return message

    def newest_first(self) -> list[StoredMessage]:
        with self._lock:
            return sorted(self._messages.values(), key=lambda m: m.number, reverse=True)

    def get(self, message_id: str) -> StoredMessage | None:
        """The message with that id; None for any other string."""
        if not _ID.match(message_id):
            return None
        with self._lock:
            return self._messages.get(message_id)

    def delete(self, message_id: str) -> bool:
        with self._lock:
            message = self._messages.pop(message_id, None) if _ID.match(message_id) else None
            if message is not None:
                self._unlink(message)
            return message is not None

    def clear(self) -> int:
        """Delete every message; returns how many there were."""
        with self._lock:
            count = len(self._messages)
            for message in self._messages.values():
                self._unlink(message)
            self._messages.clear()
            return count

    # -- the state folder ------------------------------------------------------

    def _load(self, folder: Path) -> None:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            names = sorted(path.name for path in folder.iterdir())
        except OSError as error:
            raise MailStateError(
                f"{folder} cannot be used to keep mail: {error.strerror or error}"
            ) from None
        for name in names:
            found = _NAME.match(name)
            if not found:
                continue
            try:
                message = _read(folder, int(found.group(1)), found.group(2))
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("skipped %s: not a readable kept message (%s)", folder / name, error)
                continue
            self._messages[message.id] = message
            self._next_number = max(self._next_number, message.number + 1)
        if self._messages:
            log.info("%d message(s) read from %s", len(self._messages), folder)

    def _write(self, folder: Path, message: StoredMessage) -> None:
        stem = _stem(message)
        envelope = {
            "id": message.id,
            "received_at": message.received_at.isoformat(),
            "mail_from": message.mail_from,
            "rcpt_tos": list(message.rcpt_tos),
        }
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_atomically(folder / f"{stem}.eml", message.raw)
        try:
            _write_atomically(folder / f"{stem}.json", json.dumps(envelope).encode())
        except BaseException:
            (folder / f"{stem}.eml").unlink(missing_ok=True)
            raise

    def _unlink(self, message: StoredMessage) -> None:
        if self.state_dir is None:
            return
        for suffix in (".json", ".eml"):  # the JSON first: without it the message is gone
            try:
                (self.state_dir / f"{_stem(message)}{suffix}").unlink(missing_ok=True)
            except OSError as error:
                log.warning("could not delete %s%s: %s", _stem(message), suffix, error)


def _stem(message: StoredMessage) -> str:
    return f"{message.number:08d}-{message.id}"


def _read(folder: Path, number: int, message_id: str) -> StoredMessage:
    stem = f"{number:08d}-{message_id}"
    envelope = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    if envelope["id"] != message_id:
        raise ValueError("its id is not its name's")
    received_at = datetime.fromisoformat(envelope["received_at"])
    if received_at.tzinfo is None:
        raise ValueError("its time has no zone")
    return StoredMessage(
        id=message_id,
        number=number,
        received_at=received_at,
        mail_from=str(envelope["mail_from"]),
        rcpt_tos=tuple(str(to) for to in envelope["rcpt_tos"]),
        raw=(folder / f"{stem}.eml").read_bytes(),
    )


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp: mode 0600
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
