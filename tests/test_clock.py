"""The lab clock: stepped and paced simulated time."""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import pytest

from emulator.clock import DEFAULT_START, LabClock


def _ticker(clock: LabClock, every: float, ticks: list[float], count: int | None):
    def run() -> Generator[Any, Any, None]:
        while count is None or len(ticks) < count:
            yield clock.env.timeout(every)
            ticks.append(clock.seconds)

    return clock.env.process(run())


def test_advance_runs_events_up_to_and_including_the_new_instant() -> None:
    """A lab's clock moved by ten seconds has run whatever was due at ten."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 5, ticks, count=3)

    clock.advance(10)

    assert ticks == [5, 10]
    assert clock.seconds == 10
    assert clock.now == DEFAULT_START + timedelta(seconds=10)


def test_advance_by_zero_runs_what_is_due_now() -> None:
    """Work scheduled for the current instant happens without time passing."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 0, ticks, count=2)

    clock.advance(0)

    assert ticks == [0, 0]
    assert clock.seconds == 0


def test_run_until_stops_at_the_event_that_makes_the_condition_true() -> None:
    """Waiting for a change stops at the instant it happens, not later."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 10, ticks, count=5)

    held = clock.run_until(lambda: len(ticks) >= 2, limit=1000)

    assert held
    assert clock.seconds == 20
    assert ticks == [10, 20]


def test_run_until_checks_the_condition_before_running_anything() -> None:
    """A condition that already holds costs no simulated time."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 10, ticks, count=5)

    assert clock.run_until(lambda: True, limit=1000)
    assert clock.seconds == 0
    assert ticks == []


def test_run_until_gives_up_exactly_at_the_limit() -> None:
    """A wait that never succeeds ends at its limit with later events untouched."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 10, ticks, count=None)

    held = clock.run_until(lambda: False, limit=35)

    assert not held
    assert clock.seconds == 35
    assert ticks == [10, 20, 30]
    assert clock.next_event_at() == 40


def test_run_until_idle_runs_every_finite_process_to_its_end() -> None:
    """A lab with nothing periodic settles and the clock stays at its last event."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 7, ticks, count=3)

    assert clock.run_until_idle()
    assert clock.seconds == 21
    assert clock.next_event_at() is None


def test_run_until_idle_with_a_periodic_process_stops_at_the_limit() -> None:
    """A monitor that runs for ever keeps a lab from idling; a limit ends the wait."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 60, ticks, count=None)

    assert not clock.run_until_idle(limit=300)
    assert clock.seconds == 300
    assert len(ticks) == 5


def test_run_until_idle_is_true_when_the_queue_empties_before_the_limit() -> None:
    """Idle means no event before the limit; the clock does not jump to it."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 10, ticks, count=2)

    assert clock.run_until_idle(limit=1000)
    assert clock.seconds == 20


def test_next_event_at_reports_the_next_scheduled_instant() -> None:
    """The clock can say when the next thing happens, or that nothing will."""
    clock = LabClock()
    assert clock.next_event_at() is None

    clock.env.timeout(42)

    assert clock.next_event_at() == 42


def test_jumping_months_ahead_is_one_call() -> None:
    """Ninety days pass in one call while a daily monitor runs ninety times."""
    clock = LabClock()
    ticks: list[float] = []
    _ticker(clock, 86400, ticks, count=None)

    clock.advance(90 * 86400)

    assert clock.now == DEFAULT_START + timedelta(days=90)
    assert len(ticks) == 90


def test_paced_clock_follows_wall_time_times_the_speed() -> None:
    """At speed 30, two wall seconds move the lab by a simulated minute."""
    clock = LabClock()
    clock.set_paced(30)

    moved = clock.follow(2.0)

    assert clock.mode == "paced"
    assert moved == 60
    assert clock.seconds == 60


def test_stepped_clock_ignores_wall_time() -> None:
    """A stepped lab stands still however much wall time the adapter reports."""
    clock = LabClock()
    clock.set_paced(10)
    clock.set_stepped()

    assert clock.follow(5.0) == 0
    assert clock.seconds == 0
    assert clock.mode == "stepped"


def test_advance_also_works_in_paced_mode() -> None:
    """A trainer can still jump a paced lab ahead by hand."""
    clock = LabClock()
    clock.set_paced(2)

    clock.advance(100)
    clock.follow(1.5)

    assert clock.seconds == 103


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf])
def test_bad_spans_are_refused(bad: float) -> None:
    """The lab clock never moves backwards or by a span that is not a number."""
    clock = LabClock()

    with pytest.raises(ValueError, match="seconds"):
        clock.advance(bad)
    with pytest.raises(ValueError, match="limit"):
        clock.run_until(lambda: False, limit=bad)
    with pytest.raises(ValueError, match="limit"):
        clock.run_until_idle(limit=bad)
    with pytest.raises(ValueError, match="wall time"):
        clock.follow(bad)
    assert clock.seconds == 0


@pytest.mark.parametrize("bad", [0.0, -2.0, math.nan, math.inf])
def test_bad_speeds_are_refused(bad: float) -> None:
    """A paced lab needs a finite speed above zero; stepped mode holds time still."""
    clock = LabClock()

    with pytest.raises(ValueError, match="speed"):
        clock.set_paced(bad)
    assert clock.mode == "stepped"
    assert clock.speed == 1.0


def test_a_naive_start_is_refused() -> None:
    """The lab's start instant must carry a timezone."""
    with pytest.raises(ValueError, match="timezone"):
        LabClock(DEFAULT_START.replace(tzinfo=None))
