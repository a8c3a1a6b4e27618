"""The workshop notebooks run top to bottom, each within its time budget."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BUDGET_SECONDS = 30


def _python3_kernel_is_this_python() -> bool:
    """ipykernel in this environment registers "python3" with a bare ``python``
    command, which jupyter_client replaces with the running interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return False
    command = spec.argv[0]
    return (
        command in ("python", "python3")
        or Path(command).resolve() == Path(sys.executable).resolve()
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem
)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    """Every cell runs without an error, in notebooks/ as the working directory,
    in under 30 seconds."""
    assert _python3_kernel_is_this_python(), "install ipykernel into this venv"
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=BUDGET_SECONDS,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )

    started = time.monotonic()
    client.execute()
    took = time.monotonic() - started

    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert took < BUDGET_SECONDS, f"{path.name} took {took:.1f} s"
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert figures, f"{path.name} draws no figure"
