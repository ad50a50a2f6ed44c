"""Stripe's form encoding: ``line_items[0][price]=price_1&expand[]=customer``.

:func:`decode_form` turns the flat pairs of a form body or query string into
nested dicts and lists; :class:`Params` reads typed values from the result and
raises Stripe's errors (``parameter_missing``, ``parameter_unknown``...) for bad
input, so that a route never fails with a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import (
    StripeError,
    not_emulated,
    parameter_invalid,
    parameter_missing,
    parameter_unknown,
)

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 8
MAX_TIMESTAMP = 32_503_680_000  # 3000-01-01: far enough, and safe for calendar arithmetic
_MAX_INDEX = 1000
# Keys under these names are free-form strings, never list indices.
_FREE_FORM = frozenset({"metadata"})


class FormError(StripeError):
    """A form whose keys cannot be read as Stripe's bracket notation."""


def _segments(key: str) -> list[str]:
    match = _KEY.match(key)
    if match is None:
        raise FormError(f"Invalid parameter name: {key!r}.", param=key)
    segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
    if len(segments) > _MAX_DEPTH:
        raise FormError(f"Parameter nested too deeply: {key!r}.", param=key)
    return segments


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode ``(key, value)`` pairs in bracket notation into nested dicts and lists.

    ``a[b]=1`` gives ``{"a": {"b": "1"}}``; ``a[0]=x&a[1]=y`` and ``a[]=x&a[]=y``
    give ``{"a": ["x", "y"]}``. Values stay strings. A key used both as a value
    and as a container raises :class:`FormError`.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        segments = _segments(key)
        node = root
        for depth, segment in enumerate(segments):
            last = depth == len(segments) - 1
            if segment == "":
                segment = str(len(node))
            if last:
                if isinstance(node.get(segment), dict):
                    raise FormError(f"Invalid parameter structure for {key!r}.", param=key)
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise FormError(f"Invalid parameter structure for {key!r}.", param=key)
                node = child
    return {key: _listify(value, key) for key, value in root.items()}


def _listify(node: Any, name: str) -> Any:
    """Turn dicts whose keys are all indices into lists, ordered by index."""
    if not isinstance(node, dict):
        return node
    if name in _FREE_FORM:
        return {key: _listify(value, "") for key, value in node.items()}
    children = {key: _listify(value, key) for key, value in node.items()}
    if children and all(key.isdigit() for key in children):
        indices = sorted(children, key=int)
        if int(indices[-1]) > _MAX_INDEX:
            raise FormError(f"Array index too large in {name!r}.", param=name)
        return [children[index] for index in indices]
    return children


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class Params:
    """Typed, validated access to decoded Stripe parameters.

    ``prefix`` names the enclosing parameter, so errors point at
    ``line_items[0][price]`` rather than ``price``.
    """

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self._data = dict(data)
        self._prefix = prefix

    def name(self, key: str) -> str:
        """The full parameter name of ``key`` as Stripe reports it."""
        return f"{self._prefix}[{key}]" if self._prefix else key

    def has(self, key: str) -> bool:
        return key in self._data

    def is_empty(self, key: str) -> bool:
        """True when the parameter was sent as an empty string (Stripe's "unset")."""
        return self._data.get(key) == ""

    def keys(self) -> list[str]:
        return list(self._data)

    def raw(self) -> dict[str, Any]:
        return dict(self._data)

    def check_known(self, known: Iterable[str]) -> None:
        """Raise ``parameter_unknown`` for the first parameter not in ``known``."""
        allowed = set(known) | {"expand"}
        for key in self._data:
            if key not in allowed:
                raise parameter_unknown(self.name(key))

    def refuse(self, key: str, what: str) -> None:
        """``not_emulated`` when the parameter was sent with a value (Stripe accepts it,
        the emulator cannot do it). An empty value (Stripe's "unset") is accepted."""
        if self._data.get(key) not in (None, "", [], {}):
            raise not_emulated(self.name(key), what)

    def only(self, key: str, value: str, what: str) -> str | None:
        """The parameter, which may only be ``value`` (what the emulator always does)."""
        given = self.string(key)
        if given is not None and given != value:
            raise not_emulated(self.name(key), what)
        return given

    def disabled(self, key: str, what: str) -> bool:
        """A ``key[enabled]`` hash that may only say false; True if it was sent."""
        nested = self.nested(key)
        if nested is None:
            return False
        nested.check_known(("enabled",))
        if nested.boolean("enabled"):
            raise not_emulated(nested.name("enabled"), what)
        return True

    def _scalar(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise parameter_invalid(self.name(key), f"Invalid value for {self.name(key)}.")
        return value

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
        max_length: int = 5000,
    ) -> str | None:
        value = self._scalar(key)
        if value is None or value == "":
            if required:
                raise parameter_missing(self.name(key))
            return None
        if len(value) > max_length:
            raise parameter_invalid(
                self.name(key), f"{self.name(key)} must be at most {max_length} characters."
            )
        if choices is not None:
            options = list(choices)
            if value not in options:
                raise parameter_invalid(
                    self.name(key),
                    f"Invalid {self.name(key)}: must be one of {', '.join(options)}",
                )
        return value

    def required_string(self, key: str, *, choices: Iterable[str] | None = None) -> str:
        value = self.string(key, required=True, choices=choices)
        assert value is not None
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._scalar(key)
        if value is None or value == "":
            if required:
                raise parameter_missing(self.name(key))
            return None
        try:
            number = int(value, 10)
        except ValueError:
            raise parameter_invalid(
                self.name(key),
                f"Invalid integer: {value[:100]}",
                code="parameter_invalid_integer",
            ) from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise parameter_invalid(
                self.name(key),
                f"Invalid {self.name(key)}: must be {bounds}",
                code="parameter_invalid_integer",
            )
        return number

    def required_integer(self, key: str, *, minimum: int | None = None) -> int:
        value = self.integer(key, required=True, minimum=minimum)
        assert value is not None
        return value

    def timestamp(self, key: str, *, required: bool = False) -> int | None:
        """A Unix time between 1970 and the year 3000 (further would overflow dates)."""
        return self.integer(key, required=required, minimum=0, maximum=MAX_TIMESTAMP)

    def required_timestamp(self, key: str) -> int:
        value = self.timestamp(key, required=True)
        assert value is not None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self._scalar(key)
        if value is None or value == "":
            return None
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise parameter_invalid(
            self.name(key), f"Invalid boolean: {value[:100]}", code="parameter_invalid_boolean"
        )

    def nested(self, key: str) -> Params | None:
        """The nested parameters under ``key`` (``recurring[interval]``), or None."""
        value = self._data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise parameter_invalid(
                self.name(key), f"Invalid object: {self.name(key)} must be a hash of parameters."
            )
        return Params(value, self.name(key))

    def array(self, key: str) -> list[Any]:
        value = self._data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            # A single value where Stripe expects an array: Stripe accepts it as one item.
            return [value]
        if isinstance(value, dict):
            raise parameter_invalid(
                self.name(key), f"Invalid array: {self.name(key)} must be an array."
            )
        return list(value)

    def strings(self, key: str) -> list[str]:
        items = self.array(key)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise parameter_invalid(
                    f"{self.name(key)}[{index}]", f"Invalid string: {self.name(key)}[{index}]"
                )
        return items

    def hashes(self, key: str) -> list[Params]:
        result = []
        for index, item in enumerate(self.array(key)):
            name = f"{self.name(key)}[{index}]"
            if not isinstance(item, dict):
                raise parameter_invalid(name, f"Invalid object: {name} must be a hash.")
            result.append(Params(item, name))
        return result

    def metadata(self, key: str = "metadata") -> dict[str, str | None] | None:
        """Metadata as sent: ``None`` values mean "delete this key" (sent as ``""``).

        Returns None when the parameter is absent, ``{}`` when it was sent empty
        (which clears all keys on update).
        """
        value = self._data.get(key)
        if value is None:
            return None
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise parameter_invalid(
                self.name(key), f"Invalid object: {self.name(key)} must be a hash."
            )
        if len(value) > 50:
            raise parameter_invalid(self.name(key), "Metadata can have at most 50 keys.")
        result: dict[str, str | None] = {}
        for meta_key, meta_value in value.items():
            name = f"{self.name(key)}[{meta_key}]"
            if not isinstance(meta_value, str):
                raise parameter_invalid(name, f"Invalid metadata value for {name}.")
            if len(meta_key) > 40:
                raise parameter_invalid(name, "Metadata keys must be at most 40 characters.")
            if len(meta_value) > 500:
                raise parameter_invalid(name, "Metadata values must be at most 500 characters.")
            result[meta_key] = meta_value or None
        return result


def apply_metadata(current: dict[str, str], update: dict[str, str | None] | None) -> None:
    """Merge a :meth:`Params.metadata` update into ``current`` in place, as Stripe does."""
    if update is None:
        return
    if not update:
        current.clear()
        return
    for key, value in update.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value


def new_metadata(update: dict[str, str | None] | None) -> dict[str, str]:
    """Metadata for a new object (empty values are dropped)."""
    result: dict[str, str] = {}
    apply_metadata(result, update or None)
    return result
