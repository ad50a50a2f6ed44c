"""The Celery event queue adapter against a Redis of the test's own: what it puts on
the broker is a Celery task message for the worker's apply task, one broker connection
carries every send of a process, and a broker that went away costs one failed send."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import redis

from adapters.celery_queue import APPLY_EVENT_TASK, CeleryEventQueue, producer_app
from tests.support.local_run import free_port
from tests.support.redis_server import redis_server


def _messages(url: str) -> list[dict[str, Any]]:
    """The messages waiting in Celery's default queue, oldest first."""
    raw: list[bytes] = redis.Redis.from_url(url).lrange("celery", 0, -1)  # type: ignore[assignment]
    return [json.loads(item) for item in reversed(raw)]


def _connections(server: redis.Redis) -> int:
    """Connections the Redis server has accepted since it started."""
    stats: dict[str, Any] = server.info("stats")  # type: ignore[assignment]
    return int(stats["total_connections_received"])


def _args(message: dict[str, Any]) -> list[Any]:
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return list(args)


def test_an_enqueued_event_is_a_task_message_for_the_apply_task(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        queue = CeleryEventQueue(producer_app(url))

        queue.enqueue("evt_first")
        queue.enqueue("evt_second")

        messages = _messages(url)
    assert [m["headers"]["task"] for m in messages] == [APPLY_EVENT_TASK] * 2
    assert [_args(m) for m in messages] == [["evt_first"], ["evt_second"]]
    assert messages[0]["content-type"] == "application/json"
    ids = [m["headers"]["id"] for m in messages]
    assert len(set(ids)) == 2
    assert [m["properties"]["correlation_id"] for m in messages] == ids


def test_every_send_of_a_process_goes_over_one_broker_connection(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        server = redis.Redis.from_url(url)
        queue = CeleryEventQueue(producer_app(url))
        queue.enqueue("evt_0")
        opened = _connections(server)

        for number in range(1, 50):
            queue.enqueue(f"evt_{number}")

        assert _connections(server) == opened
        assert server.llen("celery") == 50


def test_a_send_after_the_broker_came_back_gets_through(tmp_path: Path) -> None:
    port = free_port()
    queue = CeleryEventQueue(producer_app(f"redis://127.0.0.1:{port}/0"))
    with redis_server(tmp_path / "before", port) as url:
        queue.enqueue("evt_before")
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises for a dead socket
        queue.enqueue("evt_while_down")

    with redis_server(tmp_path / "after", port) as url:
        queue.enqueue("evt_after")

        assert [_args(m) for m in _messages(url)] == [["evt_after"]]
