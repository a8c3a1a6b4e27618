"""How long services take to stop and start, as one documented setting.

Restart times are realistic nastiness: on by default with the reference's
suggested ranges (section 6, marked UNCONFIRMED there), and dialled down with
one number, :attr:`ServiceTiming.scale`. A scale of 0 makes every transition
happen at the instant it is commanded, which is what most tests want.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Triangular:
    """A triangular distribution of seconds: ``low <= mode <= high``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        for value in (self.low, self.mode, self.high):
            if not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"a duration must be a finite, non-negative number of seconds, "
                    f"not {value}"
                )
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"expected low <= mode <= high, got {self.low}, {self.mode}, "
                f"{self.high}"
            )

    def draw(self, rng: random.Random) -> float:
        """One duration, drawn from ``rng``."""
        # Draw even when the range is a single point, so that narrowing one
        # service's range does not shift every later draw of the lab.
        value = rng.triangular(self.low, self.high, self.mode)
        return min(max(value, self.low), self.high)


#: The share of a restart spent stopping; the rest is spent starting.
STOP_SHARE = 0.25


@dataclass(frozen=True)
class ServiceTiming:
    """The lab's setting for service transition times.

    ``scale`` multiplies every drawn duration (1 = the reference's ranges,
    0 = instant). ``overrides`` replaces the whole-restart distribution of
    the services it names (CUCM's exact service names).
    """

    scale: float = 1.0
    overrides: Mapping[str, Triangular] = field(default_factory=dict)
    stop_share: float = STOP_SHARE

    def __post_init__(self) -> None:
        if not math.isfinite(self.scale) or self.scale < 0:
            raise ValueError(
                f"scale must be a finite number of at least 0, not {self.scale}"
            )
        if not 0 <= self.stop_share <= 1:
            raise ValueError(
                f"stop_share must lie between 0 and 1, not {self.stop_share}"
            )

    def restart_time(self, service: str, default: Triangular) -> Triangular:
        """The whole-restart distribution that applies to ``service``."""
        return self.overrides.get(service, default)


INSTANT = ServiceTiming(scale=0.0)
