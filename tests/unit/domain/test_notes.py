"""A note: its address, its header's rules, and what a locked note shows of itself."""

import pytest

from domain.access import AccessPolicy
from domain.catalog import BASIC, PREMIUM, PRO
from domain.notes import Note, NoteError


def a_note(body: str = "The first paragraph.\n\nThe second.", **changes: object) -> Note:
    fields: dict[str, object] = {"slug": "a-note", "title": "A note", "summary": "About it."}
    fields.update(changes)
    return Note(body=body, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"slug": ""},
        {"slug": "Capital"},
        {"slug": "../etc/passwd"},
        {"slug": "two--hyphens"},
        {"slug": "trailing-"},
        {"title": " "},
        {"summary": ""},
        {"title": "two\nlines"},
        {"requires": "free"},
        {"requires": ""},
        {"requires": "Notes Pro"},
        {"body": "  \n "},
    ],
)
def test_a_malformed_note_is_refused(changes: dict[str, object]) -> None:
    body = str(changes.pop("body", "Text."))
    with pytest.raises(NoteError):
        a_note(body, **changes)


def test_a_note_without_requires_is_free() -> None:
    assert a_note().is_free
    assert not a_note(requires="notes.pro").is_free


def test_the_opening_is_the_first_paragraph_only() -> None:
    assert a_note().opening == "The first paragraph."


def test_the_opening_skips_headings_lists_quotes_and_code() -> None:
    body = (
        "# A heading\n\nSetext heading\n===\n\n- a list\n- of things\n\n> a quote\n\n"
        "```\ncode\n```\n\n    indented code\n\n| a | b |\n\nThe prose\nstarts here.\n\nMore."
    )
    assert a_note(body).opening == "The prose starts here."


def test_the_opening_is_never_a_piece_of_code_with_blank_lines_in_it() -> None:
    body = "```python\nfirst = 1\n\nsecret = 2\n```\n\n~~~\nunclosed\n\nstill code"
    assert a_note(body + "\n\nnot reached").opening == ""
    assert a_note("```\na\n\nb\n```\n\nProse.").opening == "Prose."


def test_a_note_without_prose_opens_with_nothing() -> None:
    assert a_note("# Only a heading\n\n- and a list").opening == ""


def test_the_one_plan_setup_includes_every_entitlement_a_shipped_note_asks_for() -> None:
    policy = AccessPolicy.selling("price_1")
    (plan,) = policy.catalog.plans
    assert {PREMIUM, BASIC, PRO} <= plan.includes
    for entitlement in (PREMIUM, BASIC, PRO):
        assert policy.catalog.plans_including(entitlement) == (plan,)


@pytest.mark.parametrize(
    "rest",
    [
        "\n1. SECRET step one\n2. SECRET step two",
        "\n- SECRET item",
        "\n## SECRET heading\nSECRET paid text.",
        "\n> SECRET quote",
        "\n| a | b |\n|---|---|\n| SECRET | y |",
        "\n***\nSECRET after a rule",
        "\n***\n- SECRET item",
        "\u2028SECRET after a line separator\n- SECRET item",
    ],
)
def test_a_locked_notes_opening_stops_where_another_block_starts(rest: str) -> None:
    opening = a_note("Teaser paragraph, free to read:" + rest + "\n\nMore SECRET.").opening
    assert opening.startswith("Teaser paragraph, free to read:")
    assert "\n" not in opening
    assert "SECRET" not in opening.replace("SECRET after a line separator", "")


def test_an_emphasised_first_paragraph_is_the_opening() -> None:
    assert a_note("***Warning*** read this first.\n\nSecond.").opening == (
        "***Warning*** read this first."
    )
