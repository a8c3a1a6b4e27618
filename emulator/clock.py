"""The lab clock: one simpy environment and the instant it started at.

Everything in the model that needs the time (certificate validity, the chain
verifier, file timestamps, the journal) reads :attr:`LabClock.now`. The wall
clock is never read in ``emulator/``, so a run with the same seed gives the
same results however fast the machine is.

Time moves in one of two modes. *Stepped* (the default) moves only when told
to: :meth:`LabClock.advance` by a span, :meth:`LabClock.run_until` until
something holds, :meth:`LabClock.run_until_idle` until nothing is left to do.
Scenarios and tests use it, and so does an adapter whose client waits on
simulated time (an admin CLI restart jumps straight to the next event rather
than hanging). *Paced* is for people at a keyboard: the adapter reports the
wall seconds that went by through :meth:`LabClock.follow`, and simulated time
moves by that span times :attr:`LabClock.speed`. The clock never measures wall
time itself, so even paced runs stay under the caller's control.

Every way of moving the clock runs the events due up to and including the
instant it stops at: after ``advance(0)``, whatever was due "now" has happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

import simpy

#: Where a lab's clock starts unless its configuration says otherwise. A fixed
#: instant keeps runs repeatable; labs that want "today" pass it explicitly.
DEFAULT_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

ClockMode = Literal["stepped", "paced"]


def _non_negative(value: float, what: str) -> float:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number of seconds, not {value}")
    if value < 0:
        raise ValueError(
            f"{what} must be at least 0 seconds, not {value}; the clock only "
            "moves forward"
        )
    return float(value)


def _speed(value: float) -> float:
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise ValueError(
            f"speed must be a finite number above zero, not {value}; "
            "use stepped mode to hold simulated time still"
        )
    return float(value)


class LabClock:
    """Simulated time of one lab."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("the lab's start instant must be timezone-aware")
        self.start = start.astimezone(UTC)
        self.env = simpy.Environment()
        self.mode: ClockMode = "stepped"
        self.speed = 1.0
        self._daemons: set[simpy.Event] = set()

    @property
    def seconds(self) -> float:
        """Simulated seconds since the lab started."""
        return float(self.env.now)

    @property
    def now(self) -> datetime:
        """The lab's current instant."""
        return self.at(self.env.now)

    def at(self, seconds: float) -> datetime:
        """The instant ``seconds`` after the lab started."""
        return self.start + timedelta(seconds=seconds)

    def next_event_at(self) -> float | None:
        """Simulated seconds of the next scheduled event, or None if there is none."""
        upcoming = float(self.env.peek())
        return None if math.isinf(upcoming) else upcoming

    # -- stepped ---------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Run every event due in the next ``seconds`` and stop there."""
        deadline = self.seconds + _non_negative(seconds, "the span to advance")
        self._run_through(deadline, lambda: False)
        self._move_to(deadline)

    def run_until(self, condition: Callable[[], bool], *, limit: float) -> bool:
        """Run events one by one until ``condition()`` holds, for at most ``limit``.

        The condition is checked before anything runs and after every event,
        so the clock stops at the very event that made it true. Returns False,
        with the clock exactly ``limit`` seconds on, when it never held.
        """
        deadline = self.seconds + _non_negative(limit, "the limit")
        if condition():
            return True
        if self._run_through(deadline, condition):
            return True
        self._move_to(deadline)
        return False

    def run_until_idle(self, *, limit: float | None = None) -> bool:
        """Run until no event is left (True) or until ``limit`` seconds pass (False).

        Idle means nothing is left but daemon timeouts (periodic background
        work such as the daily certificate expiry check); the clock then stays
        at the last event rather than moving on to the limit, and the daemons
        stay queued for later.
        """
        if limit is None:
            deadline = math.inf
        else:
            deadline = self.seconds + _non_negative(limit, "the limit")
        if self._run_through(deadline, self._only_daemons_left, before=True):
            return True
        if self.next_event_at() is None or self._only_daemons_left():
            return True
        self._move_to(deadline)
        return False

    def daemon_timeout(self, delay: float) -> simpy.Timeout:
        """A timeout for periodic background work, which never keeps the lab busy."""
        event = self.env.timeout(delay)
        self._daemons.add(event)
        event.callbacks.append(self._daemons.discard)
        return event

    def _only_daemons_left(self) -> bool:
        # simpy keeps its schedule in ``_queue``: (time, priority, id, event).
        # Only when a daemon is next is the whole queue worth a look.
        queue = self.env._queue
        if not self._daemons or not queue or queue[0][3] not in self._daemons:
            return False
        return all(entry[3] in self._daemons for entry in queue)

    def _run_through(
        self, deadline: float, condition: Callable[[], bool], *, before: bool = False
    ) -> bool:
        """Step through events due by ``deadline``; True once ``condition()`` holds.

        With ``before`` the condition is checked before each event instead.
        """
        while (upcoming := self.env.peek()) <= deadline and not math.isinf(upcoming):
            if before and condition():
                return True
            self.env.step()
            if not before and condition():
                return True
        return False

    def _move_to(self, deadline: float) -> None:
        # Every event due by the deadline has run, so an empty timeout at the
        # deadline is the next event and stepping it moves the clock there.
        # (simpy's own run(until=...) would leave its stop marker queued.)
        if deadline > self.env.now:
            self.env.timeout(deadline - self.env.now)
            self.env.step()

    # -- paced -----------------------------------------------------------------
    def set_paced(self, speed: float = 1.0) -> None:
        """Let simulated time follow wall time at ``speed`` times its pace."""
        self.speed = _speed(speed)
        self.mode = "paced"

    def set_stepped(self) -> None:
        """Stop following wall time; only explicit calls move the clock."""
        self.mode = "stepped"

    def follow(self, wall_elapsed: float) -> float:
        """Catch up with ``wall_elapsed`` wall seconds; returns the simulated span.

        The adapter calls this with the wall time since its previous call. In
        stepped mode the clock ignores wall time and nothing moves.
        """
        elapsed = _non_negative(wall_elapsed, "the wall time elapsed")
        if self.mode != "paced":
            return 0.0
        span = elapsed * self.speed
        self.advance(span)
        return span
