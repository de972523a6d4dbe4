from __future__ import annotations

from base64 import b32decode
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

import pytest

from accounts.models import TOTPDevice, User
from accounts.services.mfa import mfa_totp_setup, qr_svg
from accounts.tests import verified_personas
from accounts.tests.mfa_helpers import actions_on
from guardiannest.errors import ApplicationError, Refusal

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_setup_creates_an_unconfirmed_device_and_describes_it(parent: User) -> None:
    setup = mfa_totp_setup(user=parent)

    device = TOTPDevice.objects.get(user=parent)
    assert device.confirmed is False
    assert parent.mfa_enabled is False
    assert b32decode(setup.secret + "=" * (-len(setup.secret) % 8)) == device.bin_key
    uri = urlsplit(setup.otpauth_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/GuardianNest:parent@example.com"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["GuardianNest"]
    assert query["secret"] == [setup.secret]
    assert (query["digits"], query["period"], query["algorithm"]) == (["6"], ["30"], ["SHA1"])
    assert "mfa.setup_started" in actions_on(parent)


def test_the_qr_code_is_an_svg_of_the_uri(parent: User) -> None:
    setup = mfa_totp_setup(user=parent)

    root = ElementTree.fromstring(setup.qr_svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert setup.qr_svg == qr_svg(setup.otpauth_uri)
    assert setup.qr_svg != qr_svg(setup.otpauth_uri + "x")


def test_a_repeated_setup_replaces_the_unconfirmed_device(parent: User) -> None:
    first = mfa_totp_setup(user=parent)
    second = mfa_totp_setup(user=parent)

    assert TOTPDevice.objects.filter(user=parent).count() == 1
    assert first.secret != second.secret
    assert TOTPDevice.objects.get(user=parent).bin_key == b32decode(second.secret + "=" * (-len(second.secret) % 8))


def test_setup_is_refused_while_mfa_is_on(parent: User, device: TOTPDevice) -> None:
    with pytest.raises(ApplicationError) as caught:
        mfa_totp_setup(user=parent)

    assert (caught.value.code, caught.value.refusal) == ("mfa_already_enabled", Refusal.CONFLICT)
    assert list(TOTPDevice.objects.filter(user=parent)) == [device]
