"""docs/going-live.md lists the webhook events exactly as stripe-provision subscribes the
endpoint to them (issue 13): an operator who sets the endpoint up by hand in the
Dashboard gets the same list."""

import re
from pathlib import Path

from adapters.stripe.provision import WEBHOOK_EVENTS
from adapters.stripe_event_types import KIND_OF_TYPE

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "going-live.md"


def test_the_guides_event_list_is_the_one_the_service_subscribes_to() -> None:
    after = GUIDE.read_text().split("<!-- events:", 1)[1]
    section = after.split("-->", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^- `([a-z_.]+)`$", section, re.M)

    assert listed == list(WEBHOOK_EVENTS)


def test_the_service_subscribes_to_exactly_the_events_it_acts_on() -> None:
    # An event acted on but not subscribed to would never arrive (nor be caught up);
    # one subscribed to but not acted on would only be ignored.
    assert sorted(WEBHOOK_EVENTS) == sorted(KIND_OF_TYPE)


README = GUIDE.parents[1] / "README.md"
SETTINGS = GUIDE.parents[1] / "src" / "entrypoints" / "settings.py"


def _readme_variables() -> list[str]:
    """The variables of the README's Configuration table (its first column)."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)]


def test_every_variable_the_settings_read_is_in_the_readmes_table() -> None:
    source = SETTINGS.read_text()
    read = set(re.findall(r'env(?:\.get\(|\[)"([A-Z][A-Z0-9_]+)"', source))
    read |= set(re.findall(r'\(env, "([A-Z][A-Z0-9_]+)"', source))

    assert "UNDELIVERED_EVENTS_INTERVAL_MINUTES" in read  # the patterns find them
    assert sorted(read - set(_readme_variables())) == []


def test_every_variable_of_the_readmes_table_is_in_the_guide() -> None:
    guide = GUIDE.read_text()

    assert [name for name in _readme_variables() if f"`{name}`" not in guide] == []
