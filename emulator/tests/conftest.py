"""One emulator for the emulator's tests; tests that change global behaviour start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from emulator_support import client_for
from stripe_emulator import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, delivery_backoff=0.05) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> stripe.StripeClient:
    return client_for(emulator)


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """A fresh emulator, for tests that change delivery modes, settings or the clock."""
    with Emulator(port=0, delivery_backoff=0.05, delivery_max_attempts=4) as emu:
        yield emu


@pytest.fixture
def own_client(own_emulator: Emulator) -> stripe.StripeClient:
    return client_for(own_emulator)
