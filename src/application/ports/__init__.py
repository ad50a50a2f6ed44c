"""Ports: what the use cases need from the outside world, as abstract classes.

Each docstring is a contract. The in-memory fakes in `adapters/memory` and the real
adapters pass the same contract tests (tests/contract), so a use case tested against
the fakes behaves the same in production. One module per boundary; everything is
importable from `application.ports`.
"""

from application.ports.clock import Clock
from application.ports.email import EmailRenderer, EmailSender
from application.ports.notes import NoteLibrary
from application.ports.outbox import Outbox, OutboxEntry, OutboxStatus
from application.ports.passwords import PasswordHasher
from application.ports.payments import (
    INVOICES_SHOWN,
    AccountBilling,
    ChangePreview,
    CheckoutOffer,
    CheckoutRedirect,
    PaymentGateway,
    PortalConfiguration,
    SubscriptionBilling,
)
from application.ports.storage import (
    ConcurrentUpdate,
    DataConflict,
    EventAlreadyRecorded,
    EventInbox,
    EventStatus,
    InboxRecord,
    UnitOfWork,
    UserRepository,
)

__all__ = [
    "INVOICES_SHOWN",
    "AccountBilling",
    "ChangePreview",
    "CheckoutOffer",
    "CheckoutRedirect",
    "Clock",
    "ConcurrentUpdate",
    "DataConflict",
    "EmailRenderer",
    "EmailSender",
    "EventAlreadyRecorded",
    "EventInbox",
    "EventStatus",
    "InboxRecord",
    "NoteLibrary",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "PasswordHasher",
    "PaymentGateway",
    "PortalConfiguration",
    "SubscriptionBilling",
    "UnitOfWork",
    "UserRepository",
]
