"""Family rows for tests, each belonging to a fresh parent unless one is given."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Child, EmergencyContact, FavoriteSitter, ParentProfile
from accounts.models.family import years_before
from accounts.tests.factories import ParentFactory, SitterFactory


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
