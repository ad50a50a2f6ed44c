"""``python -m local_mail`` and the MailServer's life cycle."""

from __future__ import annotations

import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from local_mail import MailServer, PortUnavailable


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local_mail", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_help_shows_the_1025_and_8025_defaults() -> None:
    result = _run("--help")
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert "--port PORT SMTP port (default 1025; 0 = any)" in help_text
    assert "--web-port WEB_PORT web inbox port (default 8025; 0 = any)" in help_text
    assert "--state-dir DIR" in help_text


def test_it_serves_logs_both_addresses_keeps_mail_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "local_mail", "--port", "0", "--web-port", "0"]
    command += ["--state-dir", str(tmp_path / "mail")]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"SMTP on 127\.0\.0\.1:(\d+), inbox at (http://\S+:\d+)", line)
        assert found is not None
        with smtplib.SMTP("127.0.0.1", int(found.group(1)), timeout=10) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nhello\r\n")
        listed = requests.get(f"{found.group(2)}/api/messages", timeout=10).json()["data"]
        assert [m["subject"] for m in listed] == ["hi"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    assert process.returncode == 0
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


@pytest.mark.parametrize(("option", "role"), [("--port", "smtp"), ("--web-port", "web")])
def test_a_taken_port_is_one_line_naming_the_option_and_exit_status_2(
    option: str, role: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"--port": "0", "--web-port": "0", option: str(port)}
        result = _run(*[item for pair in ports.items() for item in pair])
        with pytest.raises(PortUnavailable) as raised:
            MailServer(
                smtp_port=port if role == "smtp" else 0, web_port=port if role == "web" else 0
            ).start()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Port {port} is in use: choose another with {option}."
    ]
    assert raised.value.role == role


def test_a_state_folder_it_cannot_use_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    result = _run("--port", "0", "--web-port", "0", "--state-dir", str(tmp_path / "file"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert str(tmp_path / "file") in line


def test_a_taken_web_port_leaves_the_smtp_port_free() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            smtp_port = probe.getsockname()[1]
        with pytest.raises(PortUnavailable):
            MailServer(smtp_port=smtp_port, web_port=taken.getsockname()[1]).start()
    with MailServer(smtp_port=smtp_port, web_port=0) as server:
        assert server.smtp_port == smtp_port


def test_stop_then_start_again_and_the_context_manager() -> None:
    with MailServer(smtp_port=0, web_port=0) as server:
        server.stop()
        server.start()
        assert requests.get(f"{server.web_url}/api/health", timeout=5).json() == {"ok": True}
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.web_url}/api/health", timeout=5)
