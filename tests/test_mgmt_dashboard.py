"""The trainers' dashboard on the control plane: one page and its forms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

_names = itertools.count(1)


@pytest.fixture
def lab(api: httpx.Client) -> Iterator[str]:
    name = f"d{next(_names)}"
    created = api.post(
        "/labs",
        json={"name": name, "version": "11.5", "subscribers": 1, "imp": 0,
              "phones": 6, "clock": "stepped", "seed": 3},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    yield name
    api.delete(f"/labs/{name}")


def test_dashboard_shows_loaded_against_installed(plane, api, lab):
    """A regenerated certificate is installed at once but CUCM's service keeps
    presenting the one it loaded until it restarts."""
    page = api.get(f"/labs/{lab}/dashboard")
    assert page.status_code == 200
    assert "Restart needed" not in page.text
    assert "<svg" in page.text and "ITL signer (CallManager)" in page.text

    hosted = plane.registry.get(lab)
    plane.call(lambda: hosted.lab.certs.regenerate(hosted.lab.publisher, "tomcat"))
    page = api.get(f"/labs/{lab}/dashboard")
    assert page.text.count("Restart needed") == 1
    assert 'class="differs"' in page.text


def test_clock_forms_move_and_pace_the_clock(plane, api, lab):
    """CUCM runs on wall time; the lab's clock can be jumped or paced instead."""
    moved = api.post(f"/labs/{lab}/dashboard/clock/advance", data={"seconds": "600"})
    assert moved.status_code == 303
    assert api.get(f"/labs/{lab}/clock").json()["seconds"] >= 600
    shown = api.get(moved.headers["location"])
    assert "The clock moved 600 seconds on" in shown.text

    refused = api.post(
        f"/labs/{lab}/dashboard/clock/advance",
        data={"seconds": "soon"},
        follow_redirects=True,
    )
    assert "seconds: give 0 to" in refused.text
    api.post(f"/labs/{lab}/dashboard/clock/mode", data={"mode": "paced", "speed": "5"})
    state = api.get(f"/labs/{lab}/clock").json()
    assert (state["mode"], state["speed"]) == ("paced", 5.0)
    api.post(f"/labs/{lab}/dashboard/clock/mode", data={"mode": "stepped"})
    assert api.get(f"/labs/{lab}/clock").json()["mode"] == "stepped"


def test_fault_forms_add_and_remove_rules(api, lab):
    """An injected CUCM error stays armed until the trainer removes its rule."""
    added = api.post(
        f"/labs/{lab}/dashboard/faults",
        data={"target": "CSR_MISSING", "unit": "tomcat", "count": "1"},
        follow_redirects=True,
    )
    assert "added (CSR_MISSING)" in added.text
    rules = api.get(f"/labs/{lab}/faults").json()
    assert [r["target"] for r in rules] == ["CSR_MISSING"]

    bad = api.post(
        f"/labs/{lab}/dashboard/faults",
        data={"target": "NO_SUCH_THING"},
        follow_redirects=True,
    )
    assert "target: unknown fault" in bad.text
    removed = api.post(
        f"/labs/{lab}/dashboard/faults/{rules[0]['id']}/remove",
        follow_redirects=True,
    )
    assert "removed (CSR_MISSING)" in removed.text
    assert api.get(f"/labs/{lab}/faults").json() == []


def test_reset_and_run_show_phones_registering_over_time(api, lab):
    """After a Reset, CUCM's phones drop and register again within minutes."""
    api.post(f"/labs/{lab}/dashboard/phones/reset")
    page = api.post(f"/labs/{lab}/dashboard/clock/run", follow_redirects=True)
    assert "Every powered phone is registered" in page.text
    assert "phones.reboot" in page.text
    assert 'id="locked-count">0<' in page.text
