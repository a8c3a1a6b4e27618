"""Which catalogue errors and phone trust outcomes a library of scenarios exercises.

A scenario exercises an error when a step expects it (``expect: error:``) and
a trust outcome when a step expects a journal event carrying it (``journal:
{outcome: ...}``). It does so *naturally* unless the same scenario injects
that very target through the fault plan, in which case it counts as
*injected*. Coverage is read from the files; nothing is run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from api.scenarios import ScenarioFormatError, load_file
from api.scenarios import model as m
from api.scenarios.runner import scenario_files
from emulator.errors import CATALOGUE
from emulator.phones.trust import Outcome

#: Entries no operation and no fault can produce, each with the reason; they
#: are listed but not counted as missing.
UNREACHABLE: dict[str, str] = {}


@dataclass
class Row:
    """One catalogue entry or trust outcome and the scenarios that exercise it."""

    name: str
    kind: str
    natural: list[str] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.natural or self.injected)

    @property
    def unreachable(self) -> str:
        return UNREACHABLE.get(self.name, "")


@dataclass
class Coverage:
    rows: list[Row]
    problems: list[str]

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.rows if not r.covered and not r.unreachable]


def rows() -> list[Row]:
    """Every catalogue entry (by class) and every trust outcome, in order."""
    found = [
        Row(code, f"error ({e.error_class.value})") for code, e in CATALOGUE.items()
    ]
    kinds = {True: "outcome (accepted)", False: "outcome (refused)"}
    return found + [Row(o.name, kinds[o.accepted]) for o in Outcome]


def exercised(scenario: m.Scenario) -> set[str]:
    """The errors and outcomes a scenario's expectations name."""
    names: set[str] = set()
    for step in scenario.active_steps():
        if step.expect is None:
            continue
        if step.expect.error is not None:
            names.add(step.expect.error)
        names.update(j.outcome for j in step.expect.journal if j.outcome)
    return names


def injected(scenario: m.Scenario) -> set[str]:
    """The fault targets a scenario adds, in its lab section or in steps."""
    targets = {f.target for f in scenario.lab.faults}
    for step in scenario.active_steps():
        if isinstance(step.body, m.LabFault):
            targets.add(step.body.target)
    return targets


def measure(paths: Iterable[Path | str]) -> Coverage:
    table = {row.name: row for row in rows()}
    problems = []
    # Gathered per file, so a file run on three releases is listed once.
    seen: dict[str, dict[str, tuple[list[str], bool]]] = {}
    for path in scenario_files(paths):
        try:
            scenarios = load_file(path)
        except ScenarioFormatError as broken:
            problems.append(str(broken))
            continue
        for scenario in scenarios:
            forced = injected(scenario)
            for name in exercised(scenario) & table.keys():
                releases, _ = seen.setdefault(name, {}).setdefault(
                    str(path), ([], name in forced)
                )
                releases.append(scenario.release)
    for name, files in seen.items():
        for file, (releases, by_fault) in files.items():
            label = f"{file} [{', '.join(releases)}]"
            (table[name].injected if by_fault else table[name].natural).append(label)
    return Coverage(list(table.values()), problems)
