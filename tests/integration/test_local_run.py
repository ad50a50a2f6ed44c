"""`make run`'s launcher: the development SECRET_KEY only where nobody else can reach
it, and the embedded default surviving a restart."""

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from local_mail import MailServer
from tests.e2e.stripe_stack import open_portal, subscribe
from tests.e2e.support import Browser
from tests.support.local_inbox import LocalInbox
from tests.support.local_run import LocalRun, free_port, launcher_env, run_launcher, wait_until

DAY = 24 * 3600
FLASK_CLI = [str(Path(sys.executable).with_name("flask")), "--app", "entrypoints.flask_app"]


def launch(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # The timeout named: a dict spread after it could otherwise fill it, for all mypy knows.
    return run_launcher(tmp_path, timeout=60, **{"PORT": "0", **env})


@pytest.mark.parametrize(
    "env",
    [{"HOST": "0.0.0.0"}, {"STRIPE_SECRET_KEY": "sk_test_real_account"}],  # noqa: S104
    ids=["beyond-this-machine", "real-stripe-keys"],
)
def test_the_launcher_needs_a_secret_key_unless_local_and_emulated(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = launch(tmp_path, **env)
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "instance").exists()  # nothing started, nothing written


def test_restarting_make_run_keeps_billing(tmp_path: Path) -> None:
    """Issue 8, item 10 (done-when 3): the app and the emulator restarted on the same
    `instance/` between subscribing and Manage billing: the portal opens, premium stays."""
    ports = {"PORT": str(free_port()), "STRIPE_EMULATOR_PORT": str(free_port())}
    with LocalRun(tmp_path, **ports) as first:
        browser = Browser(first.url).sign_up("restart@example.com", "a fine passphrase")
        paid = subscribe(browser, price="pro_monthly")  # make run sells catalog.toml
        assert paid.status_code == 303, paid.text[:300]
        assert browser.get(paid.headers["Location"]).status_code == 200
        assert browser.get("/premium").status_code == 200
        first_stop = first.stop()

    with LocalRun(tmp_path, **ports) as second:
        portal = open_portal(browser)
        assert portal.startswith(f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}/portal/")
        assert browser.http.get(portal, timeout=10).status_code == 200
        assert browser.get("/premium").status_code == 200
        assert second.stop(signal.SIGTERM) == 0
    assert first_stop == 0, first.output


@pytest.mark.parametrize(
    "variable", ["PORT", "STRIPE_EMULATOR_PORT", "MAIL_SMTP_PORT", "MAIL_WEB_PORT"]
)
def test_a_taken_port_is_one_line_naming_it_and_its_variable(tmp_path: Path, variable: str) -> None:
    """Issue 8, item 12 (and issue 12's mail server): no traceback, no "Serving on" line
    first, exit status 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {
            name: str(free_port())
            for name in ("PORT", "STRIPE_EMULATOR_PORT", "MAIL_SMTP_PORT", "MAIL_WEB_PORT")
        }
        result = launch(tmp_path, **{**ports, variable: str(port)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Serving on" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if str(port) in line]
    assert f"Port {port} is in use" in line
    assert variable in line


def test_time_travel_in_the_emulator_reaches_the_apps_access_rule(tmp_path: Path) -> None:
    """Issue 8, item 13: in the embedded default the app's clock follows the emulator's,
    so moving the emulator's clock past the grace of a failed renewal ends premium."""
    ports = {"PORT": str(free_port()), "STRIPE_EMULATOR_PORT": str(free_port())}
    emulator = f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}"
    with LocalRun(tmp_path, **ports):
        browser = Browser(f"http://127.0.0.1:{ports['PORT']}")
        browser.sign_up("traveller@example.com", "a fine passphrase")
        # Pro's trial: the card is checked now, and fails when the trial ends.
        paid = subscribe(browser, card="4000 0000 0000 0341", price="pro_monthly")
        browser.get(paid.headers["Location"])
        assert browser.get("/premium").status_code == 200

        subscriptions = requests.get(
            f"{emulator}/v1/subscriptions",
            headers={"Authorization": "Bearer sk_test_local_emulator"},
            timeout=10,
        ).json()["data"]
        renewal = subscriptions[0]["items"]["data"][0]["current_period_end"]

        def advance_to(moment: float) -> None:
            now = requests.get(f"{emulator}/_emulator/clock", timeout=10).json()["now"]
            requests.post(
                f"{emulator}/_emulator/clock/advance", json={"seconds": moment - now}, timeout=10
            ).raise_for_status()

        advance_to(renewal + 3600)  # the first charge fails: past due, inside the grace
        assert wait_until(lambda: "Payment failed" in browser.get("/account").text)
        assert browser.get("/premium").status_code == 200

        advance_to(renewal + 3.5 * DAY)  # beyond the 3-day grace
        assert wait_until(lambda: browser.get("/premium").status_code == 403, timeout=5)


def test_the_launcher_reads_the_dotenv_of_its_working_directory(tmp_path: Path) -> None:
    """`.env` is found where `instance/` is (the working directory), not next to the
    source: a test (or a second checkout) elsewhere never picks up the project's."""
    (tmp_path / ".env").write_text("PORT=not-a-port\n")
    result = run_launcher(tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert "PORT must be a port number" in result.stderr


def test_a_state_the_emulator_cannot_provision_again_is_one_line(tmp_path: Path) -> None:
    """A kept state whose webhook endpoint was made with other parameters (another
    version's event list) is named in one line, not a traceback."""
    ports = {"PORT": str(free_port()), "STRIPE_EMULATOR_PORT": str(free_port())}
    with LocalRun(tmp_path, **ports) as run:
        assert run.stop() == 0
    state_file = tmp_path / "instance" / "stripe-emulator.json"
    state = json.loads(state_file.read_text())
    for saved in state["idempotency"]:
        if saved["idempotency_key"].startswith("webhook-endpoint-"):
            saved["fingerprint"] = "another version's parameters"
    state_file.write_text(json.dumps(state))

    result = launch(tmp_path, **ports)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "provisioning failed" in line]
    assert "stripe-emulator.json" in line


def _send_test_email(cwd: Path, address: str) -> subprocess.CompletedProcess[str]:
    """`flask send-test-email` next to the running `make run`, as an operator runs it."""
    return subprocess.run(
        [*FLASK_CLI, "send-test-email", address],
        capture_output=True,
        text=True,
        env=launcher_env(),
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_make_run_starts_the_local_mail_server_and_the_app_mails_through_it(
    tmp_path: Path,
) -> None:
    """Issue 12: without SMTP_URL, `make run` starts the local mail server, says where its
    inbox is, and the app's SMTP adapter sends to it; the mail outlives a restart."""
    ports = {"MAIL_SMTP_PORT": str(free_port()), "MAIL_WEB_PORT": str(free_port())}
    inbox_url = f"http://127.0.0.1:{ports['MAIL_WEB_PORT']}"
    with LocalRun(tmp_path, **ports) as run:
        assert f"read it at {inbox_url}" in run.output
        sent = _send_test_email(tmp_path, "Ann@Example.com")
        assert sent.returncode == 0, sent.stderr
        assert f"sent to ann@example.com through smtp://127.0.0.1:{ports['MAIL_SMTP_PORT']}" in (
            sent.stdout
        )
        [message] = LocalInbox(inbox_url).wait_for(1)
        assert message["to"] == "ann@example.com"
        assert message["subject"] == "Test email from Premium Notes"
        assert message["html"] is not None
        assert requests.get(inbox_url, timeout=10).status_code == 200
        assert run.stop() == 0
    assert "Traceback" not in run.output

    with LocalRun(tmp_path, **ports):
        assert [m["subject"] for m in LocalInbox(inbox_url).messages()] == [message["subject"]]


def test_with_smtp_url_set_no_mail_server_starts_and_the_app_uses_that_url(
    tmp_path: Path, mail_server: MailServer, local_inbox: LocalInbox
) -> None:
    ports = {"MAIL_SMTP_PORT": str(free_port()), "MAIL_WEB_PORT": str(free_port())}
    with LocalRun(tmp_path, SMTP_URL=mail_server.smtp_url, **ports) as run:
        assert "local mail server" not in run.output
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", int(ports["MAIL_WEB_PORT"])), timeout=1)
        # The CLI reads SMTP_URL from the environment, as the server did.
        env = launcher_env(SMTP_URL=mail_server.smtp_url)
        sent = subprocess.run(
            [*FLASK_CLI, "send-test-email", "bob@example.com"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
    assert [m["to"] for m in local_inbox.wait_for(1)] == ["bob@example.com"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAIL_SMTP_PORT": "smtp"}, "MAIL_SMTP_PORT must be a port number"),
        ({"MAIL_WEB_PORT": "70000"}, "MAIL_WEB_PORT must be a port number"),
        ({"MAIL_SMTP_PORT": "2025", "MAIL_WEB_PORT": "2025"}, "both 2025"),
        ({"SMTP_URL": "smtp://u:hunter2@mail.example.com:x"}, "SMTP_URL is malformed"),
    ],
)
def test_a_malformed_mail_setting_is_one_line_and_nothing_starts(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = launch(tmp_path, **env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()[-1:]
    assert message in line
    assert "hunter2" not in result.stderr


def test_make_run_reconciles_on_its_schedule_in_its_own_process(tmp_path: Path) -> None:
    """Issue 13: no broker, no beat, yet reconcile runs every RECONCILE_INTERVAL_MINUTES."""
    ports = {"PORT": str(free_port()), "STRIPE_EMULATOR_PORT": str(free_port())}
    with LocalRun(tmp_path, **ports, RECONCILE_INTERVAL_MINUTES="0.05") as run:
        assert "Reconcile runs in this process every 0.05 minute(s)" in run.output
        assert wait_until(lambda: "reconcile checked" in run.output, timeout=60), run.output
