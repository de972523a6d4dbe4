"""The payments back office: read-only pages, and refunds through the service with the finance permission."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import StaffFactory
from payments.admin import DisputeCaseAdmin, PaymentAdmin, TransferAdmin
from payments.models import DisputeCase, LedgerEntry, Payment, Refund, SimulatedObject, Transfer
from payments.providers.base import Dispute
from payments.providers.simulated import SimulatedProvider
from payments.services import payment_authorise, payment_capture, transfer_settle
from payments.services.disputes import dispute_apply
from payments.tests.payout_helpers import onboarded

pytestmark = pytest.mark.django_db
DISPUTE = Dispute(id="dp_1", status="needs_response", amount=4000, currency="eur", payment_intent="")


def _captured(parent: User, sitter: User) -> Payment:
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-1", actor=sitter)
    return payment_capture(payment=payment, amount=4000, actor=parent)


def test_every_payments_page_renders_read_only(staff_client: Client, parent: User, sitter: User) -> None:
    payment = _captured(parent, sitter)
    dispute_apply(payment=payment, dispute=DISPUTE, provider="simulated")
    for model in ("payment", "refund", "ledgerentry", "providerevent", "disputecase"):
        assert staff_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200, model
    page = staff_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # nothing to save: read-only
    entry = LedgerEntry.objects.filter(payment=payment).first()
    assert entry is not None
    assert (
        staff_client.post(reverse("admin:payments_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_refund_action_refunds_through_the_service(staff_client: Client, parent: User, sitter: User) -> None:
    payment = _captured(parent, sitter)
    data = {"action": "refund_all", "_selected_action": [str(payment.pk)], "index": "0", "select_across": "0"}

    staff_client.post(reverse("admin:payments_payment_changelist"), data)

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 4000)
    assert Refund.objects.get(payment=payment).created_by == User.objects.get(email="staff@guardiannest.demo")


def test_the_refund_action_needs_the_finance_permission() -> None:
    staff = StaffFactory()
    request = RequestFactory().get("/admin/payments/payment/")
    request.user = staff
    model_admin = PaymentAdmin(Payment, admin.site)
    staff.user_permissions.add(Permission.objects.get(codename="view_payment"))
    assert "refund_all" not in model_admin.get_actions(request)

    staff.user_permissions.add(Permission.objects.get(codename="refund_payment"))
    request.user = User.objects.get(pk=staff.pk)  # permissions are cached per user object
    assert "refund_all" in model_admin.get_actions(request)


# --- payouts: accounts and transfers, read-only; a refused transfer retried with the finance permission ---------


def _failed_transfer(parent: User, sitter: User) -> Transfer:
    account = onboarded(sitter)
    payment = _captured(parent, sitter)
    # The provider paused the account after we last read it: the transfer is refused.
    SimulatedObject.objects.filter(pk=account.provider_account_id).update(
        data={"id": account.provider_account_id, "payouts_enabled": False}
    )
    transfer = transfer_settle(payment=payment)
    assert transfer is not None and transfer.status == "failed"
    return transfer


def test_transfer_and_account_pages_render_read_only_with_filters(
    staff_client: Client, parent: User, sitter: User
) -> None:
    transfer = _failed_transfer(parent, sitter)

    for model in ("transfer", "connectedaccount"):
        assert staff_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200, model
    filtered = staff_client.get(reverse("admin:payments_transfer_changelist"), {"status__exact": "paid"})
    assert filtered.status_code == 200 and str(transfer.pk) not in filtered.content.decode()
    page = staff_client.get(reverse("admin:payments_transfer_change", args=[transfer.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_the_retry_action_retries_a_failed_transfer_through_the_service(
    staff_client: Client, parent: User, sitter: User
) -> None:
    transfer = _failed_transfer(parent, sitter)
    _provider_enables(transfer)
    data = {"action": "retry_transfer", "_selected_action": [str(transfer.pk)], "index": "0", "select_across": "0"}

    staff_client.post(reverse("admin:payments_transfer_changelist"), data)

    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts) == ("paid", 2)


def _provider_enables(transfer: Transfer) -> None:
    SimulatedProvider().connected_account_complete(account_id=transfer.account.provider_account_id)


def test_the_retry_action_needs_the_finance_permission() -> None:
    staff = StaffFactory()
    request = RequestFactory().get("/admin/payments/transfer/")
    request.user = staff
    model_admin = TransferAdmin(Transfer, admin.site)
    staff.user_permissions.add(Permission.objects.get(codename="view_transfer"))
    assert "retry_transfer" not in model_admin.get_actions(request)

    staff.user_permissions.add(Permission.objects.get(codename="refund_payment"))
    request.user = User.objects.get(pk=staff.pk)
    assert "retry_transfer" in model_admin.get_actions(request)


def test_staff_list_dispute_cases_by_status_and_take_one_with_the_finance_permission(
    staff_client: Client, parent: User, sitter: User
) -> None:
    payment = _captured(parent, sitter)
    case = dispute_apply(payment=payment, dispute=DISPUTE, provider="simulated")
    assert case is not None
    page = staff_client.get(reverse("admin:payments_disputecase_changelist"), {"status__exact": "needs_response"})
    assert page.status_code == 200 and b"dp_1" in page.content
    assert (
        b"dp_1"
        not in staff_client.get(reverse("admin:payments_disputecase_changelist"), {"status__exact": "won"}).content
    )

    data = {"action": "take_case", "_selected_action": [str(case.pk)], "index": "0", "select_across": "0"}
    staff_client.post(reverse("admin:payments_disputecase_changelist"), data)

    case.refresh_from_db()
    assert case.handled_by == User.objects.get(email="staff@guardiannest.demo") and case.handled_at is not None


def test_taking_a_dispute_case_needs_the_finance_permission() -> None:
    staff = StaffFactory()
    request = RequestFactory().get("/admin/payments/disputecase/")
    request.user = staff
    model_admin = DisputeCaseAdmin(DisputeCase, admin.site)
    staff.user_permissions.add(Permission.objects.get(codename="view_disputecase"))
    assert "take_case" not in model_admin.get_actions(request)

    staff.user_permissions.add(Permission.objects.get(codename="handle_dispute"))
    request.user = User.objects.get(pk=staff.pk)
    assert "take_case" in model_admin.get_actions(request)
