from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirect).

    Refused: absolute URLs, scheme-relative `//host`, the backslash trick `/\\host`
    (browsers read `\\` as `/`), control characters, and anything not starting with `/`.
    """
    if not target or not target.startswith("/") or len(target) > 2048:
        return default
    if target.startswith(("//", "/\\")) or "\\" in target:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
