"""Pictures of what a lab did, for the workshop notebooks.

Phones reset quietly (a reset journals one ``phones.reboot`` event, not one
event per phone), so the registration picture cannot be rebuilt from the
journal afterwards. :class:`PhoneTimeline` therefore listens to the journal
while the exercise runs and, on every phone event, reads the counters RTMT
would show: registered phones per node, locked phones, secure and non-secure
phones registered. Service states come straight from the journal's
``service.state`` events.

The helpers draw on whatever backend is active: the notebooks use the inline
backend (Agg underneath), scripts can call ``matplotlib.use("Agg")`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from emulator import Lab
from emulator.journal import Event

#: Control Center's states, bottom to top on a service-state plot.
STATES = ("Stopped", "Stopping", "Starting", "Started")
_PHONE_KINDS = ("phone.registered", "phone.unregistered", "phones.reboot", "phone")


@dataclass(frozen=True)
class Sample:
    """What RTMT would show at one simulated instant."""

    seconds: float
    per_node: dict[str, int]
    locked: int
    secure: int
    non_secure: int

    @property
    def registered(self) -> int:
        return sum(self.per_node.values())


class PhoneTimeline:
    """Registration counters sampled on every phone event of a lab's journal."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.nodes = [n.hostname for n in lab.cluster.cucm_nodes]
        self.samples: list[Sample] = [self._sample()]
        self.marks: list[tuple[float, str]] = []
        self._stop = lab.journal.subscribe(self._heard)

    def _heard(self, event: Event) -> None:
        if event.kind.startswith(_PHONE_KINDS):
            self.samples.append(self._sample())

    def _sample(self) -> Sample:
        phones = self.lab.phones
        registered = [p for p in phones.phones if p.registered_to is not None]
        return Sample(
            seconds=self.lab.clock.seconds,
            per_node={n: phones.registered_count(n) for n in self.nodes},
            locked=len(phones.locked()),
            secure=sum(1 for p in registered if p.secure),
            non_secure=sum(1 for p in registered if not p.secure),
        )

    def mark(self, label: str) -> None:
        """Note a step of the procedure at the current simulated time."""
        self.marks.append((self.lab.clock.seconds, label))

    def close(self) -> None:
        """Stop listening (the samples stay)."""
        self._stop()

    def minutes(self) -> list[float]:
        return [s.seconds / 60 for s in self.samples]


def _axes(ax: Axes | None, title: str) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    ax.set_title(title)
    ax.set_xlabel("simulated minutes")
    ax.grid(alpha=0.3)
    return ax


def _draw_marks(ax: Axes, marks: Iterable[tuple[float, str]]) -> None:
    top = ax.get_ylim()[1]
    for seconds, label in marks:
        ax.axvline(seconds / 60, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            label,
            (seconds / 60, top),
            rotation=90,
            fontsize=8,
            color="dimgrey",
            va="top",
            ha="right",
        )


def plot_registered_per_node(
    timeline: PhoneTimeline, ax: Axes | None = None, title: str = ""
) -> Axes:
    """Registered phones per CallManager node (PerfMon RegisteredHardwarePhones)."""
    ax = _axes(ax, title or "Registered phones per node")
    minutes = timeline.minutes()
    for node in timeline.nodes:
        counts = [s.per_node[node] for s in timeline.samples]
        ax.step(minutes, counts, where="post", label=node)
    ax.set_ylabel("registered phones")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8)
    _draw_marks(ax, timeline.marks)
    return ax


def plot_registered_and_locked(
    timeline: PhoneTimeline, ax: Axes | None = None, title: str = ""
) -> Axes:
    """Registered phones beside phones showing "Trust List Update Failed"."""
    ax = _axes(ax, title or "Registered and locked phones")
    minutes = timeline.minutes()
    registered = [s.registered for s in timeline.samples]
    locked = [s.locked for s in timeline.samples]
    ax.step(minutes, registered, where="post", label="registered")
    ax.step(minutes, locked, where="post", color="tab:red", label="locked")
    ax.set_ylabel("phones")
    ax.set_ylim(bottom=0, top=len(timeline.lab.phones.phones) * 1.1 + 1)
    ax.legend(loc="center right", fontsize=8)
    _draw_marks(ax, timeline.marks)
    return ax


def plot_secure_and_non_secure(
    timeline: PhoneTimeline, ax: Axes | None = None, title: str = ""
) -> Axes:
    """Registered phones with a secure (TLS) profile beside the others."""
    ax = _axes(ax, title or "Registered phones by security profile")
    minutes = timeline.minutes()
    secure = [s.secure for s in timeline.samples]
    non_secure = [s.non_secure for s in timeline.samples]
    ax.step(minutes, secure, where="post", color="tab:purple", label="secure (TLS)")
    ax.step(minutes, non_secure, where="post", color="tab:green", label="non-secure")
    ax.set_ylabel("registered phones")
    ax.set_ylim(bottom=0)
    ax.legend(loc="center right", fontsize=8)
    _draw_marks(ax, timeline.marks)
    return ax


def service_states(lab: Lab, node: str, service: str) -> list[tuple[float, str]]:
    """(seconds, state) for ``service`` on ``node``, from ``service.state`` events.

    The service was Started when the lab began unless its first event says
    otherwise; the list ends at the lab's current time.
    """
    events = lab.journal.query(kind="service.state", node=node, subject=service)
    states = [(0.0, "Started")]
    states += [(e.seconds, str(e.details["state"])) for e in events]
    states.append((lab.clock.seconds, states[-1][1]))
    return states


def plot_service_states(
    lab: Lab,
    services: Sequence[tuple[str, str]],
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Control Center state over time, one line per (node, service)."""
    ax = _axes(ax, title or "Service states")
    for node, service in services:
        states = service_states(lab, node, service)
        minutes = [seconds / 60 for seconds, _ in states]
        levels = [STATES.index(state) for _, state in states]
        ax.step(minutes, levels, where="post", label=f"{service} on {node}")
    ax.set_yticks(range(len(STATES)), list(STATES))
    ax.set_ylim(-0.3, len(STATES) - 0.7)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_bars(
    labels: Sequence[str],
    values: Sequence[float],
    ax: Axes | None = None,
    *,
    title: str = "",
    xlabel: str = "",
    colours: Sequence[str] | None = None,
) -> Axes:
    """Horizontal bars, first label on top (for orders of checks and tallies)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.4 * len(labels) + 1.2))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, values, color=colours or "tab:blue")
    ax.set_yticks(positions, list(labels))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    return ax


def print_table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    """Print ``rows`` as a plain table, each column as wide as its widest cell."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(line.rstrip() for line in lines))
