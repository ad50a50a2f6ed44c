"""The cheap first pass of reconciling, against the Stripe emulator over HTTP: webhooks
the emulator could not deliver (dropped on purpose: the endpoint never received them)
are listed by `delivery_success=false` and applied through the webhook's own path,
without the full reconcile (which here refuses to run)."""

from pathlib import Path

from application.ports import EventStatus
from entrypoints.container import Container
from entrypoints.jobs import reconcile, undelivered_events
from tests.e2e.stripe_stack import open_portal, portal_action, stripe_stack, subscribe
from tests.e2e.support import Browser

EMAIL = "missed@example.com"
PASSWORD = "a fine passphrase"


class NoFullReconcile:
    def execute(self, command: object) -> None:
        raise AssertionError("the full reconcile ran")


def premium(browser: Browser) -> int:
    return browser.get("/premium").status_code


def test_webhooks_the_endpoint_never_received_are_applied_by_the_first_pass(
    tmp_path: Path,
) -> None:
    with stripe_stack(tmp_path, reconcile_full="on_failure") as stack:
        container: Container = stack.server.container
        container.reconcile_subscriptions.override(NoFullReconcile())
        stack.emulator.delivery.set_mode("drop")
        browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
        subscribe(browser)  # paid; no webhook arrives and the user never comes back
        stack.emulator.delivery.wait_idle()
        assert premium(browser) == 403

        # The scheduled reconcile, with RECONCILE_FULL=on_failure: the first pass suffices.
        reconcile(container)
        assert premium(browser) == 200

        portal_action(browser, open_portal(browser), "Cancel now")  # dropped too
        stack.emulator.delivery.wait_idle()
        assert premium(browser) == 200
        undelivered_events(container)  # the cheap pass on its own schedule
        assert premium(browser) == 403

        dropped = set(stack.emulator.delivery.dropped)
        with container.uow().reading() as uow:
            statuses = {uow.events.get(event_id) for event_id in dropped}
        assert None not in statuses  # every dropped event is in the inbox now
        assert {record.status for record in statuses if record} <= {
            EventStatus.PROCESSED,
            EventStatus.IGNORED,
        }

        # Listed again next time (the endpoint still has not received them): duplicates.
        undelivered_events(container)
        assert premium(browser) == 403


def test_flask_events_catch_up_applies_them_and_says_what_it_did(tmp_path: Path) -> None:
    with stripe_stack(tmp_path) as stack:
        stack.emulator.delivery.set_mode("drop")
        browser = stack.server.browser().sign_up(EMAIL, PASSWORD)
        subscribe(browser)
        stack.emulator.delivery.wait_idle()
        assert premium(browser) == 403
        cli = stack.server.app.test_cli_runner()

        first = cli.invoke(args=["events", "catch-up"])
        assert premium(browser) == 200
        again = cli.invoke(args=["events", "catch-up", "--hours", "24"])
        refused = cli.invoke(args=["events", "catch-up", "--hours", "721"])

    assert first.exit_code == 0, first.output
    applied = [line for line in first.output.splitlines() if line.startswith("applied  evt_")]
    assert applied
    assert again.exit_code == 0
    assert f"applied 0, already received {len(applied)}, failed 0" in again.output
    assert refused.exit_code == 2
