"""A note's Markdown as HTML that is safe to put in a page, whatever the note says.

Two layers, each enough on its own for script:
- markdown-it-py (CommonMark) with raw HTML off: a `<script>` or `<img onerror>`
  written in a note is shown as text, and its link check drops `javascript:`,
  `vbscript:`, `file:` and most `data:` URLs;
- nh3 (the Ammonia sanitizer) then keeps only the tags and attributes Markdown makes,
  links and images only by http(s), mailto or a relative path, no `style` (the CSP
  refuses inline style), no `class`, no `id`, and `rel="noopener noreferrer"` on links.
"""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("em", "strong", "del", "s", "code", "pre", "blockquote"),
        *("ul", "ol", "li", "a", "img"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_cleaner = nh3.Cleaner(
    tags=set(TAGS),
    attributes=ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@lru_cache(maxsize=256)
def render_markdown(text: str) -> str:
    """Safe HTML for `text` (cached: notes are few and read often)."""
    return _cleaner.clean(_markdown.render(text))
