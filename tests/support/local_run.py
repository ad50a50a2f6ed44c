"""`make run` (python -m local_run) in a subprocess, for tests of the embedded default.

The launcher runs in a directory of the test's own (its `instance/` folder lives there)
on free ports, with the caller's Stripe settings and SECRET_KEY removed so that it
starts the embedded default.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

_SERVING = re.compile(r"Serving on (http://\S+)")
START_TIMEOUT = 30.0


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The catalog `make run` sells from the project's folder; the launcher's working
# directory is the test's own, which has none.
REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"
# Settings of the caller's own that would change what the launcher does.
_NOT_INHERITED = {"SECRET_KEY", "DATABASE_URL", "HOST", "PORT", "BASE_URL", "SMTP_URL"}


def launcher_env(**env: str) -> dict[str, str]:
    """The test process's environment without its Stripe keys, SECRET_KEY, database,
    mail settings or addresses (the embedded default in the working directory, selling
    the project's catalog, its local mail server on free ports), plus `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_INHERITED and not k.startswith(("STRIPE_", "MAIL_"))
    }
    # Free ports, not 1025 and 8025: launchers of tests running side by side never meet.
    mail = {"MAIL_SMTP_PORT": str(free_port()), "MAIL_WEB_PORT": str(free_port())}
    return {**clean, "CATALOG_FILE": str(REPO_CATALOG), **mail, **env}


def run_launcher(cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the launcher to its end (for start-ups that are refused)."""
    return subprocess.run(
        [sys.executable, "-m", "local_run"],
        capture_output=True,
        text=True,
        env=launcher_env(**env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


class LocalRun:
    """A running `python -m local_run`; `url` once it serves, `stop()` ends it."""

    def __init__(self, cwd: Path, **env: str) -> None:
        self.cwd = cwd
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local_run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=launcher_env(**env),
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._serving = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._serving.wait(START_TIMEOUT):
            self.stop()
            raise AssertionError(f"the launcher did not serve in time:\n{self.output}")
        if not self.url:
            raise AssertionError(f"the launcher ended before serving:\n{self.output}")
        if not wait_until(self._accepts, START_TIMEOUT):
            self.stop()
            raise AssertionError(
                f"the launcher said it serves, but nothing answers:\n{self.output}"
            )

    def _accepts(self) -> bool:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return False
        return True

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:  # drained to the end, so the pipe never fills
            self.lines.append(line)
            found = _SERVING.search(line)
            if found and not self.url:
                self.url = found.group(1)
                self._serving.set()
        self._serving.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send `signum` (Ctrl-C by default) and wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            status = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(10)
        self._reader.join(10)
        return status

    def __enter__(self) -> "LocalRun":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def wait_until(
    condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
