"""A lab served from an asyncio loop: the clock driver and lab credentials.

Every surface runs on one asyncio loop, which is also the only place a lab's
clock is moved from, so no lock guards lab state (design.md, "Concurrency").
In paced mode a driver task lets simulated time follow wall time times the
lab's speed. In stepped mode the clock moves only when asked; when a client
waits on simulated time (an admin CLI restart printing its progress), the
wait jumps the clock straight to the event it waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator import Lab

#: How often, in wall seconds, the paced driver moves the clock.
TICK = 0.05


@dataclass(frozen=True)
class Credentials:
    """The accounts of one lab: the OS (platform) administrator for REST and
    SSH, and an application user for AXL and the serviceability SOAP APIs."""

    platform_user: str
    platform_password: str
    application_user: str
    application_password: str

    @classmethod
    def for_lab(cls, seed: int, *, fixed: bool = True) -> Credentials:
        """Lab credentials: predictable from the seed for workshops and tests,
        random when ``fixed`` is False."""
        if fixed:
            return cls(
                "admin", f"Lab-{seed}-Passw0rd", "axladmin", f"Axl-{seed}-Passw0rd"
            )
        return cls(
            "admin", secrets.token_urlsafe(12), "axladmin", secrets.token_urlsafe(12)
        )


class LabRuntime:
    """One lab, its credentials and the task that paces its clock."""

    def __init__(self, lab: Lab, credentials: Credentials | None = None) -> None:
        self.lab = lab
        self.credentials = credentials or Credentials.for_lab(lab.config.seed)
        self._driver: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start pacing the clock (it only moves in paced mode)."""
        if self._driver is None:
            self._driver = asyncio.get_running_loop().create_task(self._pace())

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None

    async def _pace(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.lab.clock.follow(now - last)
            last = now

    async def wait_until(self, condition: Callable[[], bool], *, limit: float) -> bool:
        """Wait until ``condition()`` holds or ``limit`` simulated seconds pass."""
        clock = self.lab.clock
        if clock.mode == "stepped":
            return clock.run_until(condition, limit=limit)
        deadline = clock.seconds + limit
        while not condition():
            if clock.seconds >= deadline:
                return False
            await asyncio.sleep(TICK)
        return True

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass."""
        clock = self.lab.clock
        if clock.mode == "stepped":
            clock.advance(seconds)
            return
        target = clock.seconds + seconds
        while clock.seconds < target:
            await asyncio.sleep(TICK)
