"""Signed session cookies: what the login pages leave behind.

CUCM's administration applications sign a browser in through a form and keep
the session in a cookie; scripts and the REST and SOAP clients send HTTP
Basic on every request instead. Both open the pages here. The cookie carries
the account kind, the user name and when it was issued, signed with
HMAC-SHA256 under a secret drawn once per lab runtime, so a lab rebuilt from
its template (a reset) signs everyone out.

One cookie per account kind, for the whole node: OS Administration,
Serviceability and the lab dashboard share the platform administrator's
session, as CUCM's platform applications share one sign-in, and CM
Administration keeps the application user's apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import weakref
from typing import Literal

from fastapi import Request
from fastapi.responses import Response

from api.runtime import LabRuntime

Account = Literal["platform", "application"]

#: Wall seconds a sign-in lasts; CUCM's default session timeout is 30 minutes
#: of inactivity, longer here because a lab is left open across a class.
LIFETIME = 8 * 3600

_secrets: weakref.WeakKeyDictionary[LabRuntime, bytes] = weakref.WeakKeyDictionary()


def cookie_name(account: Account) -> str:
    return f"cucmlab-{account}"


def _secret(runtime: LabRuntime) -> bytes:
    secret = _secrets.get(runtime)
    if secret is None:
        secret = _secrets[runtime] = secrets.token_bytes(32)
    return secret


def _signature(runtime: LabRuntime, payload: str) -> str:
    mac = hmac.new(_secret(runtime), payload.encode(), hashlib.sha256)
    return mac.hexdigest()


def issue(runtime: LabRuntime, account: Account, user: str) -> str:
    """A cookie value saying ``user`` signed in with the ``account`` password."""
    raw = f"{account}\n{user}\n{int(time.time())}".encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_signature(runtime, payload)}"


def signed_in(runtime: LabRuntime, request: Request, account: Account) -> str | None:
    """The user whose valid session for ``account`` the request carries."""
    value = request.cookies.get(cookie_name(account), "")
    payload, dot, signature = value.partition(".")
    if not dot or not hmac.compare_digest(signature, _signature(runtime, payload)):
        return None
    padded = payload + "=" * (-len(payload) % 4)
    try:
        kind, user, issued = base64.urlsafe_b64decode(padded).decode().split("\n")
    except (ValueError, UnicodeDecodeError):
        return None
    if kind != account or not issued.isdigit():
        return None
    if time.time() - int(issued) > LIFETIME:
        return None
    return user


def remember(
    response: Response, runtime: LabRuntime, account: Account, user: str
) -> None:
    """Set the session cookie on ``response``."""
    response.set_cookie(
        cookie_name(account),
        issue(runtime, account, user),
        max_age=LIFETIME,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def forget(response: Response, account: Account) -> None:
    response.delete_cookie(cookie_name(account), path="/", secure=True, httponly=True)


def wants_page(request: Request) -> bool:
    """Whether a browser asked (not a script): the login page beats a 401."""
    if request.method != "GET" or "authorization" in request.headers:
        return False
    return "text/html" in request.headers.get("accept", "")
