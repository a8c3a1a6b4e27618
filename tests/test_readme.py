"""The README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example_runs():
    """The documented CA-signed tomcat upload works against a fresh lab."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_scenario_example_passes(tmp_path):
    """The README's scenario runs and its expectation holds."""
    from api.scenarios.runner import run_paths

    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks
    for index, block in enumerate(blocks):
        (tmp_path / f"readme-{index}.yaml").write_text(block)
    results = run_paths([tmp_path])
    assert results and all(r.status == "passed" for r in results), results
