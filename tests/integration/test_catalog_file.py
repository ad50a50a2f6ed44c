"""The catalog file in the repo, and mistakes in one, read as the app reads them."""

from pathlib import Path

import pytest

from adapters.catalog_file import load_catalog
from domain.catalog import CatalogError, Interval

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"


def test_the_repos_catalog_sells_basic_and_pro_monthly_and_yearly() -> None:
    catalog = load_catalog(REPO_CATALOG)
    assert [p.key for p in catalog.plans] == ["basic", "pro"]
    pro = catalog.plan("pro")
    assert pro is not None and pro.rank > catalog.plans[0].rank
    assert {p.interval for p in pro.prices} == {Interval.MONTH, Interval.YEAR}
    assert catalog.lookup_keys == ("basic_monthly", "basic_yearly", "pro_monthly", "pro_yearly")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("plans = 3", "catalog"),
        ("[[plans]]\nkey = 'a'", "missing"),
        ("not toml at all [", "not valid TOML"),
        (
            "[[plans]]\nkey='a'\nname='A'\nincludes=['x']\n"
            "[[plans.prices]]\nlookup_key='a_m'\ninterval='fortnight'\namount=1\ncurrency='usd'",
            "fortnight",
        ),
        (
            "[[plans]]\nkey='a'\nname='A'\nincludes=['x']\n"
            "[[plans.prices]]\nlookup_key='a_m'\ninterval='month'\namount=-1\ncurrency='usd'",
            "amount",
        ),
    ],
)
def test_a_broken_catalog_is_one_error_naming_the_file(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    with pytest.raises(CatalogError, match=reason) as raised:
        load_catalog(path)
    assert str(path) in str(raised.value)


def test_a_missing_catalog_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nope.toml")
