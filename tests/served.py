"""A lab served on its own event loop in a background thread, for tests that
drive it with real network clients (httpx, zeep, paramiko, openssl).

The lab belongs to that loop: a test reads or changes model state only
through :meth:`ServedLab.call`, which runs a function on the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from api.host import LabHost, NodeEndpoint
from api.runtime import LabRuntime
from emulator import Lab

T = TypeVar("T")


class ServedLab:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.runtime = LabRuntime(lab)
        self.host = LabHost(self.runtime)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServedLab:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.host.start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.host.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the lab's loop and return its result."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(60)

    def endpoint(self, node: str | None = None) -> NodeEndpoint:
        name = node or self.lab.publisher.hostname
        return self.host.endpoints[name]

    def url(self, node: str | None = None, path: str = "") -> str:
        endpoint = self.endpoint(node)
        return f"https://{endpoint.address}:{endpoint.ports['https']}{path}"

    def tftp_url(self, node: str | None = None, path: str = "") -> str:
        endpoint = self.endpoint(node)
        return f"http://{endpoint.address}:{endpoint.ports['tftp_http']}{path}"

    @property
    def platform_auth(self) -> tuple[str, str]:
        c = self.runtime.credentials
        return (c.platform_user, c.platform_password)

    @property
    def application_auth(self) -> tuple[str, str]:
        c = self.runtime.credentials
        return (c.application_user, c.application_password)


def restart_service(served: ServedLab, node: str, name: str) -> Any:
    """Restart a service and let the clock run until it has started."""

    def run() -> bool:
        control = served.lab.services.get(node, name).restart()
        return served.lab.clock.run_until(lambda: control.finished, limit=3600)

    return served.call(run)


#: Cisco's own WSDLs, which tests use as a real client would; they sit in the
#: shared folder beside the checkout (never copied into the project).
SHARED_WSDL = (
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "cisco-wsdl"
)
