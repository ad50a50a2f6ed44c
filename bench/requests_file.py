"""The request file both load generators read: one HTTP request a line.

A line is `method TAB path TAB headers TAB body`, the headers `Name: value` joined by
the unit separator (\\x1f). Bodies are compact JSON or form-encoded text: no tab, no
newline. wrk's script (wrk_script.lua) reads the same format.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    body: str = ""

    def line(self) -> str:
        headers = SEPARATOR.join(f"{name}: {value}" for name, value in self.headers.items())
        for part in (self.path, headers, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError("a request line cannot hold a tab or a newline")
        return f"{self.method}\t{self.path}\t{headers}\t{self.body}"


def write_requests(path: Path, requests: Iterable[Request]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for request in requests:
            out.write(request.line() + "\n")
            count += 1
    return count


def read_requests(path: Path) -> list[Request]:
    requests = []
    for line in path.read_text(encoding="utf-8").splitlines():
        method, target, raw_headers, body = line.split("\t")
        headers = dict(h.split(": ", 1) for h in raw_headers.split(SEPARATOR) if h)
        requests.append(Request(method, target, headers, body))
    return requests
