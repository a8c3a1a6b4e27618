"""The runner: build a scenario's lab, run its steps, judge what happened.

One scenario runs in one process on one lab with a stepped clock, so it
takes as long as the machine needs and no longer, and gives the same result
for the same seed: every draw comes from the lab's seed, and the RSA keys come
from a fixed list in a fixed order (a key pool file, filled once), so even
the certificates repeat. Many scenarios run in parallel processes with
``jobs`` above one; results come back in the order the scenarios were given.

When a step fails the runner stops the scenario there (later steps build on
it) and says which step, which expectation, what happened, and the nearest
valid step: the refusal's hint, or the expectation's advice.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from api.scenarios import ScenarioFormatError, expect, load_file, steps
from api.scenarios import model as m
from api.scenarios.context import Run
from api.scenarios.labs import (
    build_lab,
    default_keys_file,
    pool_keys,
)
from api.scenarios.outcomes import Refusal, StepFailure
from api.scenarios.report import ScenarioResult, StepResult
from emulator import Lab

#: RSA keys a scenario's lab draws from the pool before generating its own:
#: far more than any lab in the library uses.
# Workers do not fork the caller: a progress display runs a thread, and a
# child forked mid-refresh could inherit that thread's locks held.
_CONTEXT = multiprocessing.get_context(
    "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
)


# -- one scenario --------------------------------------------------------------
def uses_faults(scenario: m.Scenario) -> bool:
    return bool(scenario.lab.faults) or any(
        s.action in ("inject", "clear-faults") for s in scenario.active_steps()
    )


def run_scenario(
    scenario: m.Scenario, keys: Sequence[rsa.RSAPrivateKey] = ()
) -> ScenarioResult:
    """Run every step of ``scenario`` on a fresh lab; stop at the first failure."""
    began = time.perf_counter()
    result = ScenarioResult(str(scenario.path), scenario.title, scenario.release)
    lab = build_lab(scenario, keys)
    if uses_faults(scenario) and not hasattr(lab, "faults"):
        return result.finish(
            "skipped",
            "needs fault injection (lab.faults), which this build lacks",
            began,
        )
    run = Run(lab, scenario.path.parent)
    for fault in scenario.lab.faults:
        try:
            steps.add_fault(run, fault)
        except StepFailure as failed:
            return result.finish(
                "error", f"{scenario.path}: lab.faults: {failed}", began
            )
    run.start_seq = run.step_seq = len(lab.journal) - 1

    for step in scenario.active_steps():
        run.begin_step()
        status, message = _step(run, scenario, step)
        result.steps.append(
            StepResult(
                step.index, step.line, step.label, status, message, lab.clock.seconds
            )
        )
        if status != "passed":
            result.finish(status, message, began)
            break
    else:
        result.finish("passed", "", began)
    result.simulated = lab.clock.seconds
    result.events = len(lab.journal)
    result.digest = _digest(lab)
    return result


def _step(run: Run, scenario: m.Scenario, step: m.StepSpec) -> tuple[str, str]:
    where = f"{scenario.path}:{step.line}: step {step.index} ({step.label})"
    try:
        refusal = steps.execute(run, step)
    except StepFailure as failed:
        return "failed", _explain(
            where, "the step to do what it says", failed.message, failed.hint
        )
    except Exception as crashed:
        return "error", f"{where}\n  crashed: {type(crashed).__name__}: {crashed}"

    wanted = step.expect.error if step.expect is not None else None
    if refusal is None and wanted is not None:
        return "failed", _explain(where, f"error {wanted}", "the step succeeded")
    if refusal is not None and refusal.code != wanted:
        return "failed", _explain(
            where,
            f"error {wanted}" if wanted else "no error",
            _refused(refusal),
            refusal.hint,
        )
    if step.expect is None:
        return "passed", ""
    text = step.expect.message
    if text is not None and (refusal is None or text not in refusal.message):
        shown = refusal.message if refusal is not None else "no refusal"
        return "failed", _explain(where, f"message containing {text!r}", shown)
    mismatches = expect.check(run, step.expect)
    if not mismatches:
        return "passed", ""
    return "failed", "\n".join(
        _explain(
            where if i == 0 else "", f"{x.expectation}: {x.expected}", x.actual, x.hint
        )
        for i, x in enumerate(mismatches)
    ).strip()


def _refused(refusal: Refusal) -> str:
    injected = " (injected)" if refusal.injected else ""
    return f"{refusal.code}{injected}: {refusal.message}"


def _explain(where: str, expected: str, happened: str, hint: str = "") -> str:
    lines = [where] if where else []
    lines += [f"  expected {expected}", f"  happened: {happened}"]
    if hint:
        lines.append(f"  nearest valid step: {hint}")
    return "\n".join(lines)


def _digest(lab: Lab) -> str:
    """A fingerprint of the journal: equal for two runs that did the same."""
    text = "\n".join(
        f"{e.seq} {e.seconds:.6f} {e.kind} {e.node} {e.subject}" for e in lab.journal
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- many scenarios ------------------------------------------------------------
def scenario_files(paths: Iterable[Path | str]) -> list[Path]:
    """The YAML files named, directories searched recursively, in order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def run_paths(
    paths: Iterable[Path | str],
    *,
    jobs: int = 1,
    keys_file: Path | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> list[ScenarioResult]:
    """Run every scenario under ``paths``, in processes when ``jobs`` > 1;
    results in the order of the files, whatever order they finish in."""
    keys_file = keys_file or default_keys_file()
    planned: list[tuple[str, str] | ScenarioResult] = []
    for path in scenario_files(paths):
        try:
            planned += [(str(path), s.release) for s in load_file(path)]
        except ScenarioFormatError as broken:
            failed = ScenarioResult(str(path), path.stem, "")
            planned.append(failed.finish("error", str(broken), time.perf_counter()))
    if on_planned is not None:
        on_planned(len(planned))
    done = {id(p): p for p in planned if isinstance(p, ScenarioResult)}
    for result in done.values():
        if on_result is not None:
            on_result(result)

    work = [p for p in planned if isinstance(p, tuple)]
    keys = pool_keys(keys_file)
    if jobs <= 1 or len(work) <= 1:
        for item in work:
            done[id(item)] = _run_planned(*item, keys=keys)
            if on_result is not None:
                on_result(done[id(item)])
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_CONTEXT) as executor:
            futures = {
                executor.submit(_run_in_worker, *item, str(keys_file)): item
                for item in work
            }
            for future in as_completed(futures):
                done[id(futures[future])] = future.result()
                if on_result is not None:
                    on_result(future.result())
    return [done[id(p)] for p in planned]


def _run_planned(
    path: str, release: str, *, keys: Sequence[rsa.RSAPrivateKey]
) -> ScenarioResult:
    scenario = next(s for s in load_file(path) if s.release == release)
    return run_scenario(scenario, keys)


def _run_in_worker(path: str, release: str, keys_file: str) -> ScenarioResult:
    return _run_planned(path, release, keys=pool_keys(Path(keys_file)))
