"""The mail of the use cases under test: the real templates, links to a made-up site,
and the links read back out of the outbox."""

import re
from collections.abc import Iterable

from adapters.mail import JinjaEmailRenderer
from application.billing_notices import BillingNotices
from application.mail import Mailer, SiteLinks
from application.ports import OutboxEntry
from domain.access import AccessPolicy

SITE = "https://notes.test"
_LINK = re.compile(r"https?://[^\s<>\"')]+")


def a_mailer() -> Mailer:
    return Mailer(JinjaEmailRenderer(), SiteLinks(SITE))


def billing_notices(policy: AccessPolicy) -> BillingNotices:
    return BillingNotices(a_mailer(), policy)


def links_in(text: str, path: str = "") -> list[str]:
    """The links of `text` whose path starts with `path` (`/verify-email/`)."""
    found = [link.rstrip(".,") for link in _LINK.findall(text)]
    return [link for link in found if re.sub(r"^https?://[^/]+", "", link).startswith(path)]


def link_to(entries: Iterable[OutboxEntry], address: str, path: str) -> str:
    """The newest link to `path` in the emails to `address`."""
    found = [
        link
        for entry in entries
        if str(entry.message.to) == address.lower()
        for link in links_in(entry.message.text, path)
    ]
    if not found:
        raise AssertionError(f"no email to {address} holds a link to {path}")
    return found[-1]


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def token_of(link: str) -> str:
    """The token at the end of an emailed link."""
    return link.rstrip("/").rsplit("/", 1)[1]
