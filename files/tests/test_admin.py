"""Staff review and delete files in the admin, through the files services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import TOTPDevice
from files.models import StoredFile
from files.tasks import file_objects_delete_task
from files.tests import samples
from files.tests.helpers import audit_actions, ready

pytestmark = pytest.mark.django_db


def admin_client(staff: Any) -> Client:
    """A staff member in the admin with an OTP-verified session, as OTPAdminSite requires."""
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_staff_approve_and_reject_in_the_admin(sitter_api: APIClient, staff: Any) -> None:
    cert = ready(sitter_api, samples.pdf(), "certification")
    id_doc = ready(sitter_api, samples.jpeg(), "id_document")
    client = admin_client(staff)

    page = client.get(f"/admin/files/storedfile/{id_doc.pk}/change/")
    listing = client.get("/admin/files/storedfile/?purpose__exact=certification")
    approve = client.post(
        "/admin/files/storedfile/", {"action": "approve", "_selected_action": [str(cert.pk)]}, follow=True
    )
    reject = client.post(
        "/admin/files/storedfile/", {"action": "reject", "_selected_action": [str(id_doc.pk)]}, follow=True
    )

    assert page.status_code == 200 and f"/api/v1/files/{id_doc.pk}/content?variant=original" in page.content.decode()
    assert listing.status_code == 200 and str(cert.pk) in listing.content.decode()
    assert approve.status_code == 200 and reject.status_code == 200
    cert.refresh_from_db()
    id_doc.refresh_from_db()
    assert (cert.review, cert.reviewed_by) == ("approved", staff)
    assert id_doc.review == "rejected"
    assert "file.reviewed" in audit_actions(cert)


def test_staff_delete_through_the_service_in_the_admin(
    parent_api: APIClient, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    file = ready(parent_api, samples.png(), "avatar")
    client = admin_client(staff)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/admin/files/storedfile/{file.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not StoredFile.objects.filter(pk=file.pk).exists()
    assert [cb.func for cb in callbacks] == [file_objects_delete_task.delay]
    assert audit_actions(file)[-1] == "file.deleted"
