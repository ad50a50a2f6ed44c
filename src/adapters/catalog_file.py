"""The catalog file (TOML) into the domain's `Catalog`."""

import tomllib
from pathlib import Path
from typing import Any

from domain.catalog import Catalog, CatalogError, Interval, Plan, PlanPrice


def load_catalog(path: Path) -> Catalog:
    """Read and check the catalog; any mistake is a `CatalogError` naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogError(f"cannot read the catalog {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"the catalog {path} is not valid TOML: {error}") from None
    try:
        return Catalog(tuple(_plan(raw, rank) for rank, raw in enumerate(data["plans"])))
    except (KeyError, TypeError, ValueError) as error:
        raise CatalogError(f"the catalog {path}: {_reason(error)}") from None


def _plan(raw: dict[str, Any], rank: int) -> Plan:
    includes = raw["includes"]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ValueError(f"plan {raw.get('key')}: includes must be a list of names")
    return Plan(
        key=_text(raw, "key"),
        name=_text(raw, "name"),
        includes=frozenset(includes),
        prices=tuple(_price(p) for p in raw["prices"]),
        trial_days=int(raw.get("trial_days", 0)),
        trial_without_card=bool(raw.get("trial_without_card", False)),
        rank=rank,
    )


def _price(raw: dict[str, Any]) -> PlanPrice:
    amount = raw["amount"]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"price {raw.get('lookup_key')}: amount must be a whole number >= 0")
    return PlanPrice(
        lookup_key=_text(raw, "lookup_key"),
        interval=Interval(raw["interval"]),
        amount=amount,
        currency=_text(raw, "currency").lower(),
    )


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be text")
    return value


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing {error.args[0]!r}"
    return str(error)
