"""The catalog into a Stripe account (the emulator, through the SDK), and back: every
plan's product and price by lookup_key, made once; the app finds them at start-up, and
refuses to start without them, naming what is missing."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from adapters.catalog_file import load_catalog
from adapters.stripe import StripePaymentGateway, StripeSettings
from adapters.stripe.provision import provision
from domain.catalog import Catalog
from entrypoints.flask_app import create_app
from entrypoints.settings import ConfigurationError, Settings
from stripe_emulator import Emulator

KEY = "sk_test_catalog"
HOOK = "http://127.0.0.1:9/webhook"
REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalog.toml"
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, tick_interval=None) as emu:
        yield emu


def settings(tmp_path: Path, emulator: Emulator) -> Settings:
    return Settings(
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        stripe_secret_key=KEY,
        stripe_webhook_secrets=("whsec_test_x",),
        stripe_api_base=emulator.url,
        catalog_file=CATALOG,
    )


def test_provisioning_makes_a_product_per_plan_and_each_price_by_lookup_key_once(
    emulator: Emulator,
) -> None:
    catalog = load_catalog(CATALOG)
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=catalog)
    again = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=catalog)

    assert again.prices == made.prices
    assert set(made.prices) == set(catalog.lookup_keys)
    assert again.webhook_endpoint_id == made.webhook_endpoint_id
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    prices = {p.lookup_key: p for p in client.v1.prices.list(params={"limit": 100}).data}
    assert set(prices) == set(catalog.lookup_keys)
    pro_yearly = prices["pro_yearly"]
    assert (pro_yearly.unit_amount, pro_yearly.currency) == (12000, "usd")
    assert pro_yearly.recurring is not None and pro_yearly.recurring.interval == "year"
    products = client.v1.products.list(params={"limit": 100}).data
    assert sorted(p.name for p in products) == ["Basic", "Pro"]
    assert prices["pro_monthly"].product == prices["pro_yearly"].product
    assert prices["basic_monthly"].product != prices["pro_monthly"].product
    assert len(client.v1.webhook_endpoints.list().data) == 1


def test_a_price_already_in_the_account_is_kept_as_it_is(emulator: Emulator) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    mine = client.v1.prices.create(
        params={
            "product_data": {"name": "Made by hand"},
            "unit_amount": 700,
            "currency": "eur",
            "recurring": {"interval": "month"},
            "lookup_key": "basic_monthly",
        }
    )
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    assert made.prices["basic_monthly"] == mine.id
    gateway = StripePaymentGateway(StripeSettings(KEY, (), api_base=emulator.url))
    found = gateway.find_prices(["basic_monthly"])
    assert (found["basic_monthly"].amount, found["basic_monthly"].currency) == (700, "eur")


def test_the_app_sells_the_catalog_at_the_providers_prices(
    tmp_path: Path, emulator: Emulator
) -> None:
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    app = create_app(settings(tmp_path, emulator))
    catalog = app.extensions["container"].catalog()
    assert catalog.from_provider
    assert catalog.plan_of(made.prices["pro_yearly"]).key == "pro"
    assert app.extensions["container"].policy().prices == set(made.prices.values())


def test_a_price_missing_at_the_provider_stops_start_up_naming_it(
    tmp_path: Path, emulator: Emulator
) -> None:
    basic_only = Catalog(load_catalog(CATALOG).plans[:1])
    provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=basic_only)
    with pytest.raises(ConfigurationError, match="pro_monthly, pro_yearly") as error:
        create_app(settings(tmp_path, emulator))
    assert "basic_" not in str(error.value)
    assert "stripe-provision" in str(error.value)


def test_from_the_environment_a_missing_price_is_one_line_and_exit_status_2(
    tmp_path: Path, emulator: Emulator
) -> None:
    env = {
        **os.environ,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "STRIPE_SECRET_KEY": KEY,
        "STRIPE_WEBHOOK_SECRET": "whsec_test_x",
        "STRIPE_API_BASE": emulator.url,
        "CATALOG_FILE": str(CATALOG),
    }
    env.pop("STRIPE_PRICE_ID", None)
    code = "from entrypoints.flask_app import create_app; create_app()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert "basic_monthly, basic_yearly, pro_monthly, pro_yearly" in lines[0]


def test_flask_stripe_provision_creates_the_catalog_before_the_app_can_sell_it(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The CLI does not resolve the catalog at start-up: it is what creates the prices."""
    env = {
        **os.environ,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "STRIPE_SECRET_KEY": KEY,
        "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
        "STRIPE_API_BASE": emulator.url,
        "CATALOG_FILE": str(CATALOG),
    }
    env.pop("STRIPE_PRICE_ID", None)
    flask = str(Path(sys.executable).with_name("flask"))
    hook = "https://notes.example/webhook"
    result = subprocess.run(
        [flask, "--app", "entrypoints.flask_app", "stripe-provision", "--webhook-url", hook],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "# pro_yearly: price_" in result.stdout
    assert "STRIPE_WEBHOOK_SECRET=whsec_" in result.stdout
    assert "STRIPE_PRICE_ID" not in result.stdout  # a catalog needs none
    app = create_app(settings(tmp_path, emulator))  # now it starts
    assert app.extensions["container"].catalog().from_provider


def _ours(client: stripe.StripeClient) -> list[Any]:
    listed = client.v1.billing_portal.configurations.list(params={"limit": 100}).data
    return [c for c in listed if c.to_dict()["metadata"].get("premium_notes_catalog") == "1"]


def test_provisioning_makes_one_portal_configuration_offering_the_catalogs_switches(
    emulator: Emulator,
) -> None:
    """The billing portal switches plans between the catalog's prices only, by the same
    policy as the app: an upgrade now, charged at once; a downgrade (a cheaper price, or
    a shorter interval) at the period's end; a trial goes on."""
    catalog = load_catalog(CATALOG)
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=catalog)
    again = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=catalog)
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    [configuration] = _ours(client)
    assert made.portal_configuration_id == again.portal_configuration_id == configuration.id
    update = configuration.features.subscription_update
    assert (update.enabled, update.default_allowed_updates) == (True, ["price"])
    offered = {p.product: sorted(p.prices) for p in update.products or []}
    assert offered == {
        "premium_notes_basic": sorted([made.prices["basic_monthly"], made.prices["basic_yearly"]]),
        "premium_notes_pro": sorted([made.prices["pro_monthly"], made.prices["pro_yearly"]]),
    }
    assert update.proration_behavior == "always_invoice"
    assert {c.type for c in update.schedule_at_period_end.conditions} == {
        "decreasing_item_amount",
        "shortening_interval",
    }
    assert update.trial_update_behavior == "end_trial"
    cancel = configuration.features.subscription_cancel
    assert (cancel.enabled, cancel.mode) == (True, "at_period_end")
    assert configuration.features.payment_method_update.enabled is True
    assert configuration.features.invoice_history.enabled is True
    assert configuration.business_profile.headline
    assert configuration.is_default is False


def test_provisioning_a_grown_catalog_updates_the_same_configuration(emulator: Emulator) -> None:
    catalog = load_catalog(CATALOG)
    first = provision(
        KEY, webhook_url=HOOK, api_base=emulator.url, catalog=Catalog(catalog.plans[:1])
    )
    grown = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=catalog)
    assert grown.portal_configuration_id == first.portal_configuration_id
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    [configuration] = _ours(client)
    products = configuration.features.subscription_update.products or []
    assert sorted(p.product for p in products) == ["premium_notes_basic", "premium_notes_pro"]


def test_the_app_opens_the_portal_with_the_catalogs_configuration(
    tmp_path: Path, emulator: Emulator
) -> None:
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    app = create_app(settings(tmp_path, emulator))
    assert app.extensions["container"].portal_configuration() == made.portal_configuration_id


def test_a_missing_portal_configuration_stops_start_up_naming_the_fix(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The prices are there but not the portal's configuration (a deployment from before
    portal switches): the portal would offer whatever Stripe's default allows, so the app
    refuses to start, naming the command that makes it."""
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    assert made.portal_configuration_id is not None
    client.v1.billing_portal.configurations.update(
        made.portal_configuration_id, params={"active": False}
    )
    with pytest.raises(ConfigurationError, match="billing-portal configuration") as error:
        create_app(settings(tmp_path, emulator))
    assert "flask stripe-provision" in str(error.value)


def test_a_portal_configuration_offering_other_prices_stops_start_up(
    tmp_path: Path, emulator: Emulator
) -> None:
    made = provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url})
    assert made.portal_configuration_id is not None
    client.v1.billing_portal.configurations.update(
        made.portal_configuration_id,
        params={
            "features": {
                "subscription_update": {
                    "products": [
                        {"product": "premium_notes_pro", "prices": [made.prices["pro_monthly"]]}
                    ]
                }
            }
        },
    )
    with pytest.raises(ConfigurationError, match="not the catalog's prices") as error:
        create_app(settings(tmp_path, emulator))
    assert "flask stripe-provision" in str(error.value)
    provision(KEY, webhook_url=HOOK, api_base=emulator.url, catalog=load_catalog(CATALOG))
    create_app(settings(tmp_path, emulator))  # provisioning again puts it right
