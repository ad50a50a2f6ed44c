"""Domain errors: each says, in words a page can show, what went wrong."""


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    message = "That did not work."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or type(self).message
        super().__init__(self.message)


class InvalidEmail(DomainError):
    message = "Please enter a valid email address."


class WeakPassword(DomainError):
    message = "That password is not allowed."


class EmailAlreadyRegistered(DomainError):
    message = "An account with this email already exists. Log in instead."


class InvalidCredentials(DomainError):
    message = "Invalid email or password."


class UserNotFound(DomainError):
    message = "No such account."


class SubscriptionRequired(DomainError):
    message = "This content is for subscribers. Subscribe to read it."


class NoteNotFound(DomainError):
    message = "There is no note here."


class AlreadySubscribed(DomainError):
    message = "You already have a subscription. Manage it in the billing portal."


class UnknownPlan(DomainError):
    message = "That plan is not on sale. Choose one on the pricing page."


class PlanChangeRefused(DomainError):
    """A change of plan the policy does not allow now; the message says why and what to do."""

    message = "That plan change is not possible now."


class PlanChangeExpired(DomainError):
    message = "What you confirmed was priced a while ago. Please look at the change again."


class NoBillingAccount(DomainError):
    message = "You have no billing account yet. Subscribe first."


class CheckoutNotFound(DomainError):
    message = "We could not find that checkout. If you paid, your access will appear shortly."


class CheckoutNotYours(DomainError):
    message = "That checkout belongs to another account."


class InvalidWebhook(DomainError):
    message = "Invalid webhook."


class PaymentProviderError(DomainError):
    message = "The payment provider could not be reached. Please try again in a moment."


class PaymentDeclined(DomainError):
    message = "The payment provider refused the request."


class CustomerMissing(PaymentProviderError):
    """The provider does not know the stored billing customer (deleted in the provider's
    dashboard, keys of another account or mode, a local emulator that lost its state)."""

    message = "We could not find your billing account. Please try again."


class EmailDeliveryFailed(DomainError):
    """The mail server could not be reached, or refused the message.

    `detail` says why, for the log (it never holds a credential). `permanent` is True
    when sending the same message again cannot work (the server refused the recipient
    or the content, 5xx), False when a later try may (unreachable, timed out, 4xx, a
    log-in refused until the setting is fixed).
    """

    message = "The email could not be sent. Please try again in a moment."

    def __init__(self, detail: str = "", *, permanent: bool = False) -> None:
        super().__init__()
        self.detail = detail
        self.permanent = permanent

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})" if self.detail else self.message


class CancellationRefused(DomainError):
    """Cancelling or resuming is not possible now; the message says why."""

    message = "You have no subscription to cancel."
