"""Helpers shared by the ``/v1`` routes: the blueprint, parameters, JSON answers, lists."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from flask import Blueprint, Response, current_app, g

from .. import objects, search
from ..errors import parameter_invalid, resource_missing
from ..forms import Params
from ..objects import Json
from ..services import Services

api = Blueprint("stripe_api", __name__, url_prefix="/v1")

LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")


def services() -> Services:
    return current_app.extensions["stripe_emulator"]  # type: ignore[no-any-return]


def params() -> Params:
    return g.params  # type: ignore[no-any-return]


def respond(obj: Json, status: int = 200) -> Response:
    """Answer ``obj`` as JSON, expanding what the request's ``expand[]`` asks for."""
    store = services().store
    body = store.render(obj, params().strings("expand"))
    return json_response(body, status)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, indent=2) + "\n", status=status, mimetype="application/json")


def url_param(p: Params, key: str, *, required: bool = False) -> str | None:
    """A URL parameter; only http(s) URLs are accepted, as on Stripe."""
    url = p.string(key, required=required, max_length=5000)
    if url is not None and not url.startswith(("http://", "https://")):
        raise parameter_invalid(p.name(key), f"Not a valid URL: {p.name(key)}")
    return url


# -- lists ------------------------------------------------------------------


def range_filter(p: Params, key: str, value: Callable[[Json], int]) -> Callable[[Json], bool]:
    """A list filter on a timestamp: ``key=T`` or ``key[gt|gte|lt|lte]=T``."""
    if not p.has(key):
        return lambda obj: True
    bounds = p.nested(key) if isinstance(p.raw().get(key), dict) else None
    if bounds is None:
        exact = p.integer(key)
        return lambda obj: exact is None or value(obj) == exact
    bounds.check_known(("gt", "gte", "lt", "lte"))
    gt, gte = bounds.integer("gt"), bounds.integer("gte")
    lt, lte = bounds.integer("lt"), bounds.integer("lte")

    def accept(obj: Json) -> bool:
        moment = value(obj)
        return (
            (gt is None or moment > gt)
            and (gte is None or moment >= gte)
            and (lt is None or moment < lt)
            and (lte is None or moment <= lte)
        )

    return accept


def list_response(
    items: Iterable[Json], url: str, predicate: Callable[[Json], bool] | None = None
) -> Response:
    """A Stripe list of ``items`` (given oldest first), newest first, paginated."""
    p = params()
    accept_created = range_filter(p, "created", lambda obj: obj["created"])
    ordered = [
        obj
        for obj in reversed(list(items))
        if accept_created(obj) and (predicate is None or predicate(obj))
    ]
    limit = p.integer("limit", minimum=1, maximum=100) or 10
    starting_after, ending_before = p.string("starting_after"), p.string("ending_before")
    ids = [obj["id"] for obj in ordered]
    if starting_after is not None:
        if starting_after not in ids:
            raise resource_missing("object", starting_after, param="starting_after")
        start = ids.index(starting_after) + 1
        page, has_more = ordered[start : start + limit], len(ordered) > start + limit
    elif ending_before is not None:
        if ending_before not in ids:
            raise resource_missing("object", ending_before, param="ending_before")
        end = ids.index(ending_before)
        page, has_more = ordered[max(0, end - limit) : end], end - limit > 0
    else:
        page, has_more = ordered[:limit], len(ordered) > limit
    store = services().store
    body = store.render(objects.list_object(page, url, has_more=has_more), p.strings("expand"))
    return json_response(body)


_PAGE = re.compile(r"^page_(\d{1,9})$")


def keyed(*names: str) -> dict[str, search.Field]:
    """Search fields that are the object's own keys of the same names."""
    return {name: itemgetter(name) for name in names}


def search_response(
    items: Iterable[Json], url: str, resource: str, fields: Mapping[str, search.Field]
) -> Response:
    """A Stripe ``search_result`` of ``items`` (given oldest first) that ``query`` finds.

    Newest first, ``limit`` at a time; ``next_page`` is the ``page`` of the next ones.
    ``expand[]=total_count`` adds how many were found in all.
    """
    p = params()
    p.check_known(("query", "limit", "page"))
    accept = search.matcher(p.required_string("query"), resource, fields)
    found = [obj for obj in reversed(list(items)) if accept(obj)]
    limit = p.integer("limit", minimum=1, maximum=100) or 10
    page = p.string("page")
    start = 0
    if page is not None:
        match = _PAGE.match(page)
        if match is None:
            raise parameter_invalid("page", f"Invalid page: {page[:100]}")
        start = int(match.group(1))
    more = len(found) > start + limit
    body: Json = {
        "object": "search_result",
        "data": found[start : start + limit],
        "has_more": more,
        "next_page": f"page_{start + limit}" if more else None,
        "url": url,
    }
    expand = p.strings("expand")
    if "total_count" in expand:
        body["total_count"] = len(found)
    store = services().store
    return json_response(store.render(body, [e for e in expand if e != "total_count"]))


def _with_lock(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Run a handler while holding the store's lock."""

    def wrapper(**kwargs: Any) -> Response:
        with services().store.lock:
            return handler(**kwargs)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def route(rule: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
    def decorate(handler: Callable[..., Response]) -> Any:
        return api.route(rule, methods=methods)(_with_lock(handler))

    return decorate
