"""The approximations list: what cucm-lab does where the facts run out.

The list is data (``data/approximations.yaml``) so that tests, the docs and
the web pages read the same entries. ``python -m emulator.approximations``
renders it as Markdown.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Approximation:
    id: str
    area: str
    behaviour: str
    reason: str


def load() -> list[Approximation]:
    """Every entry, in file order."""
    text = resources.files("emulator").joinpath("data/approximations.yaml").read_text()
    return [Approximation(**entry) for entry in yaml.safe_load(text)]


def render_markdown(entries: list[Approximation]) -> str:
    """The list as a Markdown page, grouped by area."""
    lines = [
        "# What cucm-lab approximates",
        "",
        "Where the reference leaves a fact open, cucm-lab picks the most plausible",
        "behaviour and lists it here. Generated from",
        "`emulator/data/approximations.yaml` by `make docs`; do not edit by hand.",
    ]
    areas: dict[str, list[Approximation]] = {}
    for entry in entries:
        areas.setdefault(entry.area, []).append(entry)
    for area, items in areas.items():
        lines += ["", f"## {area.capitalize()}", ""]
        for item in items:
            lines.append(f"- **{item.behaviour}** {item.reason} (`{item.id}`)")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the page here")
    args = parser.parse_args()
    page = render_markdown(load())
    if args.write:
        args.write.write_text(page)
    else:
        print(page, end="")


if __name__ == "__main__":
    main()
