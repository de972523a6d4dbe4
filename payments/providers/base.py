"""The interface every payment provider speaks, in our words; Stripe's SDK stays behind it.

Two implementations: :class:`payments.stripe_client.StripeProvider` (the only
module importing ``stripe``) and :class:`payments.providers.simulated.SimulatedProvider`
for the embedded default, which walks the same states.

Rules every implementation keeps:

- Each call that changes something takes ``idempotency_key``: one key per
  logical operation (``payment:<id>:capture``), so a retry after a timeout or
  a crash returns the first answer instead of moving money twice.
- A declined card raises :class:`ProviderDeclined` with the decline code, or,
  when the provider reports the intent with the decline (Stripe does, in
  ``CardError.error.payment_intent``), answers that intent in
  ``requires_payment_method`` with ``error_code`` set. An off-session payment
  the bank wants the parent to approve comes back as an intent in
  ``requires_action``, or declined with ``authentication_required``.
- :class:`ProviderUnavailable` means "try again later" (network, 5xx, 429);
  :class:`ProviderRefused` means the provider refused a well-formed request
  for good (already captured, amount too large …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class IntentStatus(StrEnum):
    """A PaymentIntent's status, as Stripe names them."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


@dataclass(frozen=True)
class Intent:
    id: str
    status: IntentStatus
    amount: int
    currency: str
    client_secret: str = ""
    payment_method_id: str = ""
    # Set once captured, when the provider reports it (Stripe's amount_received).
    amount_received: int | None = None
    error_code: str = ""
    # What the intent's charge reports, where the provider tells it (a retrieve): captured and
    # refunded so far. None when unknown. Reconciliation compares them with our rows.
    amount_captured: int | None = None
    amount_refunded: int | None = None

    @property
    def captured(self) -> int | None:
        """Money taken: the provider's amount received, else its charge's captured amount."""
        return self.amount_received if self.amount_received is not None else self.amount_captured


@dataclass(frozen=True)
class Card:
    id: str
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class SetupSession:
    id: str
    client_secret: str


@dataclass(frozen=True)
class RefundResult:
    id: str
    amount: int
    status: str  # pending | succeeded | failed


@dataclass(frozen=True)
class Dispute:
    """A chargeback (or inquiry) as the provider has it now."""

    id: str
    status: str
    amount: int
    currency: str
    payment_intent: str
    reason: str = ""
    evidence_due_by: int | None = None  # Unix seconds


@dataclass(frozen=True)
class ProviderEventData:
    """A verified webhook event: its id and type, and the id of the object it is about."""

    id: str
    type: str
    object_id: str
    object_type: str
    data: dict[str, Any] = field(default_factory=dict)
    created: int | None = None  # when the provider made it (Unix seconds), for the lag metric


@dataclass(frozen=True)
class ConnectedAccountState:
    """A sitter's connected account as the provider has it now."""

    id: str
    details_submitted: bool = False
    charges_enabled: bool = False
    payouts_enabled: bool = False


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount: int
    amount_reversed: int = 0


@dataclass(frozen=True)
class ReversalResult:
    id: str
    amount: int


@dataclass(frozen=True)
class AccountBalance:
    """A connected account's balance in one currency: paid out next (available), and still settling (pending)."""

    available: int
    pending: int


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ProviderUnavailable(ProviderError):
    """The provider cannot answer now; the same call (same key) may be tried again."""


class ProviderRefused(ProviderError):
    """The provider refused the request; trying it again will not help."""


class ProviderDeclined(ProviderRefused):
    """The card was declined; the parent may try another card."""


class SignatureInvalid(ProviderError):
    """A webhook whose signature does not verify (wrong secret, altered body, or too old)."""


class PaymentProvider(Protocol):
    name: str

    def customer_create(self, *, email: str, user_id: str, idempotency_key: str) -> str:
        """A new customer's id."""
        ...

    def customer_delete(self, *, customer_id: str) -> None:
        """Delete the customer and its saved cards at the provider (erasure); a customer already gone is fine.

        DELETE is idempotent at Stripe, which takes no idempotency key for it.
        """
        ...

    def setup_session_create(self, *, customer_id: str, idempotency_key: str) -> SetupSession:
        """A SetupIntent for saving a card for off-session use; the app confirms it with the client secret."""
        ...

    def cards_list(self, *, customer_id: str) -> list[Card]: ...

    def card_detach(self, *, card_id: str, idempotency_key: str) -> None: ...

    def intent_authorise(
        self,
        *,
        customer_id: str,
        card_id: str,
        amount: int,
        currency: str,
        reference: str,
        idempotency_key: str,
    ) -> Intent:
        """Create a manual-capture PaymentIntent and confirm it off-session on ``card_id``."""
        ...

    def intent_retrieve(self, *, intent_id: str) -> Intent:
        """The intent as the provider has it now, with what its charge captured and refunded."""
        ...

    def intent_capture(self, *, intent_id: str, amount: int, idempotency_key: str) -> Intent: ...

    def intent_cancel(self, *, intent_id: str, idempotency_key: str) -> Intent: ...

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundResult: ...

    def dispute_retrieve(self, *, dispute_id: str) -> Dispute:
        """The dispute as the provider has it now (webhook handlers re-read it rather than trust the event)."""
        ...

    def event_verify(self, *, payload: bytes, signature: str) -> ProviderEventData:
        """The event a webhook carries, once its signature is checked; :class:`SignatureInvalid` otherwise."""
        ...

    # --- Connect: sitters' accounts and the transfers paying them -----------------------------------

    def connected_account_create(self, *, email: str, user_id: str, idempotency_key: str) -> ConnectedAccountState:
        """A new Express account able to receive transfers."""
        ...

    def connected_account_retrieve(self, *, account_id: str) -> ConnectedAccountState: ...

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str) -> str:
        """A single-use onboarding URL (AccountLink of type account_onboarding) for the account's owner."""
        ...

    def transfer_create(
        self,
        *,
        account_id: str,
        amount: int,
        currency: str,
        transfer_group: str,
        source_intent_id: str,
        idempotency_key: str,
    ) -> TransferResult:
        """Move ``amount`` from the platform's balance to the account; funded by the intent's charge."""
        ...

    def transfer_reverse(self, *, transfer_id: str, amount: int, idempotency_key: str) -> ReversalResult: ...

    def balance_retrieve(self, *, account_id: str, currency: str) -> AccountBalance: ...
