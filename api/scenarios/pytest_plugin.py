"""A pytest plugin that collects ``scenarios/**/*.yaml`` files as tests.

Each scenario file becomes a collector with one test per release its lab
names, so QA can mix scenario files into their own suites and select them
with ``-k``. A file that cannot be read is a collection error naming the file
and line; a failing scenario reports the runner's explanation, not a Python
traceback. Registered through the ``pytest11`` entry point (or with ``-p
api.scenarios.pytest_plugin``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.scenarios import Scenario, ScenarioFormatError, load_file
from api.scenarios.labs import pool_keys
from api.scenarios.runner import run_scenario

_SUFFIXES = (".yaml", ".yml")


class ScenarioFailed(Exception):
    """A scenario that did not pass; its text is the runner's explanation."""


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    if file_path.suffix not in _SUFFIXES:
        return None
    try:
        parts = file_path.relative_to(parent.config.rootpath).parts[:-1]
    except ValueError:
        parts = file_path.parts[:-1]
    if "scenarios" not in parts:
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """One scenario file: a test per release."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenarios = load_file(self.path)
        except ScenarioFormatError as broken:
            raise self.CollectError(str(broken)) from None
        for scenario in scenarios:
            name = scenario.release if scenario.variants > 1 else scenario.name
            yield ScenarioItem.from_parent(self, name=name, scenario=scenario)


class ScenarioItem(pytest.Item):
    """One scenario on one release, run on a fresh lab."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        result = run_scenario(self.scenario, _keys(self.config))
        if result.status == "skipped":
            pytest.skip(result.message)
        if result.status != "passed":
            raise ScenarioFailed(result.message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.title}"


_KEYS = pytest.StashKey[list[Any]]()


def _keys(config: pytest.Config) -> list[Any]:
    """The session's key pool, under ``$CUCM_LAB_STATE`` or the rootdir's
    ``.lab-state``; filled once, then read by every scenario."""
    if _KEYS not in config.stash:
        state = Path(os.environ.get("CUCM_LAB_STATE", config.rootpath / ".lab-state"))
        config.stash[_KEYS] = pool_keys(state / "keys" / "scenarios-rsa-2048.pem")
    return config.stash[_KEYS]
