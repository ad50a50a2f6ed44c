"""What "nothing executable" means for HTML we serve from a note, checked by parsing it."""

from html.parser import HTMLParser

EXECUTABLE_TAGS = {"script", "iframe", "frame", "object", "embed", "style", "link", "meta"}
EXECUTABLE_TAGS |= {"base", "form", "svg", "math", "template", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def executable_parts(html: str) -> list[str]:
    """Everything in `html` a browser could run or that could restyle the page: script
    and its kin, on* handlers, style attributes, and URLs by any scheme but http(s) and
    mailto (javascript:, data:, vbscript:...). Empty: the HTML is inert."""
    problems = []
    if "<script" in html.lower():
        problems.append("<script")
    for tag, attrs in elements(html):
        if tag in EXECUTABLE_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc"):
                problems.append(f"<{tag} {name}=>")
            if name in URL_ATTRIBUTES and value is not None:
                url = "".join(value.split()).lower()  # browsers ignore whitespace in schemes
                scheme = url.split(":", 1)[0] if ":" in url.split("/", 1)[0] else ""
                if scheme and not url.startswith(SAFE_SCHEMES):
                    problems.append(f"<{tag} {name}={value}>")
    return problems
