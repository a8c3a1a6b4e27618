"""The control plane on a loop of its own in a background thread.

For callers that cannot hand their thread to an asyncio loop: a notebook
whose kernel runs its own loop, or a test that drives the API with blocking
clients. The labs still belong to one loop, the background one; read or
change them only through :meth:`BackgroundControlPlane.call`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from api.mgmt.registry import HostedLab, KeySupply, LabRegistry, LabTemplate
from api.mgmt.server import ManagementServer
from emulator.pki.keys import KeySource

T = TypeVar("T")
#: Wall seconds to wait for the background loop before giving up.
TIMEOUT = 60.0


class BackgroundControlPlane:
    """A registry and its management API, served from a daemon thread."""

    def __init__(
        self,
        keys: KeySupply | Callable[[], KeySource] | None = None,
        *,
        port: int = 0,
    ) -> None:
        self.registry = LabRegistry(keys)
        self.server = ManagementServer(self.registry, port=port)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="cucm-lab-control-plane", daemon=True
        )

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> BackgroundControlPlane:
        self._thread.start()
        self.run(self.server.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.server.stop())
            self.run(self.registry.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(TIMEOUT)

    def create(
        self, name: str, template: LabTemplate | None = None, **ports: int
    ) -> HostedLab:
        """Build and serve a lab (``base_port=`` for fixed ports)."""
        return self.run(self.registry.create(name, template or LabTemplate(), **ports))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the background loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the background loop (where the labs live)."""

        async def on_loop() -> T:
            return fn()

        return self.run(on_loop())
