"""A picture sent in chat: the sender's own upload, readable by both people in the conversation only."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from files.tests.helpers import ready, uploaded
from files.tests.samples import jpeg
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_files(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.CLAMAV_URL = ""
    settings.FILES_SERVE_UNSCANNED = True
    settings.AWS_STORAGE_BUCKET_NAME = ""


def send(client: APIClient, conversation: Conversation, **body: Any) -> Any:
    return client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"body": "look", **body}, format="json")


def test_the_recipient_may_read_an_attached_picture_and_nobody_else(
    parent_api: APIClient, sitter: User, other_parent: User, conversation: Conversation
) -> None:
    # given a picture the parent uploaded for chat
    picture = ready(parent_api, jpeg(), "message_attachment")
    assert client_for(sitter).get(f"/api/v1/files/{picture.pk}").status_code == 404
    # when it is sent in the conversation
    response = send(parent_api, conversation, attachment_id=str(picture.pk))
    # then the sitter sees it, a stranger does not
    assert response.status_code == 201, response.content
    assert response.json()["attachment_id"] == str(picture.pk)
    seen = client_for(sitter).get(f"/api/v1/files/{picture.pk}")
    assert seen.status_code == 200 and seen.json()["url"]
    assert client_for(other_parent).get(f"/api/v1/files/{picture.pk}").status_code == 404


def test_someone_elses_upload_cannot_be_attached(
    parent_api: APIClient, other_parent: User, conversation: Conversation
) -> None:
    theirs = uploaded(client_for(other_parent), jpeg(), "message_attachment")
    response = send(parent_api, conversation, attachment_id=str(theirs.pk))
    assert_problem(response, 400, "unknown_attachment")
    assert not Message.objects.exists()


def test_an_avatar_is_not_a_chat_attachment(parent_api: APIClient, conversation: Conversation) -> None:
    avatar = uploaded(parent_api, jpeg(), "avatar")
    assert_problem(send(parent_api, conversation, attachment_id=str(avatar.pk)), 400, "unknown_attachment")
