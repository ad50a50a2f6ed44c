from dataclasses import dataclass
from functools import partial

from application.ports import Clock, PaymentGateway, UnitOfWork
from application.retry import write
from application.subscription_sync import apply_event
from domain.access import AccessPolicy
from domain.errors import CheckoutNotYours
from domain.provider_events import BillingEvent, BillingEventKind
from domain.user import User


@dataclass(frozen=True)
class ConfirmCheckoutCommand:
    user_id: str
    session_id: str


@dataclass(frozen=True)
class ConfirmCheckoutResult:
    paid: bool
    premium: bool  # what the success page may promise


class ConfirmCheckout:
    """The success page's call: grant access now instead of waiting for the webhook.

    Rules: the checkout is fetched from the provider (the session id in the URL proves
    nothing by itself); it must belong to the signed-in user (`CheckoutNotYours`
    otherwise); a paid checkout is applied through the same path as the webhook's
    `checkout.session.completed`, so whichever comes second changes nothing.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        gateway: PaymentGateway,
        clock: Clock,
        policy: AccessPolicy,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._policy = policy

    def execute(self, command: ConfirmCheckoutCommand) -> ConfirmCheckoutResult:
        session = self._gateway.get_checkout_session(command.session_id)
        if session.user_ref != command.user_id:
            raise CheckoutNotYours()
        if not session.paid:
            return ConfirmCheckoutResult(paid=False, premium=False)
        event = BillingEvent(
            id=f"confirm:{session.id}",
            kind=BillingEventKind.CHECKOUT_COMPLETED,
            provider_type="checkout.session.completed",
            # The provider's time of the answer: our clock may run ahead of the provider's.
            occurred_at=session.as_of or self._clock.now(),
            user_ref=session.user_ref,
            customer_id=session.customer_id,
            subscription_id=session.subscription_id,
        )
        user = write(self._uow, partial(self._apply, event, command.user_id))
        return ConfirmCheckoutResult(
            paid=True, premium=self._policy.grants_premium(user, self._clock.now())
        )

    def _apply(self, event: BillingEvent, user_id: str, uow: UnitOfWork) -> User:
        apply_event(uow, self._gateway, self._policy, event)
        return uow.users.require(user_id)
