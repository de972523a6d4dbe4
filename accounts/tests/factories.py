from __future__ import annotations

import factory

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


class ParentFactory(UserFactory):
    role = Role.PARENT


class SitterFactory(UserFactory):
    role = Role.SITTER


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
