from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PARENT
    password = factory.django.Password(PASSWORD)

    class Params:
        # An owner who proved the mailbox (a day ago): may add passkeys, Firebase links and authenticators.
        verified = factory.Trait(email_verified_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)))


class ParentFactory(UserFactory):
    role = Role.PARENT


class SitterFactory(UserFactory):
    role = Role.SITTER


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
