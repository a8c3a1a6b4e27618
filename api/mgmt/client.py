"""A small client of the management API, for the ``cucm-lab`` command.

It turns the API's refusals into one readable line: the ``detail`` the
server gave (which names the field and the choices), or, when nothing
answers, where it looked and how to start a server.
"""

from __future__ import annotations

from typing import Any

import httpx

from api.mgmt import ENV


class ManagementError(Exception):
    """A request the server refused, or a server that did not answer."""


class ManagementClient:
    """Calls to one server's management API."""

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, params=clean).json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._send("POST", path, json=body or {}).json()

    def delete(self, path: str) -> Any:
        return self._send("DELETE", path).json()

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise ManagementError(
                f"no management API answers at {self.url} ({exc.__class__.__name__}); "
                "start one with `cucm-lab serve`, or point --mgmt (or "
                f"${ENV}) at the address it printed"
            ) from None
        if response.is_error:
            raise ManagementError(_detail(response))
        return response


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:200]}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail or body.get("message") or body)
