"""Notification kinds: each app registers its own, each has its templates, and no other name is sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

from accounts.models import User
from messaging.kinds import Category, Channel, Kind, all_kinds, get_kind, register
from messaging.models import Notification
from messaging.services.notifications import notify

NOTIFICATION_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications"


def _parts(kind: Kind) -> list[str]:
    parts = ["title.txt", "body.txt"]
    if Channel.EMAIL in kind.channels:
        parts += ["email.txt", "email.html"]
    if Channel.SMS in kind.channels:
        parts.append("sms.txt")
    return parts


@pytest.mark.parametrize("kind", all_kinds(), ids=lambda kind: kind.name)
def test_every_registered_kind_has_the_templates_of_its_channels(kind: Kind) -> None:
    for part in _parts(kind):
        get_template(kind.template(part))  # TemplateDoesNotExist fails the test


def test_every_template_folder_belongs_to_a_registered_kind() -> None:
    folders = {path.name for path in NOTIFICATION_TEMPLATES.iterdir() if path.is_dir()}

    assert folders == {kind.template_dir.removeprefix("notifications/") for kind in all_kinds()}


def test_each_app_registers_its_own_kinds_and_messaging_names_none_of_theirs() -> None:
    owners = {"sitter": "sitters", "booking": "bookings", "payment": "payments", "emergency": "emergencies"}
    owners |= {"chat": "messaging", "marketing": "messaging"}
    root = Path(settings.BASE_DIR)
    kinds_module = (root / "messaging" / "kinds.py").read_text()

    for kind in all_kinds():
        prefix = kind.name.split(".")[0]
        assert f'"{kind.name}"' in (root / owners[prefix] / "apps.py").read_text()
        assert not re.search(rf"\b{re.escape(kind.name)}\b", kinds_module)
    assert set(owners) == {kind.name.split(".")[0] for kind in all_kinds()}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account.password_reset", "account.mfa_changed", "booking.unheard_of"])
def test_a_kind_no_app_registered_is_refused(parent: User, name: str) -> None:
    with pytest.raises(KeyError, match="no app registered"):
        get_kind(name)
    with pytest.raises(KeyError, match="no app registered"):
        notify(user=parent, kind=name, context={"link": "https://app.example/x", "change": "enabled"})

    assert not Notification.objects.exists()


def test_another_kind_under_a_registered_name_is_refused_and_the_same_one_is_a_no_op() -> None:
    accepted = get_kind("booking.accepted")

    register(accepted)
    with pytest.raises(ValueError, match="already registered"):
        register(Kind("booking.accepted", Category.MARKETING, frozenset({Channel.EMAIL})))

    assert get_kind("booking.accepted") is accepted
