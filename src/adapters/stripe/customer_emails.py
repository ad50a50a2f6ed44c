"""The billing customer's email at Stripe (`customers.update`), kept apart from the
gateway's module, which is long enough."""

import uuid
from typing import TYPE_CHECKING

from adapters.stripe.errors import NotFound, translated_errors
from domain.email import EmailAddress
from domain.errors import CustomerMissing

if TYPE_CHECKING:
    import stripe


class CustomerEmails:
    """`PaymentGateway.update_customer_email` for `StripePaymentGateway`, which mixes
    it in (and gives it `_client`)."""

    _client: "stripe.StripeClient"

    def update_customer_email(self, customer_id: str, email: EmailAddress) -> None:
        try:
            with translated_errors():
                self._client.v1.customers.update(
                    customer_id,
                    params={"email": email.value},
                    # Setting an address is idempotent by itself; a key per call (the SDK's
                    # retries reuse it), never one per address: A, then B, then A again
                    # would replay the first answer and leave B.
                    options={"idempotency_key": f"customer-email-{uuid.uuid4()}"},
                )
        except NotFound as error:  # a customer id in the path: a plain 404, no param
            raise CustomerMissing() from error
