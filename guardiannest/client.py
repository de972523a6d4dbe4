"""Who is on the other end, as the domain needs to know them: an address and a browser.

Services that count failures per address, bind a step of sign-in to one, or
record a session take a :class:`Client`, never the request: the API builds it
(``guardiannest.api.net.client_of``), and tasks or tests can make one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    ip: str  # the caller's address, as our own proxies saw it (``guardiannest.api.net.client_ip``)
    user_agent: str = ""  # as sent; the caller may write anything here
