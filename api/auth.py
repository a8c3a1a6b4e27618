"""HTTP Basic authentication as CUCM's Tomcat answers it.

REST takes the platform (OS administration) account; AXL and the
serviceability SOAP APIs take an application user. A wrong or missing
password gets Tomcat's 401 page and nothing else happens.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse

UNAUTHORISED_PAGE = (
    "<html><head><title>Apache Tomcat - Error report</title></head><body>"
    "<h1>HTTP Status 401 - Unauthorized</h1>"
    "<p>This request requires HTTP authentication.</p></body></html>"
)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The user and password of an ``Authorization: Basic`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def authorised(request: Request, user: str, password: str) -> bool:
    given = basic_credentials(request)
    if given is None:
        return False
    user_ok = secrets.compare_digest(given[0].encode(), user.encode())
    password_ok = secrets.compare_digest(given[1].encode(), password.encode())
    return user_ok and password_ok


def unauthorised(realm: str) -> HTMLResponse:
    """Tomcat's 401 answer with a Basic challenge."""
    return HTMLResponse(
        UNAUTHORISED_PAGE,
        status_code=401,
        headers={"WWW-Authenticate": f'Basic realm="{realm}"'},
    )
