from __future__ import annotations

import pytest
from django.db import IntegrityError

from accounts.models import Role, User
from accounts.tests.factories import ParentFactory

pytestmark = pytest.mark.django_db


def test_create_user_lower_cases_the_email() -> None:
    user = User.objects.create_user("Ana.B@EXAMPLE.com", "a-long-password", role=Role.PARENT)

    assert user.email == "ana.b@example.com"
    assert User.objects.get_by_natural_key("ANA.B@example.COM") == user


def test_save_lower_cases_the_email() -> None:
    user = ParentFactory(email="Mixed@Case.Example")

    assert User.objects.get(pk=user.pk).email == "mixed@case.example"


def test_create_superuser_is_staff_with_the_staff_role() -> None:
    user = User.objects.create_superuser("boss@example.com", "a-long-password")

    assert (user.role, user.is_staff, user.is_superuser) == (Role.STAFF, True, True)


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "Upper@Example.com"},  # stored email must be lower-case
        {"role": "admin"},  # unknown role
        {"is_staff": True},  # admin access without the staff role
    ],
)
def test_database_refuses_what_save_would_never_write(parent: User, changes: dict[str, object]) -> None:
    with pytest.raises(IntegrityError):
        User.objects.filter(pk=parent.pk).update(**changes)


def test_email_is_unique(parent: User) -> None:
    with pytest.raises(IntegrityError):
        ParentFactory(email="PARENT@example.com")


def test_names_and_email_verified() -> None:
    user = ParentFactory.build(first_name="Ana", last_name="Bell")

    assert (user.get_full_name(), user.get_short_name(), user.email_verified) == ("Ana Bell", "Ana", False)
