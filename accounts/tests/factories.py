"""Accounts rows for tests: users of each role, their family rows, and authenticators.

``MfaParentFactory()`` (or ``TOTPDeviceFactory(user=someone)``) gives an account
that signs in with MFA on, as the login benchmark and other apps' tests need.
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Child, EmergencyContact, FavoriteSitter, ParentProfile, Role, TOTPDevice, User
from accounts.models.family import years_before

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


# Family rows, each belonging to a fresh parent unless one is given.


class ParentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParentProfile

    user = factory.SubFactory(ParentFactory)
    address = "12 Elm Street, Springfield"
    phone = "+14155550100"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    parent = factory.SubFactory(ParentFactory)
    first_name = factory.Faker("first_name")
    birth_date = factory.LazyFunction(lambda: years_before(timezone.localdate(), 5))
    allergies = "Peanuts"
    medical_notes = "Inhaler in the red bag"
    special_needs = ""


class EmergencyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyContact

    parent = factory.SubFactory(ParentFactory)
    name = "Grace Hopper"
    phone = "+14155550111"
    relationship = "Grandmother"
    priority = 1


class FavoriteSitterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FavoriteSitter

    parent = factory.SubFactory(ParentFactory)
    sitter = factory.SubFactory(SitterFactory)


# Users with a second factor (the codes their app would show: accounts.tests.mfa_helpers).


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator (pass ``confirmed=False`` for one still being set up)."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(ParentFactory)
    name = "authenticator"
    confirmed = True


class MfaParentFactory(ParentFactory):
    """A parent with MFA on: ``user.totpdevice_set.get()`` is the device."""

    device = factory.RelatedFactory(TOTPDeviceFactory, factory_related_name="user")


class MfaStaffFactory(StaffFactory):
    device = factory.RelatedFactory(TOTPDeviceFactory, factory_related_name="user")
