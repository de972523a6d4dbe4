from __future__ import annotations

import pytest

from accounts.models import Role, User
from accounts.services.auth import user_register
from accounts.tests.factories import PASSWORD
from guardiannest.errors import ApplicationError, Refusal

pytestmark = pytest.mark.django_db


def register(**overrides: str) -> User:
    fields = {"email": "ana@example.com", "password": PASSWORD, "role": "sitter", "first_name": "Ana"} | overrides
    return user_register(**fields)


def test_user_register_creates_a_user_with_a_hashed_password() -> None:
    user = register(email="Ana@Example.COM")

    stored = User.objects.get(pk=user.pk)
    assert (stored.email, stored.role, stored.is_staff) == ("ana@example.com", Role.SITTER, False)
    assert stored.password != PASSWORD
    assert stored.check_password(PASSWORD)


@pytest.mark.parametrize("role", [Role.STAFF, "superuser"])
def test_user_register_never_makes_staff(role: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        register(role=role)

    assert caught.value.refusal == Refusal.INVALID
    assert list(caught.value.errors or {}) == ["role"]
    assert not User.objects.exists()


def test_user_register_refuses_a_password_like_the_name() -> None:
    with pytest.raises(ApplicationError) as caught:
        register(password="anabanana1", first_name="anabanana")

    assert "password" in (caught.value.errors or {})
    assert not User.objects.exists()


def test_user_register_answers_a_taken_email_with_an_unsaved_user_whatever_its_case(parent: User) -> None:
    answered = register(email="PARENT@example.com")

    assert answered.pk != parent.pk and answered._state.adding
    assert User.objects.count() == 1
