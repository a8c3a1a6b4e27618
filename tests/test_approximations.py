"""The approximations list is data, and the docs page shows all of it."""

from __future__ import annotations

from pathlib import Path

from emulator.approximations import load, render_markdown
from emulator.errors import CATALOGUE

DOCS = Path(__file__).resolve().parent.parent / "docs" / "approximations.md"


def test_docs_page_is_current():
    """docs/approximations.md is exactly what `make docs` renders from the data."""
    assert DOCS.read_text() == render_markdown(load())


def test_entries_are_complete_and_unique():
    """Every approximation has an id, an area, what the lab does and why."""
    entries = load()
    assert len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.area and len(entry.behaviour) > 20 and len(entry.reason) > 20


def test_unconfirmed_texts_are_listed():
    """Catalogue texts the reference does not confirm are covered by the list."""
    listed = " ".join(e.behaviour for e in load()).lower()
    unconfirmed = [e for e in CATALOGUE.values() if not e.confirmed]
    assert unconfirmed
    assert "ca certificate not available" in listed
    assert "wildcard" in listed and "expired" in listed
