"""The admin shows family rows (of the demo data) but never their encrypted details."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Child, EmergencyContact, ParentProfile, User
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SECRETS = ["EpiPen", "Peanuts", "Asthma", "Torstrasse", "Kastanienallee", "+4930901820", "Greta", "Lucia"]


@pytest.mark.parametrize("model", [Child, EmergencyContact, ParentProfile])
def test_the_admin_never_shows_decrypted_details(staff_client: Client, model: type) -> None:
    base = f"/admin/accounts/{model._meta.model_name}/"
    pages = [base, *(f"{base}{pk}/change/" for pk in model.objects.values_list("pk", flat=True))]

    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert [secret for secret in SECRETS if secret in content] == [], url


def test_the_admin_lists_children_by_first_name(staff_client: Client) -> None:
    assert "Mia" in staff_client.get("/admin/accounts/child/").content.decode()


def test_deleting_a_child_in_the_admin_is_audited(staff_client: Client) -> None:
    child = Child.objects.get(first_name="Noah")

    response = staff_client.post(f"/admin/accounts/child/{child.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Child.objects.filter(pk=child.pk).exists()
    event = AuditEvent.objects.get(action="family.child_deleted", target_id=str(child.pk))
    assert event.actor_id == User.objects.get(email="staff@guardiannest.demo").pk
