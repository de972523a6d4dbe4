"""Stripe Connect on loopback, which localstripe lacks: accounts, account links, transfers, reversals, balance.

A small stateful responder speaking Stripe's API shape (form-encoded
requests, JSON objects, errors as ``{"error": {"type", "code", "message"}}``),
mounted in front of localstripe by :func:`payments.tests.stripe_proxy.serve`,
so Idempotency-Key replay covers it too, and every other route reaches
localstripe. Our code reaches it through ``STRIPE_API_BASE`` like any Stripe:
nothing of ours is patched.

What a test does on Stripe's side (the sitter finishing onboarding on Stripe's
pages, Stripe pausing an account) is a method here: :meth:`ConnectStand.complete`,
:meth:`ConnectStand.restrict`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from payments.tests.stripe_app import LocalStripe
from payments.tests.stripe_proxy import IdempotencyProxy, serve

_ACCOUNT = re.compile(r"^/v1/accounts/(?P<id>acct_\w+)$")
_REVERSALS = re.compile(r"^/v1/transfers/(?P<id>tr_\w+)/reversals$")


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    body = {"error": {"type": "invalid_request_error", "code": code, "message": message}}
    return status, json.dumps(body).encode()


def _ok(obj: dict[str, Any]) -> tuple[int, bytes]:
    return 200, json.dumps(obj).encode()


@dataclass
class ConnectStand:
    upstream: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what Stripe's side does --------------------------------------------------------------

    def complete(self, account_id: str) -> dict[str, Any]:
        """The sitter finishes onboarding on Stripe's pages."""
        with self.lock:
            account = self.accounts[account_id]
            account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True)
            account["capabilities"] = {"transfers": "active"}
            return dict(account)

    def restrict(self, account_id: str) -> None:
        """Stripe pauses the account (say, a document expired): transfers to it are refused."""
        with self.lock:
            self.accounts[account_id].update(charges_enabled=False, payouts_enabled=False)
            self.accounts[account_id]["capabilities"] = {"transfers": "inactive"}

    def transfers_to(self, account_id: str) -> list[dict[str, Any]]:
        return [item for item in self.transfers.values() if item["destination"] == account_id]

    # --- the API ------------------------------------------------------------------------------

    def __call__(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes] | None:
        route = urlsplit(path).path
        form = dict(parse_qsl(body.decode()))
        with self.lock:
            if route == "/v1/accounts" and method == "POST":
                return self._account_create(form)
            if (found := _ACCOUNT.match(route)) and method == "GET":
                account = self.accounts.get(found["id"])
                return _ok(account) if account else _error(404, "resource_missing", f"No such account: {found['id']}")
            if route == "/v1/account_links" and method == "POST":
                return self._link_create(form)
            if route == "/v1/transfers" and method == "POST":
                return self._transfer_create(form)
            if (found := _REVERSALS.match(route)) and method == "POST":
                return self._reversal_create(found["id"], form)
            if route == "/v1/balance" and method == "GET":
                return self._balance(headers)
        return None  # localstripe's

    def _account_create(self, form: dict[str, str]) -> tuple[int, bytes]:
        if form.get("type") != "express":
            return _error(400, "parameter_invalid_empty", "type: express is what this stand knows.")
        account_id = f"acct_{secrets.token_hex(8)}"
        self.accounts[account_id] = {
            "id": account_id,
            "object": "account",
            "type": "express",
            "email": form.get("email"),
            "metadata": {"user_id": form.get("metadata[user_id]", "")},
            "capabilities": {"transfers": "inactive"},
            "requested_transfers": form.get("capabilities[transfers][requested]"),
            "details_submitted": False,
            "charges_enabled": False,
            "payouts_enabled": False,
        }
        return _ok(self.accounts[account_id])

    def _link_create(self, form: dict[str, str]) -> tuple[int, bytes]:
        account_id = form.get("account", "")
        if account_id not in self.accounts:
            return _error(400, "resource_missing", f"No such account: {account_id}")
        if form.get("type") not in ("account_onboarding", "account_update"):
            return _error(400, "parameter_invalid_empty", "type must be account_onboarding or account_update.")
        if not form.get("refresh_url") or not form.get("return_url"):
            return _error(400, "parameter_missing", "refresh_url and return_url are required.")
        link = {
            "object": "account_link",
            "url": f"https://connect.stripe.test/setup/e/{account_id}/{secrets.token_urlsafe(12)}",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "account": account_id,
            "type": form["type"],
            "refresh_url": form["refresh_url"],
            "return_url": form["return_url"],
        }
        self.links.append(link)
        return _ok(link)

    def _transfer_create(self, form: dict[str, str]) -> tuple[int, bytes]:
        destination = self.accounts.get(form.get("destination", ""))
        if destination is None:
            return _error(400, "resource_missing", "No such destination.")
        if destination["capabilities"].get("transfers") != "active":
            return _error(400, "insufficient_capabilities_for_transfer", "The destination cannot receive transfers.")
        amount = int(form.get("amount") or 0)
        if amount < 1:
            return _error(400, "parameter_invalid_integer", "amount must be at least 1.")
        source = form.get("source_transaction")
        if source:  # it must be a real, captured charge (localstripe's)
            charge = requests.get(f"{self.upstream}/v1/charges/{source}", auth=(LocalStripe.key, ""), timeout=10)
            if charge.status_code != 200 or not charge.json().get("captured"):
                return _error(400, "invalid_source_transaction", "The source charge is not captured.")
        transfer_id = f"tr_{secrets.token_hex(8)}"
        self.transfers[transfer_id] = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": form.get("currency"),
            "destination": destination["id"],
            "transfer_group": form.get("transfer_group"),
            "source_transaction": source,
            "metadata": {"reference": form.get("metadata[reference]", "")},
            "reversals": [],
        }
        return _ok(self.transfers[transfer_id])

    def _reversal_create(self, transfer_id: str, form: dict[str, str]) -> tuple[int, bytes]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return _error(404, "resource_missing", f"No such transfer: {transfer_id}")
        amount = int(form.get("amount") or transfer["amount"] - transfer["amount_reversed"])
        if not 0 < amount <= transfer["amount"] - transfer["amount_reversed"]:
            return _error(400, "amount_too_large", "The reversal is larger than what is left of the transfer.")
        transfer["amount_reversed"] += amount
        reversal = {"id": f"trr_{secrets.token_hex(8)}", "object": "transfer_reversal", "amount": amount}
        reversal |= {"currency": transfer["currency"], "transfer": transfer_id}
        transfer["reversals"].append(reversal)
        return _ok(reversal)

    def _balance(self, headers: Mapping[str, str]) -> tuple[int, bytes]:
        account_id = next((value for name, value in headers.items() if name.lower() == "stripe-account"), "")
        if account_id not in self.accounts:
            return _error(403, "account_invalid", "The Stripe-Account header names no connected account.")
        totals: dict[str, int] = {}
        for transfer in self.transfers_to(account_id):
            totals[transfer["currency"]] = totals.get(transfer["currency"], 0) + (
                transfer["amount"] - transfer["amount_reversed"]
            )
        # Funds from a transfer become available at once here; Stripe's pending is what a charge still settles.
        available = [{"amount": amount, "currency": currency} for currency, amount in totals.items()]
        return _ok({"object": "balance", "available": available, "pending": [], "livemode": False})


@dataclass
class Connect:
    """The stand and its proxy, as a test sees them."""

    stand: ConnectStand
    proxy: IdempotencyProxy
    localstripe: LocalStripe


@pytest.fixture
def connect(localstripe: LocalStripe, settings: Any) -> Iterator[Connect]:
    """Stripe with Connect: our stand and Idempotency-Key replay in front of localstripe."""
    stand = ConnectStand(localstripe.base)
    proxy, server = serve(localstripe.base, local=stand)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield Connect(stand, proxy, localstripe)
    server.shutdown()
    server.server_close()
