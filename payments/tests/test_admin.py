"""The payments back office: read-only pages, and refunds through the service with the finance permission."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import StaffFactory
from payments.admin import PaymentAdmin
from payments.models import LedgerEntry, Payment, Refund
from payments.services import payment_authorise, payment_capture

pytestmark = pytest.mark.django_db


def _captured(parent: User, sitter: User) -> Payment:
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-1", actor=sitter)
    return payment_capture(payment=payment, amount=4000, actor=parent)


def test_every_payments_page_renders_read_only(staff_client: Client, parent: User, sitter: User) -> None:
    payment = _captured(parent, sitter)
    for model in ("payment", "refund", "ledgerentry", "providerevent"):
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
