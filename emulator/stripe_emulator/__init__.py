"""A stand-alone, stateful, in-memory emulator of the part of Stripe's API v1 this project uses.

Start it from Python::

    from stripe_emulator import Emulator

    with Emulator(port=0) as emu:  # port 0: any free port
        client = stripe.StripeClient("sk_test_123", base_addresses={"api": emu.url})
        ...
        emu.advance(32 * 86400)  # a month later: renewals, failed payments...
        emu.delivery.wait_idle()  # every webhook delivered

or from a shell: ``python -m stripe_emulator --port 12111``.

It answers Stripe-shaped JSON (the current API version), serves hosted
Checkout and billing-portal pages, runs a billing engine on per-customer clocks,
and delivers signed webhooks with retries (and, on request, duplicated,
reordered, delayed or dropped). It imports nothing from the application.
"""

from .delivery import DeliveryAttempt, DeliveryController
from .emulator import DEFAULT_HOST, DEFAULT_PORT, Emulator
from .settings import Settings
from .state_file import StateFileError
from .store import Store

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DeliveryAttempt",
    "DeliveryController",
    "Emulator",
    "Settings",
    "StateFileError",
    "Store",
]
