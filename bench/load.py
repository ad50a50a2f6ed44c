"""Run one load: wrk when installed, else bench.loadgen, in a process of its own."""

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.requests_file import Request, write_requests

CONNECTIONS = 16
WRK_THREADS = 2
WRK_SCRIPT = Path(__file__).with_name("wrk_script.lua")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    good: int  # the expected status and body
    bad: int  # any other answer
    socket_errors: int
    wrapped: int  # times a client ran out of requests and began again (duplicates)
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.bad + self.socket_errors


def choose_tool(wanted: str) -> str:
    if wanted == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if wanted == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --loadgen python")
    return wanted


def run_load(
    tool: str,
    url: str,
    requests: list[Request],
    request_file: Path,
    *,
    duration: float,
    status: int,
    texts: tuple[str, ...] = (),
    connections: int = CONNECTIONS,
    once: bool = False,
) -> LoadResult:
    """Load `url` with `requests` for `duration` seconds; with `once`, send each
    request exactly once instead (bench.loadgen only; `duration` is then a limit)."""
    write_requests(request_file, requests)
    if tool == "wrk" and not once:
        command = [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout=10s",
            "-s",
            str(WRK_SCRIPT),
            url,
            "--",
            str(request_file),
            str(WRK_THREADS),
            str(status),
            *texts,
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "bench.loadgen",
            url,
            str(request_file),
            str(status),
            *texts,
            f"--duration={duration}",
            f"--connections={connections}",
            *(("--once",) if once else ()),
        ]
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    request_file.unlink(missing_ok=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return LoadResult(**json.loads(lines[-1]))
