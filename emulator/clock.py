"""The lab clock: one simpy environment and the instant it started at.

Everything in the model that needs the time (certificate validity, the chain
verifier, file timestamps, the journal) reads :attr:`LabClock.now`. The wall
clock is never read in ``emulator/``, so a run with the same seed gives the
same results however fast the machine is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import simpy

#: Where a lab's clock starts unless its configuration says otherwise. A fixed
#: instant keeps runs repeatable; labs that want "today" pass it explicitly.
DEFAULT_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


class LabClock:
    """Simulated time of one lab."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("the lab's start instant must be timezone-aware")
        self.start = start.astimezone(UTC)
        self.env = simpy.Environment()

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

    def advance(self, seconds: float) -> None:
        """Run every event due in the next ``seconds`` and stop there."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.env.run(until=self.env.now + seconds)
