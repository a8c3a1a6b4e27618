"""The journal: every change of state in a lab, in order.

Web pages, the event stream, scenario expectations and notebooks all read the
journal; nothing else in the lab keeps a history of its own. Events carry the
simulated time, never the wall time, so two runs with the same seed produce
the same journal event for event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.clock import LabClock


@dataclass(frozen=True, slots=True)
class Event:
    """One change of state."""

    seq: int
    seconds: float
    at: datetime
    kind: str
    node: str | None = None
    subject: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    injected: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "seconds": self.seconds,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "node": self.node,
            "subject": self.subject,
            "details": dict(self.details),
            "injected": self.injected,
        }


Subscriber = Callable[[Event], None]


class Journal:
    """An append-only list of events with subscribers and simple queries."""

    def __init__(self, clock: LabClock) -> None:
        self._clock = clock
        self._events: list[Event] = []
        self._subscribers: list[Subscriber] = []

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def emit(
        self,
        kind: str,
        *,
        node: str | None = None,
        subject: str | None = None,
        injected: bool = False,
        **details: Any,
    ) -> Event:
        """Record an event at the current simulated time and tell subscribers."""
        event = Event(
            seq=len(self._events),
            seconds=self._clock.seconds,
            at=self._clock.now,
            kind=kind,
            node=node,
            subject=subject,
            details=details,
            injected=injected,
        )
        self._events.append(event)
        for subscriber in list(self._subscribers):
            subscriber(event)
        return event

    def truncate(self, length: int) -> None:
        """Forget the events after the first ``length`` (a restored snapshot)."""
        del self._events[length:]

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` for every new event; returns the unsubscriber."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def query(
        self,
        *,
        kind: str | None = None,
        node: str | None = None,
        subject: str | None = None,
        since: float | None = None,
        until: float | None = None,
        after_seq: int | None = None,
    ) -> list[Event]:
        """Events matching every given filter; ``kind`` matches a dotted prefix."""
        found = []
        for event in self._events:
            if after_seq is not None and event.seq <= after_seq:
                continue
            if since is not None and event.seconds < since:
                continue
            if until is not None and event.seconds > until:
                continue
            if kind is not None and not _kind_matches(event.kind, kind):
                continue
            if node is not None and event.node != node:
                continue
            if subject is not None and event.subject != subject:
                continue
            found.append(event)
        return found


def _kind_matches(kind: str, wanted: str) -> bool:
    return kind == wanted or kind.startswith(wanted + ".")
