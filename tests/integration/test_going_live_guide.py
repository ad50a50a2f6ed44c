"""docs/going-live.md lists the webhook events exactly as stripe-provision subscribes the
endpoint to them (issue 13): an operator who sets the endpoint up by hand in the
Dashboard gets the same list."""

import re
from pathlib import Path

from adapters.stripe.provision import WEBHOOK_EVENTS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "going-live.md"


def test_the_guides_event_list_is_the_one_the_service_subscribes_to() -> None:
    after = GUIDE.read_text().split("<!-- events:", 1)[1]
    section = after.split("-->", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^- `([a-z_.]+)`$", section, re.M)

    assert listed == list(WEBHOOK_EVENTS)
