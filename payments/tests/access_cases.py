"""404-for-others cases of the payments routes (for tests/test_access_object_level.py's CASES)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _payment(request: pytest.FixtureRequest) -> Any:
    from payments.services import payment_authorise

    parent, sitter = request.getfixturevalue("parent"), request.getfixturevalue("sitter")
    return payment_authorise(payer=parent, payee=sitter, amount=5000, reference="object-level", actor=sitter)


def _payment_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for

    payment = _payment(request)
    for name in ("other_parent", "other_sitter"):
        assert_problem(
            client_for(request.getfixturevalue(name)).get(f"/api/v1/payments/{payment.pk}"), 404, "not_found"
        )


def _payment_refund(request: pytest.FixtureRequest) -> None:
    """Staff only: a parent, even the payer, is refused before any lookup (403), and nothing moves."""
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from payments.models import Refund

    payment = _payment(request)
    for name in ("parent", "other_parent"):
        response = client_for(request.getfixturevalue(name)).post(
            f"/api/v1/payments/{payment.pk}/refund", {}, format="json"
        )
        assert_problem(response, 403, "permission_denied")
    assert not Refund.objects.filter(payment=payment).exists()


def _payment_method_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from payments.models import PaymentMethod
    from payments.services import customer_for, payment_methods_sync

    method = payment_methods_sync(customer=customer_for(parent=request.getfixturevalue("parent")))[0]
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.delete(f"/api/v1/payments/methods/{method.pk}"), 404, "not_found")
    assert PaymentMethod.objects.filter(pk=method.pk).exists()


def _payment_receipt(request: pytest.FixtureRequest) -> None:
    """The signature is the credential: another payment's link, or none, opens nothing, signed in or not."""
    from conftest import client_for
    from payments.receipts import receipt_signature
    from payments.services import payment_authorise, payment_capture

    parent, sitter = request.getfixturevalue("parent"), request.getfixturevalue("sitter")
    payment = payment_capture(payment=_payment(request), amount=5000, actor=None)
    own = client_for(request.getfixturevalue("other_parent")).get(
        f"/api/v1/payments/{payment.pk}/receipt", {"signature": receipt_signature(payment_id=payment.pk)}
    )
    assert own.status_code == 200  # the payer's link opens the page
    other = payment_authorise(payer=parent, payee=sitter, amount=4000, reference="object-level-2", actor=sitter)
    other = payment_capture(payment=other, amount=4000, actor=None)
    for signature in (receipt_signature(payment_id=other.pk), ""):
        response = client_for(request.getfixturevalue("other_parent")).get(
            f"/api/v1/payments/{payment.pk}/receipt", {"signature": signature}
        )
        assert response.status_code == 404 and b"5000" not in response.content and b"50.00" not in response.content


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "payments:receipt": _payment_receipt,
    "payments:detail": _payment_detail,
    "payments:refund": _payment_refund,
    "payments:method-detail": _payment_method_detail,
}
