"""Every command in the README's "Operating it" section, and its time-travel `curl`,
works as written next to a running `make run` (issue 8, item 11 and done-when 4)."""

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from tests.e2e.stripe_stack import subscribe
from tests.e2e.support import Browser
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import LocalRun, free_port, launcher_env, wait_until

README = Path(__file__).resolve().parents[2] / "README.md"
VENV_BIN = Path(sys.executable).parent
# What the README says to replace: a loopback URL stands in for the public one.
PUBLIC_WEBHOOK = "https://YOUR.HOST/webhook"
LOOPBACK_WEBHOOK = "http://127.0.0.1:9/webhook"


def operating_commands() -> list[list[str]]:
    """The commands of the README's "Operating it" block, comments dropped."""
    section = README.read_text().split("## Operating it", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "no sh block under 'Operating it'"
    commands = []
    for line in found.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            commands.append(shlex.split(line, comments=True))
    return commands


def time_travel_commands() -> list[list[str]]:
    """The README's inline `curl ...` commands (moving the emulator's clock)."""
    return [shlex.split(found) for found in re.findall(r"`(curl [^`]+)`", README.read_text())]


def runnable(command: list[str]) -> list[str]:
    """The command with the virtualenv's programs and the loopback webhook URL."""
    args = [
        str(VENV_BIN / arg.removeprefix(".venv/bin/")) if arg.startswith(".venv/bin/") else arg
        for arg in command
    ]
    return [LOOPBACK_WEBHOOK if arg == PUBLIC_WEBHOOK else arg for arg in args]


def test_the_readme_lists_the_operating_commands() -> None:
    commands = [" ".join(command) for command in operating_commands()]
    assert len(commands) >= 6, commands
    assert time_travel_commands(), "the README shows how to move the emulator's clock"
    [emulator] = [command for command in commands if "stripe_emulator" in command]
    assert "12111" not in emulator  # `make run`'s emulator listens there
    [mail] = [command for command in commands if "local_mail" in command]
    assert "1025" not in mail.split() and "8025" not in mail.split()  # nor its mail server


def test_every_operating_command_works_next_to_make_run(tmp_path: Path) -> None:
    ports = {
        name: str(free_port())
        for name in ("PORT", "STRIPE_EMULATOR_PORT", "MAIL_SMTP_PORT", "MAIL_WEB_PORT")
    }
    with LocalRun(tmp_path, **ports) as run:
        browser = Browser(run.url).sign_up("ops@example.com", "a fine passphrase")
        assert subscribe(browser, price="basic_monthly").status_code == 303
        for command in operating_commands():
            args = runnable(command)
            if "stripe_emulator" in args:
                check_standalone_emulator(args)
                continue
            if "local_mail" in args:
                check_standalone_mail_server(args)
                continue
            result = subprocess.run(
                args,
                capture_output=True,
                text=True,
                env=launcher_env(),
                cwd=tmp_path,
                timeout=60,
                check=False,
            )
            shown = " ".join(command)
            assert result.returncode == 0, f"{shown}\n{result.stdout}\n{result.stderr}"
            assert "Traceback" not in result.stderr, shown
            if "reconcile" in args:  # it reached the emulator and found the subscriber
                assert "checked 1 user(s)" in result.stdout, result.stdout
            if "send-test-email" in args:  # it reached make run's mail server
                inbox = LocalInbox(f"http://127.0.0.1:{ports['MAIL_WEB_PORT']}")
                assert [m["to"] for m in inbox.messages()] == ["you@example.com"]

        emulator = f"127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}"
        # stripe-provision had nothing to do there: the emulator still sends every
        # event to one endpoint, make run's own.
        request = urllib.request.Request(
            f"http://{emulator}/v1/webhook_endpoints",
            headers={"Authorization": "Bearer sk_test_local_emulator"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            endpoints = json.load(answer)["data"]
        assert [e["url"] for e in endpoints] == [f"{run.url}/webhook"]
        for command in time_travel_commands():
            if shutil.which(command[0]) is None:  # last, so everything else was checked
                pytest.skip(f"{command[0]} is not installed: the README's time travel not run")
            args = [arg.replace("127.0.0.1:12111", emulator) for arg in command]
            result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
            assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
            assert json.loads(result.stdout)["offset"] > 0


def check_standalone_emulator(args: list[str]) -> None:
    """`python -m stripe_emulator --port N` on a free port: it answers, then stops on
    SIGINT and SIGTERM with exit status 0."""
    at = args.index("--port") + 1
    for signum in (signal.SIGINT, signal.SIGTERM):
        port = str(free_port())
        args = [*args[:at], port, *args[at + 1 :]]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert wait_until(partial(healthy, port), timeout=20), args
        finally:
            process.send_signal(signum)
            _, errors = process.communicate(timeout=20)
        assert process.returncode == 0, errors.decode()
        assert b"Traceback" not in errors


def check_standalone_mail_server(args: list[str]) -> None:
    """`python -m local_mail --port N --web-port M` on free ports: its inbox answers, then
    it stops on SIGINT and SIGTERM with exit status 0."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        web_port = str(free_port())
        moved = {"--port": str(free_port()), "--web-port": web_port}
        args = [moved.get(before, arg) for before, arg in zip(["", *args[:-1]], args, strict=True)]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert wait_until(partial(healthy, web_port, "/api/health"), timeout=20), args
        finally:
            process.send_signal(signum)
            _, errors = process.communicate(timeout=20)
        assert process.returncode == 0, errors.decode()
        assert b"Traceback" not in errors


def healthy(port: str, path: str = "/_emulator/health") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as answer:
            return bool(json.load(answer) == {"ok": True})
    except OSError:
        return False


def test_a_configuration_error_while_the_cli_loads_the_app_is_one_line(tmp_path: Path) -> None:
    """Issue 8, item 11: no `make run` here and no SECRET_KEY: one line, exit status 2."""
    result = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "entrypoints.flask_app", "reconcile"],
        capture_output=True,
        text=True,
        env=launcher_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: SECRET_KEY is not set"), line
