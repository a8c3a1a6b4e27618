"""A lab's clock: read it, jump it, run it to a condition, pace or step it.

Jumps and runs happen at once whatever the mode: in paced mode the clock
then carries on following wall time from where the jump left it. Running
until a condition steps from event to event, so ``all-phones-registered``
stops at the very registration that completed the set. A jump is refused
beyond twenty years, where every certificate of the lab has long expired and
the daily expiry checks alone would keep the loop busy for seconds.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.mgmt.app import Hosted
from api.mgmt.registry import HostedLab
from emulator.services import UnknownNode, UnknownService

router = APIRouter(prefix="/labs/{lab}/clock", tags=["clock"])

#: The longest single jump: twenty years of simulated seconds.
MAX_JUMP = 20 * 365.25 * 86400
MAX_SPEED = 1_000_000.0


class Advance(BaseModel):
    seconds: float = Field(
        ge=0, le=MAX_JUMP, allow_inf_nan=False,
        description="Simulated seconds to move forward (at most 20 years).",
        examples=[3600],
    )  # fmt: skip


class Run(BaseModel):
    until: Literal["idle", "all-phones-registered", "service-started"]
    node: str | None = Field(default=None, description="For service-started.")
    service: str | None = Field(
        default=None, description="For service-started, e.g. Cisco Tomcat."
    )
    limit: float = Field(
        default=3600.0, ge=0, le=MAX_JUMP, allow_inf_nan=False,
        description="Give up after this many simulated seconds.",
    )  # fmt: skip


class Mode(BaseModel):
    mode: Literal["paced", "stepped"]
    speed: float | None = Field(
        default=None, gt=0, le=MAX_SPEED, allow_inf_nan=False,
        description="Paced mode: simulated seconds per wall second; "
        "unchanged when left out.",
    )  # fmt: skip


def clock_state(hosted: HostedLab) -> dict[str, Any]:
    clock = hosted.lab.clock
    upcoming = clock.next_event_at()
    return {
        "instant": clock.now.isoformat(),
        "seconds": clock.seconds,
        "mode": clock.mode,
        "speed": clock.speed,
        "next_event": upcoming,
    }


@router.get("")
async def read_clock(hosted: Hosted) -> dict[str, Any]:
    """The lab's instant, simulated seconds since it started, mode and speed."""
    return clock_state(hosted)


@router.post("/advance")
async def advance(hosted: Hosted, body: Advance) -> dict[str, Any]:
    """Run every event due in the next ``seconds`` and stop there."""
    hosted.lab.clock.advance(body.seconds)
    return clock_state(hosted)


@router.post("/run")
async def run(hosted: Hosted, body: Run) -> dict[str, Any]:
    """Run event by event until the condition holds or ``limit`` seconds pass."""
    lab = hosted.lab
    clock = lab.clock
    if body.until == "idle":
        reached = clock.run_until_idle(limit=body.limit)
    elif body.until == "all-phones-registered":
        reached = clock.run_until(lab.phones.all_registered, limit=body.limit)
    else:
        if body.node is None or body.service is None:
            raise HTTPException(
                400, "node: service-started needs both node and service"
            )
        try:
            service = lab.services.get(body.node, body.service)
        except UnknownNode as exc:
            raise HTTPException(404, f"node: {exc}") from None
        except UnknownService as exc:
            raise HTTPException(404, f"service: {exc}") from None
        reached = clock.run_until(lambda: service.running, limit=body.limit)
    return {"reached": reached, "until": body.until, "clock": clock_state(hosted)}


@router.put("/mode")
async def set_mode(hosted: Hosted, body: Mode) -> dict[str, Any]:
    """Pace the clock with wall time at a speed, or hold it still (stepped)."""
    clock = hosted.lab.clock
    if body.mode == "stepped":
        clock.set_stepped()
        if body.speed is not None:
            clock.speed = body.speed
    else:
        speed = body.speed if body.speed is not None else clock.speed
        if not math.isfinite(speed) or speed <= 0:
            raise HTTPException(400, "speed: give a speed above zero for paced mode")
        clock.set_paced(speed)
    return clock_state(hosted)
