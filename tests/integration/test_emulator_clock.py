"""The app's clock in the embedded default follows the Stripe emulator's clock
(issue 8, item 13); production keeps the system clock."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.emulator_clock import EmulatorClock
from adapters.system_clock import SystemClock
from entrypoints.container import Container
from entrypoints.settings import Settings
from stripe_emulator import Emulator
from tests.e2e.conftest import TEST_SECRET_KEY

DAY = timedelta(days=1)
CLOSED_PORT = "http://127.0.0.1:9/_emulator/clock"


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(seconds=5)


def test_reads_the_time_the_emulator_shows_moved_a_moment_ago() -> None:
    with Emulator(port=0, tick_interval=None) as emulator:
        clock = EmulatorClock(f"{emulator.url}/_emulator/clock")
        assert close_to(clock.now(), datetime.now(UTC))
        emulator.advance(10 * DAY.total_seconds())
        assert close_to(clock.now(), datetime.now(UTC) + 10 * DAY)
        assert clock.now().tzinfo is not None


def test_keeps_the_last_known_time_when_the_emulator_stops_answering() -> None:
    with Emulator(port=0, tick_interval=None) as emulator:
        clock = EmulatorClock(f"{emulator.url}/_emulator/clock", timeout=0.5)
        emulator.advance(3 * DAY.total_seconds())
        assert close_to(clock.now(), datetime.now(UTC) + 3 * DAY)
    assert close_to(clock.now(), datetime.now(UTC) + 3 * DAY)  # stopped: last offset
    assert close_to(EmulatorClock(CLOSED_PORT, timeout=0.5).now(), datetime.now(UTC))


def test_the_container_uses_the_emulators_clock_only_when_configured(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'clock.db'}"
    production = Container()
    production.settings.override(Settings(secret_key=TEST_SECRET_KEY, database_url=database_url))
    assert isinstance(production.clock(), SystemClock)

    embedded = Container()
    embedded.settings.override(
        Settings(
            secret_key=TEST_SECRET_KEY, database_url=database_url, emulator_clock_url=CLOSED_PORT
        )
    )
    assert isinstance(embedded.clock(), EmulatorClock)
