"""Passkeys (WebAuthn): registering a device's key and signing in with it.

Every ceremony starts with options carrying a random challenge that the
server keeps in the cache for ``WEBAUTHN_CHALLENGE_TTL`` seconds and redeems
exactly once (get, then delete: only the caller whose delete removed the key
may use it). A registration challenge is keyed by user, a sign-in challenge by
the hash of the challenge itself, which comes back inside the signed
clientDataJSON, so the client needs no extra id. Verification is py_webauthn's:
challenge, origin, RP ID hash, user presence and user verification, the
signature, and a sign count that must grow while either count is non-zero.

A passkey with user verification is possession plus biometrics or a PIN, so a
passkey sign-in is complete on its own: it does not ask for a TOTP code.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import nh3
import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.errors import AccountError, PasskeyError
from accounts.models import Passkey, User
from accounts.services.auth import tokens_for
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.mfa_changed import SignInChange, mfa_changed_notify
from accounts.services.sessions import session_start
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, invalid

logger = structlog.get_logger("accounts.passkeys")
T = TypeVar("T")

# What hostile bytes can make py_webauthn (and the base64/CBOR/JSON under it) raise.
_BAD_INPUT = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
_LOCALHOST_ORIGIN = re.compile(r"http://localhost(:[0-9]{1,5})?")
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
NAME_MAX_LENGTH = 64


# --- configuration -------------------------------------------------------------------------


def expected_origins(client_origin: object) -> list[str]:
    """The origins a ceremony may come from.

    ``WEBAUTHN_ORIGINS`` when set, else ``https://<RP ID>``. In DEBUG or
    embedded mode with the RP ID ``localhost`` (and no origins configured) a
    developer's ``http://localhost:<port>`` is accepted, whatever the port;
    that rule never applies to a deployment with DEBUG off and Redis.
    """
    configured = [str(origin) for origin in settings.WEBAUTHN_ORIGINS]
    if configured:
        return configured
    origins = [f"https://{settings.WEBAUTHN_RP_ID}"]
    local_dev = (settings.DEBUG or getattr(settings, "EMBEDDED", False)) and settings.WEBAUTHN_RP_ID == "localhost"
    if local_dev and isinstance(client_origin, str) and _LOCALHOST_ORIGIN.fullmatch(client_origin):
        origins.append(client_origin)
    return origins


def _ttl() -> int:
    return int(settings.WEBAUTHN_CHALLENGE_TTL)


# --- single-use challenges -------------------------------------------------------------------


def _register_key(user: User) -> str:
    return f"passkeys:register:{user.pk}"


def _login_key(challenge: bytes) -> str:
    return f"passkeys:login:{hashlib.sha256(challenge).hexdigest()}"


def _store(key: str, challenge: bytes, **extra: Any) -> None:
    state = {"challenge": bytes_to_base64url(challenge), "expires": time.time() + _ttl(), **extra}
    cache.set(key, state, timeout=_ttl())


def _redeem(key: str) -> dict[str, Any] | None:
    """The stored state, once: a second caller, or one after expiry, gets None."""
    state = cache.get(key)
    if not isinstance(state, dict) or not cache.delete(key):
        return None
    if float(state.get("expires", 0)) < time.time():  # in case a cache ignored the timeout
        return None
    return state


# --- parsing what the browser sent ------------------------------------------------------------


def _bad_credential(message: str, field: str = "credential") -> ApplicationError:
    return invalid(field, message)


def _client_data(client_data_json: bytes) -> tuple[bytes, object]:
    """(challenge, origin) from clientDataJSON; malformed → bad input."""
    try:
        client_data = parse_client_data_json(client_data_json)
    except _BAD_INPUT as exc:
        raise _bad_credential("clientDataJSON is malformed.") from exc
    return client_data.challenge, client_data.origin


def _parse(parser: Callable[[dict[str, Any]], T], credential: dict[str, Any]) -> T:
    try:
        return parser(credential)
    except _BAD_INPUT as exc:
        raise _bad_credential("Not a WebAuthn credential of the expected kind.") from exc


def _descriptor(passkey_id: str, transports: list[str]) -> PublicKeyCredentialDescriptor:
    known = [AuthenticatorTransport(t) for t in transports if t in AuthenticatorTransport._value2member_map_]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey_id), transports=known or None)


def _clean_name(name: str) -> str:
    cleaned = nh3.clean(name, tags=set()).strip()
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH:
        raise _bad_credential(f"Give the passkey a name of 1 to {NAME_MAX_LENGTH} characters.", field="name")
    return cleaned


# --- registration ---------------------------------------------------------------------------


def passkey_register_options(*, user: User) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``; a newer call replaces an older challenge.

    User verification is required and a discoverable (resident) key preferred;
    the user's existing passkeys are excluded so one device is not registered twice.
    """
    existing = list(Passkey.objects.filter(user=user).values_list("credential_id", "transports", "user_handle"))
    # One opaque handle per user (never the email or the primary key): a new one only for the first passkey.
    handle = existing[0][2] if existing else bytes_to_base64url(secrets.token_bytes(32))
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_name=user.email,
        user_id=base64url_to_bytes(handle),
        user_display_name=user.get_full_name() or user.email,
        timeout=_ttl() * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(credential_id, transports) for credential_id, transports, _ in existing],
        supported_pub_key_algs=ALGORITHMS,
    )
    _store(_register_key(user), options.challenge, user_handle=handle)
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def passkey_register(*, user: User, credential: dict[str, Any], name: str) -> Passkey:
    """Verify the attestation answering this user's pending challenge and store the passkey.

    The challenge is spent by any well-formed attempt, successful or not.
    Only "none" attestation is asked for; the authenticator's make is not trusted for anything.
    """
    label = _clean_name(name)
    parsed = _parse(parse_registration_credential_json, credential)
    _, origin = _client_data(parsed.response.client_data_json)
    state = _redeem(_register_key(user))
    if state is None:
        raise ApplicationError(
            PasskeyError.CHALLENGE_INVALID, "No registration is pending, or it expired: ask for new options."
        )
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=expected_origins(origin),
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except _BAD_INPUT as exc:
        logger.info("passkey_registration_refused", reason=str(exc)[:200])
        raise ApplicationError(PasskeyError.VERIFICATION_FAILED, "The passkey could not be verified.") from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = [t.value for t in parsed.response.transports or []]
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=label,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                user_handle=state["user_handle"],
                transports=transports,
                aaguid=verified.aaguid,
                backed_up=verified.credential_backed_up,
            )
            data = {"aaguid": verified.aaguid, "backed_up": verified.credential_backed_up}
            audit_record(action="passkey.registered", actor=user, target=passkey, data=data)
            mfa_changed_notify(user=user, change=SignInChange.PASSKEY_ADDED)
    except IntegrityError as exc:  # the credential id is someone's already (unique)
        raise ApplicationError(PasskeyError.ALREADY_REGISTERED, "This passkey is already registered.") from exc
    return passkey


# --- sign-in ----------------------------------------------------------------------------------


def passkey_login_options(*, email: str | None = None) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()``, the same whoever asks and whatever ``email`` says.

    ``allowCredentials`` is always empty: the browser offers the discoverable
    passkeys it holds for this site. Listing an account's credentials for an
    email would tell anyone which addresses have an account with passkeys
    (issue 11), so the email the contract accepts is not looked up. A
    challenge is issued every time.
    """
    del email  # accepted by the contract, never looked up
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=_ttl() * 1000,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _store(_login_key(options.challenge), options.challenge)
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _login_refused() -> ApplicationError:
    return ApplicationError(AccountError.INVALID_CREDENTIALS, "The passkey sign-in failed.")


def _check_assertion(passkey: Passkey, parsed: AuthenticationCredential, state: dict[str, Any], origin: object) -> int:
    """The new sign count when the assertion is good; raises WebAuthnException otherwise."""
    handle = parsed.response.user_handle
    if handle is not None and bytes_to_base64url(handle) != passkey.user_handle:
        raise WebAuthnException("User handle does not belong to this credential")
    verified = verify_authentication_response(
        credential=parsed,
        expected_challenge=base64url_to_bytes(state["challenge"]),
        expected_rp_id=settings.WEBAUTHN_RP_ID,
        expected_origin=expected_origins(origin),
        credential_public_key=bytes(passkey.public_key),
        credential_current_sign_count=passkey.sign_count,
        require_user_verification=True,
    )
    return verified.new_sign_count


def passkey_login(*, client: Client, credential: dict[str, Any]) -> dict[str, str]:
    """Verify an assertion and open a session; every outcome is audited.

    The challenge is spent first, whatever follows. A failure with a
    credential that belongs to someone counts toward that account's lockout
    (account + address), recorded outside the failed transaction so it sticks.
    """
    parsed = _parse(parse_authentication_credential_json, credential)
    challenge, origin = _client_data(parsed.response.client_data_json)
    state = _redeem(_login_key(challenge))
    passkey = (
        Passkey.objects.select_related("user")
        .filter(credential_id=bytes_to_base64url(parsed.raw_id), user__is_active=True)
        .first()
    )
    if passkey is None:
        audit_record(action="auth.login_failed", data={"method": "passkey"})
        raise _login_refused()
    user = passkey.user
    try:
        lockout_guard(client=client, email=user.email)
    except ApplicationError:
        audit_record(action="auth.login_locked", target=user, data={"method": "passkey"})
        raise
    reason = "challenge unknown, used or expired"
    if state is not None:
        with transaction.atomic():
            locked = Passkey.objects.select_for_update().get(pk=passkey.pk)
            try:
                new_sign_count = _check_assertion(locked, parsed, state, origin)
            except _BAD_INPUT as exc:
                reason = str(exc)[:200]
            else:
                locked.sign_count = new_sign_count
                locked.last_used_at = timezone.now()
                locked.save(update_fields=["sign_count", "last_used_at"])
                session = session_start(user=user, client=client, method="passkey")
                pair = tokens_for(user, session=session)
                lockout_clear(client=client, email=user.email)
                audit_record(action="auth.login_succeeded", actor=user, target=user, data={"method": "passkey"})
                return pair
    logger.info("passkey_login_refused", reason=reason, passkey=str(passkey.pk))
    audit_record(action="auth.login_failed", target=user, data={"method": "passkey"})
    lockout_failure(client=client, email=user.email, way="passkey")  # raises account_locked at the limit
    raise _login_refused()


# --- revoking ---------------------------------------------------------------------------------


@transaction.atomic
def passkey_revoke(*, passkey: Passkey, actor: User) -> None:
    """Delete the passkey: it signs no one in from now on. Revoking twice is quiet."""
    locked = Passkey.objects.select_for_update().filter(pk=passkey.pk).first()
    if locked is None:
        return
    passkey_id, owner = locked.pk, locked.user
    locked.delete()
    audit_record(action="passkey.revoked", actor=actor, target_type="accounts.passkey", target_id=passkey_id)
    mfa_changed_notify(user=owner, change=SignInChange.PASSKEY_REMOVED)
