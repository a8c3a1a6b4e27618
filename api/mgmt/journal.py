"""The lab's journal: query it, or follow it live as server-sent events.

Times in a query are simulated seconds since the lab started, or ISO 8601
instants of the lab's clock. A query answers at most ``limit`` events in
order and the sequence number to pass as ``after`` for the next page.

The stream sends every event as ``id: <seq>`` and ``data: <json>`` lines
(the JSON is :meth:`emulator.journal.Event.as_dict`), first the ones already
recorded after ``after`` and then each new one as the lab records it, with a
comment line as keepalive while nothing happens. When the lab is reset or
deleted, the stream sends an ``end`` event and closes: the rebuilt lab has a
journal of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from api.mgmt.app import Hosted, Streams, registry_of
from api.mgmt.labs import find_node
from api.mgmt.registry import HostedLab
from emulator.journal import Event

router = APIRouter(prefix="/labs/{lab}/journal", tags=["journal"])

Kind = Annotated[
    str | None, Query(description="A kind or dotted prefix: phone, phone.registered")
]
NodeName = Annotated[str | None, Query(description="Host name, FQDN or address.")]
PhoneName = Annotated[
    str | None, Query(description="Device name (the event's subject).")
]
Instant = Annotated[
    str | None, Query(description="Simulated seconds or an ISO 8601 instant.")
]


class Filter:
    """What a client asked to see, checked against the lab first."""

    def __init__(
        self, hosted: HostedLab, kind: str | None, node: str | None, phone: str | None
    ) -> None:
        self.kind = kind
        self.node = find_node(hosted, node).hostname if node is not None else None
        self.phone = phone.upper() if phone is not None else None

    def matches(self, event: Event) -> bool:
        if self.kind is not None and not (
            event.kind == self.kind or event.kind.startswith(self.kind + ".")
        ):
            return False
        if self.node is not None and event.node != self.node:
            return False
        return self.phone is None or event.subject == self.phone


@router.get("")
async def query(
    hosted: Hosted,
    kind: Kind = None,
    node: NodeName = None,
    phone: PhoneName = None,
    since: Instant = None,
    until: Instant = None,
    after: Annotated[
        int | None, Query(ge=-1, description="Only events after this seq.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    """Events matching every given filter, oldest first."""
    wanted = Filter(hosted, kind, node, phone)
    found = hosted.lab.journal.query(
        kind=wanted.kind,
        node=wanted.node,
        subject=wanted.phone,
        since=_seconds(hosted, "since", since),
        until=_seconds(hosted, "until", until),
        after_seq=after,
    )
    page = found[:limit]
    return {
        "total": len(found),
        "count": len(page),
        "next_after": page[-1].seq if page else after,
        "events": [event.as_dict() for event in page],
    }


@router.get("/stream")
async def stream(
    hosted: Hosted,
    request: Request,
    after: Annotated[
        int | None,
        Query(ge=-1, description="Replay events after this seq first; -1 for all."),
    ] = None,
    kind: Kind = None,
    node: NodeName = None,
    phone: PhoneName = None,
    keepalive: Annotated[
        float, Query(ge=0.05, le=300, description="Wall seconds between comments.")
    ] = 15.0,
) -> StreamingResponse:
    """Follow the journal as server-sent events."""
    wanted = Filter(hosted, kind, node, phone)
    streams: Streams = request.app.state.streams
    journal = hosted.lab.journal

    async def events() -> AsyncIterator[str]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        # Subscribing and reading the backlog happen with no await in between,
        # so no event falls between the two.
        unsubscribe = journal.subscribe(queue.put_nowait)
        backlog = [] if after is None else journal.query(after_seq=after)
        streams.queues.add(queue)
        try:
            for recorded in backlog:
                if wanted.matches(recorded):
                    yield _frame(recorded)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), keepalive)
                except TimeoutError:
                    if registry_of(request).labs.get(hosted.name) is not hosted:
                        yield _end("the lab was reset or deleted")
                        return
                    yield ": keepalive\n\n"
                    continue
                if event is None:
                    yield _end("the server is stopping")
                    return
                if wanted.matches(event):
                    yield _frame(event)
        finally:
            unsubscribe()
            streams.queues.discard(queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _frame(event: Event) -> str:
    return f"id: {event.seq}\ndata: {json.dumps(event.as_dict(), default=str)}\n\n"


def _end(reason: str) -> str:
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n"


def _seconds(hosted: HostedLab, field: str, value: str | None) -> float | None:
    """Simulated seconds from a number of seconds or an ISO 8601 instant."""
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise HTTPException(400, f"{field}: {value!r} is not a finite number")
        return seconds
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            400,
            f"{field}: {value!r} is neither simulated seconds nor an ISO 8601 "
            f"instant (the lab started at {hosted.lab.clock.start.isoformat()})",
        ) from None
    if instant.tzinfo is None:
        raise HTTPException(400, f"{field}: {value!r} needs a time zone, e.g. Z")
    return (instant - hosted.lab.clock.start).total_seconds()
