"""The CPU time of one argon2 verification with the service's parameters, measured the
way two workers spend it: in two processes at once (`python -m bench.hash_time`).

The log-in target is "2 workers / the hash's CPU time". A verification is memory-bound
(19 MiB, a fresh mapping each time), so its CPU time moves with what else runs on the
same cores and caches: alone on an idle machine it is the least it can be, while two
workers hash side by side. The bench measures it right before and after each log-in
load, in two processes hashing together, as it measures bare Flask beside each round.
"""

import json
import subprocess
import sys
import time

from adapters.argon2_hasher import Argon2PasswordHasher
from bench.stack import ROOT

PASSWORD = "a password to time"  # noqa: S105


def verify_seconds(count: int) -> float:
    """Mean CPU time of `count` verifications in this process (after one to warm up)."""
    hasher = Argon2PasswordHasher()
    stored = hasher.hash(PASSWORD)
    hasher.verify(stored, PASSWORD)
    started = time.process_time()
    for _ in range(count):
        hasher.verify(stored, PASSWORD)
    return (time.process_time() - started) / count


def verify_seconds_side_by_side(count: int = 8, processes: int = 2) -> float:
    """Mean CPU time of a verification in `processes` processes hashing at once."""
    command = [sys.executable, "-m", "bench.hash_time", str(count)]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)  # noqa: S603
        for _ in range(processes)
    ]
    seconds = []
    for process in running:
        out, _ = process.communicate(timeout=120)
        if process.returncode != 0:
            raise RuntimeError(f"bench.hash_time failed ({process.returncode})")
        seconds.append(float(json.loads(out.strip().splitlines()[-1])["seconds"]))
    return sum(seconds) / len(seconds)


if __name__ == "__main__":
    print(json.dumps({"seconds": verify_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 8)}))
