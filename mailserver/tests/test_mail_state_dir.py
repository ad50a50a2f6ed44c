"""With a state folder, mail outlives a restart; a damaged file never stops the server."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from local_mail import MailServer, MailStateError
from mail_support import Inbox, message


def _server(state_dir: Path) -> MailServer:
    return MailServer(smtp_port=0, web_port=0, state_dir=state_dir)


def test_messages_survive_a_restart_with_their_ids_order_and_content(tmp_path: Path) -> None:
    with _server(tmp_path / "mail") as first:
        inbox = Inbox(first)
        inbox.send(message(subject="one", text="https://notes.example/a"))
        inbox.send(message(subject="two", html="<p>two</p>"))
        before = [inbox.message(m["id"]) for m in inbox.messages()]

    with _server(tmp_path / "mail") as second:
        inbox = Inbox(second)
        assert [inbox.message(m["id"]) for m in inbox.messages()] == before
        inbox.send(message(subject="three"))  # numbered after the kept ones
        assert [m["subject"] for m in inbox.messages()] == ["three", "two", "one"]


def test_kept_mail_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    with _server(tmp_path / "mail") as server:
        Inbox(server).send(message(text="a reset link"))
    folder = tmp_path / "mail"
    assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".eml", ".json"]
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0


def test_deleted_mail_stays_deleted_after_a_restart(tmp_path: Path) -> None:
    with _server(tmp_path / "mail") as server:
        inbox = Inbox(server)
        for subject in ("a", "b", "c"):
            inbox.send(message(subject=subject))
        inbox.post(f"/messages/{inbox.messages()[1]['id']}/delete")
    with _server(tmp_path / "mail") as server:
        inbox = Inbox(server)
        assert [m["subject"] for m in inbox.messages()] == ["c", "a"]
        inbox.clear()
    assert list((tmp_path / "mail").iterdir()) == []
    with _server(tmp_path / "mail") as server:
        assert Inbox(server).messages() == []


def test_a_damaged_or_half_written_message_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    with _server(folder) as server:
        Inbox(server).send(message(subject="good"))
    (folder / "00000007-0123456789abcdef.json").write_text("{not json")
    (folder / "00000008-fedcba9876543210.json").write_text('{"id": "fedcba9876543210"}')
    (folder / "00000009-aaaaaaaaaaaaaaaa.eml").write_bytes(b"Subject: no envelope\r\n\r\n")
    (folder / "notes.txt").write_text("someone's file")
    with _server(folder) as server:
        inbox = Inbox(server)
        assert [m["subject"] for m in inbox.messages()] == ["good"]
        inbox.send(message(subject="after"))
        assert [m["subject"] for m in inbox.messages()] == ["after", "good"]


def test_a_state_folder_that_cannot_be_used_is_one_error_naming_it(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "mail"
    not_a_folder.write_text("a file")
    with pytest.raises(MailStateError, match=str(not_a_folder)):
        MailServer(smtp_port=0, web_port=0, state_dir=not_a_folder)


def test_a_message_that_cannot_be_written_is_refused_451_and_not_kept(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    with _server(folder) as server:
        inbox = Inbox(server)
        folder.rmdir()
        folder.write_text("the folder became a file: nothing can be written there")
        code, reply = inbox.send_raw(b"Subject: lost?\r\n\r\nbody\r\n")
        assert code == 451, reply  # the client keeps it and tries again later
        assert inbox.messages() == []
        folder.unlink()
        inbox.send(message(subject="kept"))
        assert [m["subject"] for m in inbox.messages()] == ["kept"]
