"""The account page's words: never a raw provider status, never an ISO date."""

import re
from datetime import UTC, datetime

import pytest

from application.use_cases.get_account import AccountView, DateMeaning, KeyDate
from domain.subscription import SubscriptionStatus
from entrypoints.flask_app.account_page import AccountPage

MOMENT = datetime(2026, 12, 30, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize("status", list(SubscriptionStatus))
@pytest.mark.parametrize("meaning", list(DateMeaning))
def test_every_status_and_date_reads_as_words(
    status: SubscriptionStatus, meaning: DateMeaning
) -> None:
    view = AccountView(
        email="ann@example.com",
        has_premium=True,
        has_billing_account=True,
        status=status,
        subscription_id="sub_1",
        past_due=status is SubscriptionStatus.PAST_DUE,
        can_subscribe=False,
        key_date=KeyDate(meaning, MOMENT),
    )
    page = AccountPage.of(view)
    shown = " ".join(
        str(v) for v in (page.status_label, page.date_label, page.date_text, page.premium_text)
    )
    assert page.status_label not in (status.value, status.value.replace("_", " "))
    assert "_" not in shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown)
    assert page.date_text == "30 December 2026"
    assert page.status_label[0].isupper()
