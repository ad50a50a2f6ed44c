"""Stripe's search query language, for ``GET /v1/{customers,prices,...}/search?query=``.

A query is clauses joined by ``AND`` or by ``OR`` (not both), at most 10::

    email:'jenny@example.com' AND metadata['user_id']:'7'
    status:'active' OR -created<1700000000
    name~'jen'

Each clause is an optional ``-`` (not), a field (or ``metadata['key']``), an operator
and a value: ``:`` (equal, case-insensitive for text; ``null`` for no value), ``~``
(contains, at least 3 characters), and ``>``, ``<``, ``>=``, ``<=`` for numbers. Text
values are quoted ('...' or "..."), numbers are not. Unlike Stripe's, the emulator's
index is up to date at once (Stripe's lags by about a minute).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import StripeError
from .objects import Json

MAX_CLAUSES = 10
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<and>AND\b) | (?P<or>OR\b)
      | (?P<clause>
            (?P<neg>-)?
            (?P<field>metadata\[(?P<mq>['"])(?P<key>[^'"]*)(?P=mq)\] | [a-z_][a-z0-9_.]*)
            (?P<op>>=|<=|:|~|>|<)
            (?P<value>(?P<vq>['"])(?P<text>(?:\\.|(?!(?P=vq)).)*)(?P=vq) | -?\d+(?:\.\d+)? | null)
        )
    )""",
    re.VERBOSE,
)

Field = Callable[[Json], Any]


@dataclass(frozen=True)
class Clause:
    negated: bool
    field: str
    metadata_key: str | None
    op: str
    value: str | float | None


def _invalid(message: str) -> StripeError:
    return StripeError(message, param="query")


def parse(query: str) -> tuple[list[Clause], str]:
    """The clauses and how they are joined (``AND`` or ``OR``); StripeError if invalid."""
    clauses: list[Clause] = []
    joins: set[str] = set()
    position, expect_clause = 0, True
    while position < len(query.rstrip()):
        match = _TOKEN.match(query, position)
        if match is None or (match.group("clause") is None) == expect_clause:
            raise _invalid(
                f"Invalid search query at character {position + 1}: {query[position:][:40]!r}. "
                "See https://stripe.com/docs/search#search-query-language."
            )
        position = match.end()
        if match.group("clause") is None:
            joins.add("AND" if match.group("and") else "OR")
        else:
            clauses.append(_clause(match))
        expect_clause = not expect_clause
    if not clauses or expect_clause:
        raise _invalid("The search query is empty or ends with AND/OR.")
    if len(joins) > 1:
        raise _invalid("A search query cannot combine AND and OR.")
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(f"A search query has at most {MAX_CLAUSES} clauses.")
    return clauses, joins.pop() if joins else "AND"


def _clause(match: re.Match[str]) -> Clause:
    raw = match.group("value")
    value: str | float | None
    if match.group("vq"):
        value = re.sub(r"\\(.)", r"\1", match.group("text"))
    elif raw == "null":
        value = None
    else:
        value = float(raw)
    op = match.group("op")
    if op == "~" and (not isinstance(value, str) or len(value) < 3):
        raise _invalid("A substring match (~) needs a quoted value of at least 3 characters.")
    if op in (">", "<", ">=", "<=") and not isinstance(value, float):
        raise _invalid(f"The comparison {op} needs a number.")
    key = match.group("key")
    return Clause(
        bool(match.group("neg")),
        "metadata" if key is not None else match.group("field"),
        key,
        op,
        value,
    )


def matcher(query: str, resource: str, fields: Mapping[str, Field]) -> Callable[[Json], bool]:
    """A predicate for the objects ``query`` finds; ``fields`` are those searchable."""
    clauses, join = parse(query)
    for clause in clauses:
        if clause.field != "metadata" and clause.field not in fields:
            raise _invalid(
                f"Field `{clause.field}` is an unsupported search field for resource "
                f"`{resource}`. Fields the emulator searches: "
                f"{', '.join(sorted([*fields, 'metadata']))}."
            )

    def accept(obj: Json) -> bool:
        results = (_matches(clause, obj, fields) for clause in clauses)
        return all(results) if join == "AND" else any(results)

    return accept


def _matches(clause: Clause, obj: Json, fields: Mapping[str, Field]) -> bool:
    if clause.metadata_key is not None:
        actual = obj["metadata"].get(clause.metadata_key)
    else:
        actual = fields[clause.field](obj)
    return _compare(clause, actual) != clause.negated


def _compare(clause: Clause, actual: Any) -> bool:
    expected = clause.value
    if clause.op == ":":
        if expected is None:
            return actual is None or actual == ""
        if isinstance(actual, bool):
            return str(actual).lower() == str(expected).lower()
        if isinstance(expected, float):
            return isinstance(actual, int | float) and actual == expected
        return actual is not None and str(actual).casefold() == expected.casefold()
    if clause.op == "~":
        return actual is not None and str(expected).casefold() in str(actual).casefold()
    if not isinstance(actual, int | float) or isinstance(actual, bool):
        return False
    assert isinstance(expected, float)
    return {
        ">": actual > expected,
        "<": actual < expected,
        ">=": actual >= expected,
        "<=": actual <= expected,
    }[clause.op]
