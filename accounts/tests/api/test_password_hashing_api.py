"""Argon2id for new hashes; imported bcrypt-sha256 hashes verify and are upgraded; weak passwords refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import override_settings
from rest_framework.test import APIClient

import guardiannest.settings as production
from accounts.models import User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

IMPORTED = "an-imported-bcrypt-passphrase"


def test_production_hashes_with_argon2id_and_accepts_bcrypt_sha256() -> None:
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password(PASSWORD)
        assert encoded.startswith("argon2$argon2id$")
        assert check_password(PASSWORD, make_password(PASSWORD, hasher="bcrypt_sha256"))


def test_an_imported_bcrypt_hash_signs_in_and_is_upgraded_to_argon2(api: APIClient, parent: User) -> None:
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        # given: a hash imported from the old system
        User.objects.filter(pk=parent.pk).update(password=make_password(IMPORTED, hasher="bcrypt_sha256"))
        parent.refresh_from_db()
        assert identify_hasher(parent.password).algorithm == "bcrypt_sha256"
        # when
        response = api.post("/api/v1/auth/login", {"email": parent.email, "password": IMPORTED}, format="json")
        # then
        assert response.status_code == 200, response.content
        parent.refresh_from_db()
        assert parent.password.startswith("argon2")
        assert parent.check_password(IMPORTED)


def test_a_wrong_password_does_not_upgrade_an_imported_hash(api: APIClient, parent: User) -> None:
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        User.objects.filter(pk=parent.pk).update(password=make_password(IMPORTED, hasher="bcrypt_sha256"))

        response = api.post("/api/v1/auth/login", {"email": parent.email, "password": "wrong-password"})

        assert response.status_code == 401
        parent.refresh_from_db()
        assert parent.password.startswith("bcrypt_sha256$")


@pytest.mark.parametrize("password", ["password123456", "Xk7#pQ2!z"], ids=["common", "nine_characters"])
def test_registration_refuses_weak_passwords(api: APIClient, password: str) -> None:
    body: dict[str, Any] = {
        "email": "weak@example.com",
        "password": password,
        "role": "sitter",
        "first_name": "W",
        "last_name": "K",
    }

    response = api.post("/api/v1/auth/register", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_ten_characters_are_enough(api: APIClient) -> None:
    body = {"email": "ten@example.com", "password": "Xk7#pQ2!zW", "role": "parent", "first_name": "T", "last_name": "N"}

    assert api.post("/api/v1/auth/register", body, format="json").status_code == 201
