"""Registered phones per node over simulated time, drawn as an inline SVG.

RTMT's "Registered Phones" counter is what engineers watch after a reset;
this is its lab counterpart. The history is replayed from the journal, the
lab's only record, so a page shows the same curve whenever it is drawn.

The journal does not name every phone a step touches, so the replay
approximates in two places: the lab's first registrations (``phones.ready``)
are placed on each phone's primary CallManager, and a ``phones.reboot``
counts as every phone going down only when it rebooted at least as many
phones as were registered (a reset of a few phones shows no dip; their
``phone.registered`` events still put them back on their node).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from emulator.journal import Event
from emulator.lab import Lab

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 150, 14, 30
#: Distinct colours for up to eight call-processing nodes; the total is dashed.
COLOURS = ("#1f6fb2", "#d2691e", "#2e8b57", "#8b3a9e", "#b8860b", "#c0392b",
           "#16a085", "#5d6d7e")  # fmt: skip
WATCHED = ("phone.registered", "phone.unregistered", "phones.reboot", "phones.ready")


@dataclass(frozen=True)
class History:
    """Registered phones per node at each moment the count changed."""

    nodes: tuple[str, ...]
    #: (simulated seconds, registered count per node in ``nodes`` order)
    points: tuple[tuple[float, tuple[int, ...]], ...]
    phones: int
    until: float

    @property
    def current(self) -> dict[str, int]:
        last = self.points[-1][1] if self.points else (0,) * len(self.nodes)
        return dict(zip(self.nodes, last, strict=True))


def history(lab: Lab, events: Iterable[Event] | None = None) -> History:
    """Replay ``events`` (the whole journal by default) into counts per node."""
    fleet = lab.phones
    nodes = tuple(
        node.hostname
        for node in lab.cluster.nodes
        if lab.services.find(node, "Cisco CallManager") is not None
    )
    where: dict[str, str] = {}
    points: list[tuple[float, tuple[int, ...]]] = []

    def sample(seconds: float) -> None:
        counts = [0] * len(nodes)
        for node in where.values():
            if node in nodes:
                counts[nodes.index(node)] += 1
        point = (seconds, tuple(counts))
        if points and points[-1][0] == seconds:
            points[-1] = point
        elif not points or points[-1][1] != point[1]:
            points.append(point)

    for event in lab.journal if events is None else events:
        if event.kind not in WATCHED:
            continue
        if event.kind == "phones.ready":
            registered = int(event.details.get("registered", 0))
            where = {p.name: p.primary for p in fleet.phones[:registered]}
        elif event.kind == "phone.registered" and event.subject and event.node:
            where[event.subject] = event.node
        elif event.kind == "phone.unregistered" and event.subject:
            where.pop(event.subject, None)
        elif event.kind == "phones.reboot" and (
            int(event.details.get("count", 0)) >= len(where)
        ):
            where.clear()
        sample(event.seconds)
    sample(lab.clock.seconds)
    return History(nodes, tuple(points), len(fleet.phones), lab.clock.seconds)


def elapsed(seconds: float) -> str:
    """Simulated time since the lab began, as RTMT's axis would label it."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}"
    if secs:
        clock += f":{secs:02d}"
    return f"{days}d {clock}" if days else clock


def chart(found: History, *, title: str = "Registered phones per node") -> Markup:
    """An SVG line chart of ``found``: a step line per node and the total."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max(found.until, 1.0)
    top = max(found.phones, 1)

    def x(seconds: float) -> float:
        return LEFT + plot_w * seconds / span

    def y(count: int) -> float:
        return TOP + plot_h * (1 - count / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="registration-chart" '
        f'role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="#fbfcfe" stroke="#c9d3de"/>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        count = round(top * fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(count):.1f}" '
            f'y2="{y(count):.1f}" stroke="#e3e9f0"/><text x="{LEFT - 6}" '
            f'y="{y(count) + 4:.1f}" text-anchor="end" class="axis">{count}</text>'
        )
    for fraction in (0, 0.5, 1):
        moment = span * fraction
        anchor = ("start", "middle", "end")[int(fraction * 2)]
        parts.append(
            f'<text x="{x(moment):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}" '
            f'class="axis">{escape(elapsed(moment))}</text>'
        )

    series = [(node, index) for index, node in enumerate(found.nodes)]
    lines: list[tuple[str, str, list[int], str]] = [
        (node, COLOURS[i % len(COLOURS)], [c[i] for _, c in found.points], "")
        for node, i in series
    ]
    lines.append(("All nodes", "#0d274d", [sum(c) for _, c in found.points], "5 3"))
    times = [seconds for seconds, _ in found.points]
    for row, (name, colour, counts, dash) in enumerate(lines):
        steps = _steps(times, counts, found.until)
        path = " ".join(f"{x(t):.1f},{y(c):.1f}" for t, c in steps)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        last = counts[-1] if counts else 0
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashed} '
            f'points="{path}"><title>{escape(name)}: {last} registered now'
            "</title></polyline>"
        )
        legend_y = TOP + 14 + 18 * row
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" '
            f'y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dashed}/><text x="{WIDTH - RIGHT + 38}" '
            f'y="{legend_y}" class="legend">{escape(name)} ({last})</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _steps(
    times: list[float], counts: list[int], until: float
) -> list[tuple[float, int]]:
    """The corners of a step line: each count holds until the next change."""
    corners: list[tuple[float, int]] = []
    for index, (moment, count) in enumerate(zip(times, counts, strict=True)):
        if index:
            corners.append((moment, counts[index - 1]))
        corners.append((moment, count))
    if corners:
        corners.append((until, corners[-1][1]))
    return corners
