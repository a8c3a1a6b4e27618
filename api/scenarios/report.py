"""Results and what they are written as: a console table, JUnit XML, JSON.

JUnit XML is what CI servers read: one ``testcase`` per scenario and release,
a ``failure`` carrying the runner's explanation (the step, the expectation,
what happened, the nearest valid step), ``error`` for a file that cannot be
run and ``skipped`` for one this build cannot run.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATUSES = ("passed", "failed", "error", "skipped")
_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}


@dataclass
class StepResult:
    index: int
    line: int
    label: str
    status: str
    message: str
    #: Simulated seconds since the lab began, when the step ended.
    at: float


@dataclass
class ScenarioResult:
    """How one scenario (on one release) ended."""

    path: str
    name: str
    release: str
    status: str = "passed"
    message: str = ""
    steps: list[StepResult] = field(default_factory=list)
    wall: float = 0.0
    simulated: float = 0.0
    events: int = 0
    #: A hash of the journal: two runs of one scenario that did the same
    #: things in the same simulated instants have the same digest.
    digest: str = ""

    def finish(self, status: str, message: str, began: float) -> ScenarioResult:
        self.status, self.message = status, message
        self.wall = time.perf_counter() - began
        return self

    def outcome(self) -> dict[str, Any]:
        """Everything but the wall time: equal for equal runs."""
        data = asdict(self)
        del data["wall"]
        return data

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def counts(results: list[ScenarioResult]) -> dict[str, int]:
    found = Counter(r.status for r in results)
    return {"total": len(results), **{s: found.get(s, 0) for s in STATUSES}}


def summary_table(results: list[ScenarioResult], wall: float) -> Table:
    numbers = counts(results)
    table = Table(
        title=f"{numbers['total']} scenarios: {numbers['passed']} passed, "
        f"{numbers['failed']} failed, {numbers['error']} errors, "
        f"{numbers['skipped']} skipped in {wall:.1f} s",
        title_justify="left",
    )
    for column in ("Scenario", "File", "Release", "Result", "Steps", "Simulated"):
        table.add_column(column, overflow="fold")
    for result in results:
        passed = sum(s.status == "passed" for s in result.steps)
        table.add_row(
            escape(result.name),
            escape(result.path),
            result.release,
            f"[{_STYLE[result.status]}]{result.status}[/]",
            f"{passed}/{len(result.steps)}" if result.steps else "",
            _duration(result.simulated),
        )
    return table


def print_report(console: Console, results: list[ScenarioResult], wall: float) -> None:
    """The summary table, then each failure's explanation."""
    console.print(summary_table(results, wall))
    for result in results:
        if result.status in ("failed", "error"):
            console.print(f"\n[bold red]{escape(result.name)}[/] {result.status}")
            console.print(escape(result.message), highlight=False)


def write_junit(results: list[ScenarioResult], path: Path) -> None:
    numbers = counts(results)
    wall = sum(r.wall for r in results)
    suites = ET.Element("testsuites", name="cucm-lab scenarios")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="cucm-lab scenarios",
        tests=str(numbers["total"]),
        failures=str(numbers["failed"]),
        errors=str(numbers["error"]),
        skipped=str(numbers["skipped"]),
        time=f"{wall:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_classname(result.path),
            name=result.name,
            file=result.path,
            time=f"{result.wall:.3f}",
        )
        if result.status == "passed":
            continue
        tag = {"failed": "failure", "error": "error", "skipped": "skipped"}
        element = ET.SubElement(case, tag[result.status])
        element.set("message", result.message.splitlines()[0] if result.message else "")
        element.text = result.message
    ET.indent(suites)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_json(results: list[ScenarioResult], path: Path) -> None:
    document = {
        "summary": counts(results),
        "scenarios": [r.as_dict() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _classname(path: str) -> str:
    """``scenarios/errors/upload.yaml`` reads as ``scenarios.errors.upload``."""
    parts = Path(path).with_suffix("").parts
    return ".".join(p for p in parts if p not in ("", ".", "..", "/"))


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"
