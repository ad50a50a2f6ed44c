"""``python -m stripe_emulator`` and the Emulator's life cycle."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from stripe_emulator import Emulator


def test_help_works_and_shows_the_loopback_and_12111_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stripe_emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert "--host HOST interface to bind (default 127.0.0.1)" in help_text
    assert "--port PORT port (default 12111; 0 = any)" in help_text


def test_it_serves_and_logs_its_url() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 20
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url is not None
        with urllib.request.urlopen(f"{url}/_emulator/health", timeout=5) as response:  # noqa: S310
            assert json.load(response) == {"ok": True}
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0


def test_a_taken_port_raises_oserror_instead_of_exiting(emulator: Emulator) -> None:
    with pytest.raises(OSError):
        Emulator(port=emulator.port).start()


def test_stop_and_restart_and_the_context_manager() -> None:
    with Emulator(port=0) as emu:
        url = emu.url
        emu.stop()
        emu.start()
        with urllib.request.urlopen(f"{emu.url}/_emulator/health", timeout=5) as response:  # noqa: S310
            assert response.status == 200
    assert url.startswith("http://127.0.0.1:")


def test_a_taken_port_is_one_line_and_exit_status_2(emulator: Emulator) -> None:
    """Issue 8, item 12: `python -m stripe_emulator` on a taken port."""
    result = subprocess.run(
        [sys.executable, "-m", "stripe_emulator", "--port", str(emulator.port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Port {emulator.port} is in use: choose another with --port."
    ]
