"""``cucm-lab scenario``: run scenario suites and report what they cover.

Mounted on the main command as ``app.add_typer(scenario_app, name="scenario")``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.scenarios import coverage as measured
from api.scenarios.labs import default_keys_file, pool_keys
from api.scenarios.report import ScenarioResult, print_report, write_json, write_junit
from api.scenarios.runner import run_paths

scenario_app = typer.Typer(
    help="Run scenario suites (YAML) against fresh labs and report the results.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(width=None if sys.stdout.isatty() else 140)


@scenario_app.command()
def run(
    paths: Annotated[
        list[Path], typer.Argument(help="Scenario files or folders (searched deeply).")
    ],
    junit: Annotated[
        Path | None, typer.Option(help="Write a JUnit XML report here.")
    ] = None,
    json_report: Annotated[
        Path | None, typer.Option("--json", help="Write a JSON report here.")
    ] = None,
    jobs: Annotated[
        int, typer.Option("-j", "--jobs", min=1, help="Scenarios run in parallel.")
    ] = 1,
    keys: Annotated[
        Path | None,
        typer.Option(help="RSA key pool file (filled on first use; reused after)."),
    ] = None,
) -> None:
    """Run every scenario under PATHS; exit 1 if any fails."""
    keys_file = keys or default_keys_file()
    began = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        # Filled here, once, so parallel workers only ever read the pool.
        def generating(count: int) -> None:
            progress.add_task(
                f"Generating {count} RSA keys for {keys_file}", total=None
            )

        pool_keys(keys_file, on_generate=generating)
        task = progress.add_task("Running scenarios", total=None)

        def planned(total: int) -> None:
            progress.update(task, total=total)

        def finished(result: ScenarioResult) -> None:
            if result.status != "passed":
                progress.console.print(
                    f"[red]{result.status}[/] {escape(result.name)}", highlight=False
                )
            progress.advance(task)

        results = run_paths(
            paths,
            jobs=jobs,
            keys_file=keys_file,
            on_result=finished,
            on_planned=planned,
        )
    wall = time.perf_counter() - began
    print_report(console, results, wall)
    if junit is not None:
        write_junit(results, junit)
    if json_report is not None:
        write_json(results, json_report)
    if not results or any(r.status in ("failed", "error") for r in results):
        raise typer.Exit(1)


@scenario_app.command("coverage")
def coverage_command(
    path: Annotated[Path, typer.Argument(help="The scenario library.")] = Path(
        "scenarios"
    ),
) -> None:
    """List every catalogue error and trust outcome and what exercises it."""
    found = measured.measure([path])
    table = Table(title=f"Coverage of {path}", title_justify="left")
    for column in ("Entry", "Kind", "Natural", "Injected"):
        table.add_column(column, overflow="fold")
    for row in found.rows:
        natural = "\n".join(escape(n) for n in row.natural)
        injected = "\n".join(escape(n) for n in row.injected)
        if not row.covered:
            natural = (
                f"[dim]{escape(row.unreachable)}[/]"
                if row.unreachable
                else ("[red]not exercised[/]")
            )
        table.add_row(row.name, row.kind, natural, injected)
    console.print(table)
    for problem in found.problems:
        console.print(f"[red]{escape(problem)}[/]")
    covered = sum(r.covered for r in found.rows)
    console.print(
        f"{covered} of {len(found.rows)} exercised; "
        f"{len(found.missing)} missing; {len(measured.UNREACHABLE)} unreachable"
    )
    if found.missing or found.problems:
        raise typer.Exit(1)
