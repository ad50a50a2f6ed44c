"""Messages made from the Jinja templates in adapters/mail/templates."""

from pathlib import Path

import pytest

from adapters.mail import JinjaEmailRenderer
from domain.email import EmailAddress

ANN = EmailAddress("ann@example.com")


def test_the_test_email_has_a_subject_a_text_and_an_html_part() -> None:
    message = JinjaEmailRenderer().render(
        "test_email", ANN, {"sent_at": "2026-01-01 12:00 UTC", "site_url": "https://notes.example"}
    )
    assert message.to == ANN
    assert message.subject == "Test email from Premium Notes"
    assert "sent at 2026-01-01 12:00 UTC to ann@example.com" in message.text
    assert "The site: https://notes.example" in message.text
    assert message.html is not None
    assert '<a href="https://notes.example"' in message.html
    assert "<!doctype html>" in message.html  # the layout it extends


def test_values_are_escaped_in_the_html_part_and_left_alone_in_the_text() -> None:
    site = "https://notes.example/?a=1&b=<2>"
    message = JinjaEmailRenderer().render("test_email", ANN, {"sent_at": "now", "site_url": site})
    assert f"The site: {site}" in message.text
    assert message.html is not None
    assert "https://notes.example/?a=1&amp;b=&lt;2&gt;" in message.html
    assert site not in message.html


def test_a_missing_value_is_a_lookup_error_naming_it() -> None:
    with pytest.raises(LookupError, match="sent_at"):
        JinjaEmailRenderer().render("test_email", ANN, {"site_url": None})


@pytest.mark.parametrize("name", ["no_such_email", "../renderer", "Test_Email", "", "_layout"])
def test_an_unknown_template_is_a_lookup_error(name: str) -> None:
    with pytest.raises(LookupError):
        JinjaEmailRenderer().render(name, ANN, {})


def test_a_template_without_html_makes_a_text_only_message(tmp_path: Path) -> None:
    (tmp_path / "note.subject.txt").write_text("  A note\n  in two lines \n")
    (tmp_path / "note.txt").write_text("Hello {{ name }} & <you>\n")
    message = JinjaEmailRenderer(tmp_path).render("note", ANN, {"name": "Ann"})
    assert message.subject == "A note in two lines"  # one line, whatever the file says
    assert message.text == "Hello Ann & <you>\n"
    assert message.html is None


def test_an_html_part_whose_layout_is_missing_is_an_error_not_a_text_only_message(
    tmp_path: Path,
) -> None:
    (tmp_path / "note.subject.txt").write_text("A note")
    (tmp_path / "note.txt").write_text("Hello")
    (tmp_path / "note.html").write_text('{% extends "_gone.html" %}')
    with pytest.raises(LookupError, match=r"_gone\.html"):
        JinjaEmailRenderer(tmp_path).render("note", ANN, {})
