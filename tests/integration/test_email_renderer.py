"""Messages made from the Jinja templates in adapters/mail/templates."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.mail import JinjaEmailRenderer
from application.mail import SiteLinks
from domain.catalog import Interval, PlanPrice
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


LINK = "https://notes.example/verify-email/u1.secret"
CONTEXTS: dict[str, dict[str, object]] = {
    "verify_email": {"link": LINK, "welcome": True},
    "already_registered": {"email": "ann@example.com"},
    "password_reset": {"link": LINK},
    "password_changed": {"reset_link": LINK},
    "email_change": {"link": LINK, "old_email": "old@example.com"},
    "email_change_taken": {"email": "ann@example.com"},
    "email_changed": {"old_email": "old@example.com", "new_email": "new@example.com"},
    "payment_failed": {
        "plan_name": "Pro",
        "amount": 1200,
        "currency": "eur",
        "grace_ends": datetime(2026, 12, 30, 23, 0, tzinfo=UTC),
        "link": LINK,
    },
    "trial_ending": {
        "plan_name": "Pro",
        "trial_ends": datetime(2026, 12, 30, tzinfo=UTC),
        "needs_card": False,
        "ends_with_trial": False,
        "price": PlanPrice("pro_yearly", Interval.YEAR, 12000, "usd", "price_1"),
        "link": LINK,
    },
    "subscription_canceled": {
        "plan_name": "Pro",
        "access_until": datetime(2026, 12, 30, tzinfo=UTC),
        "link": LINK,
    },
    "subscription_ended": {
        "plan_name": "Pro",
        "ended_at": datetime(2026, 12, 30, tzinfo=UTC),
        "link": LINK,
    },
    "receipt": {
        "plan_name": "Pro",
        "amount": 1200,
        "currency": "eur",
        "period_start": datetime(2026, 12, 1, 9, tzinfo=UTC),
        "period_end": datetime(2027, 1, 1, 9, tzinfo=UTC),
        "invoice_number": "9A1B2C3D-0002",
        "invoice_url": "https://invoice.stripe.com/i/acct_1/test_abc?s=ap",
        "paid_at": datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
        "link": LINK,
    },
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_account_email_renders_both_parts_from_its_context(name: str) -> None:
    links = SiteLinks("https://notes.example")
    context = {"links": links, "site_url": links.home(), **CONTEXTS[name]}
    message = JinjaEmailRenderer().render(name, ANN, context)
    assert message.html is not None and "<!doctype html>" in message.html
    for part in (message.subject, message.text, message.html):
        assert "None" not in part and "{{" not in part
    if "link" in CONTEXTS[name]:
        assert LINK in message.text and LINK in message.html


def test_dates_and_money_read_as_a_person_writes_them() -> None:
    message = JinjaEmailRenderer().render(
        "payment_failed", ANN, {**CONTEXTS["payment_failed"], "links": None, "site_url": "x"}
    )
    assert "€12.00" in message.text
    assert "30 December 2026" in message.text
    trial = JinjaEmailRenderer().render(
        "trial_ending", ANN, {**CONTEXTS["trial_ending"], "links": None, "site_url": "x"}
    )
    assert "$120.00 a year" in trial.text
    assert trial.subject == "Your Premium Notes Pro trial ends on 30 December 2026"


def test_a_payment_failed_after_the_grace_says_access_has_stopped() -> None:
    context = {**CONTEXTS["payment_failed"], "grace_ends": None, "amount": None}
    message = JinjaEmailRenderer().render("payment_failed", ANN, {**context, "site_url": "x"})
    assert "access has stopped" in message.text
    assert "We could not charge your card for" in " ".join(message.text.split())


def test_a_receipt_shows_the_amount_in_its_currency_the_period_and_the_invoice() -> None:
    context = {**CONTEXTS["receipt"], "site_url": "x"}
    message = JinjaEmailRenderer().render("receipt", ANN, context)
    assert message.subject == "Your receipt for Premium Notes Pro: €12.00"
    text = " ".join(message.text.split())
    assert "payment of €12.00 for Premium Notes Pro, for 1 December 2026 to 1 January 2027" in text
    assert "Invoice 9A1B2C3D-0002, paid on 1 December 2026" in text
    assert "https://invoice.stripe.com/i/acct_1/test_abc?s=ap" in message.text
    assert message.html is not None
    assert 'href="https://invoice.stripe.com/i/acct_1/test_abc?s=ap"' in message.html
    yen = JinjaEmailRenderer().render("receipt", ANN, {**context, "amount": 500, "currency": "jpy"})
    assert yen.subject == "Your receipt for Premium Notes Pro: ¥500"  # no minor units


def test_a_receipt_in_forints_states_the_amount_stripe_charged() -> None:
    # Stripe counts HUF in hundredths and charges two-decimal amounts (12345 = 123.45 Ft);
    # CLDR shows HUF without decimals, so Babel's usual digits would say "HUF 123". Same
    # for IDR, COP, LAK, MMK, IQD (Stripe: two decimals; CLDR: none).
    context = {**CONTEXTS["receipt"], "site_url": "x", "amount": 12345, "currency": "huf"}
    message = JinjaEmailRenderer().render("receipt", ANN, context)
    assert "123.45" in message.subject, message.subject
    assert "123.45" in message.text


def test_a_receipt_without_number_period_or_page_says_what_it_knows() -> None:
    context = {
        **CONTEXTS["receipt"],
        "site_url": "x",
        "invoice_number": None,
        "invoice_url": None,
        "period_start": None,
        "period_end": None,
    }
    message = JinjaEmailRenderer().render("receipt", ANN, context)
    text = " ".join(message.text.split())
    assert "payment of €12.00 for Premium Notes Pro. Paid on 1 December 2026." in text
    assert message.html is not None
    for part in (message.text, message.html):
        assert "None" not in part and "invoice.stripe.com" not in part
    assert LINK in message.html
