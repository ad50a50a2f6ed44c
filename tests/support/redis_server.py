"""A Redis server of the test's own, on a free port of 127.0.0.1 (no other test or
helper on the machine shares its queues). Skipped when `redis-server` is not installed,
unless REQUIRE_REDIS=1 (CI), which makes that a failure."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.local_run import free_port


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Its URL (database 0), for the block's duration."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed; set REQUIRE_REDIS=1 to make this a failure"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except redis.RedisError:
                assert process.poll() is None, "redis-server exited at start-up"
                assert time.monotonic() < deadline, "redis-server did not answer in time"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
