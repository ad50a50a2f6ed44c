"""A Python load generator, for machines without wrk: `python -m bench.loadgen`.

Closed loop, like wrk: each of `--connections` clients sends a request, waits for the
whole answer, and sends the next, until the duration is over (with `--once`: until each
request was sent once; the bench posts its queue backlog so). gunicorn's sync workers
close the connection after every answer, so each request opens its own (as wrk does
against them). Prints the same one-line JSON summary as wrk_script.lua.

It runs on the same cores as the servers and costs more CPU per request than wrk, so
its absolute rates are lower; ratios to bare Flask measured with it are still fair
between them, but not comparable with wrk's.
"""

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.requests_file import Request, read_requests


@dataclass
class Tally:
    good: int = 0
    bad: int = 0
    socket_errors: int = 0
    wrapped: int = 0
    latencies: list[float] = field(default_factory=list)


def encode(request: Request, host: str) -> bytes:
    body = request.body.encode()
    head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in request.headers.items()]
    if body or request.method == "POST":
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def judge(answer: bytes, status: int, texts: tuple[bytes, ...]) -> bool:
    line_end = answer.find(b"\r\n")
    parts = answer[:line_end].split(b" ", 2)
    if len(parts) < 2 or parts[1] != str(status).encode():
        return False
    if not texts:
        return True
    body = answer[answer.find(b"\r\n\r\n") + 4 :]
    return any(text in body for text in texts)


async def client(
    host: str,
    port: int,
    payloads: list[bytes],
    deadline: float,
    status: int,
    texts: tuple[bytes, ...],
    tally: Tally,
    once: bool = False,
) -> None:
    position = 0
    while time.monotonic() < deadline:
        if position == len(payloads):
            if once:
                return
            position = 0
            tally.wrapped += 1
        payload = payloads[position]
        position += 1
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            answer = await reader.read(-1)  # the server closes after the answer
            writer.close()
        except OSError:
            tally.socket_errors += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        if judge(answer, status, texts):
            tally.good += 1
        else:
            tally.bad += 1


async def run(
    url: str,
    requests: list[Request],
    duration: float,
    connections: int,
    status: int,
    texts: tuple[str, ...],
    once: bool = False,
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    encoded = [encode(r, parts.netloc) for r in requests]
    # Each client its own share (no two send the same event); too few to share: all of them.
    many = len(encoded) >= connections
    shares = [encoded[i::connections] if many else encoded for i in range(connections)]
    tally = Tally()
    started = time.monotonic()
    deadline = started + duration
    expected = tuple(t.encode() for t in texts)
    await asyncio.gather(
        *(
            client(host, port, share, deadline, status, expected, tally, once)
            for share in shares
            if share
        )
    )
    seconds = time.monotonic() - started
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "good": tally.good,
        "bad": tally.bad,
        "socket_errors": tally.socket_errors,
        "wrapped": tally.wrapped,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def percentile(ordered: list[float], rank: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(rank / 100 * len(ordered)) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("requests", type=Path, help="request file (bench.requests_file)")
    parser.add_argument("status", type=int, help="the expected status")
    parser.add_argument("texts", nargs="*", help="an expected answer holds one of these")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--once",
        action="store_true",
        help="send each request once, then stop (the duration is only a limit)",
    )
    args = parser.parse_args(argv)
    summary = asyncio.run(
        run(
            args.url,
            read_requests(args.requests),
            args.duration,
            args.connections,
            args.status,
            tuple(args.texts),
            args.once,
        )
    )
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
