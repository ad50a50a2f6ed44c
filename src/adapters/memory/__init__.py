"""In-memory fakes of every port: small real implementations, not mocks.

They pass the same contract tests as the real adapters (tests/contract), so a use
case tested against them behaves the same in production. Use them to test new use
cases in milliseconds.
"""

from adapters.memory.clock import ManualClock
from adapters.memory.email_sender import InMemoryEmailSender, SentEmail
from adapters.memory.hasher import FakePasswordHasher
from adapters.memory.note_library import InMemoryNoteLibrary
from adapters.memory.payment_gateway import FakePaymentGateway
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork

__all__ = [
    "FakePasswordHasher",
    "FakePaymentGateway",
    "InMemoryEmailSender",
    "InMemoryNoteLibrary",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "ManualClock",
    "SentEmail",
]
