"""The trainers' lab dashboard: one HTML page per lab on the control plane.

``GET /labs/{lab}/dashboard`` shows the nodes and their services, which
certificate each trust-relevant service loaded beside what is installed,
the phones by trust and registration (with registered phones per node over
simulated time), the journal's latest events, the clock and the fault
rules. Its forms post to ``/labs/{lab}/dashboard/...`` and come back to the
page with a status line (post, redirect, get), so the page works without
JavaScript; a few lines of script only append new journal events as the
event stream delivers them.

The forms make the same model calls as the JSON endpoints beside them and
refuse the same way; a refusal is the page's status line, not an error page.
"""

from __future__ import annotations

import math
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.mgmt.app import Hosted
from api.mgmt.clock import MAX_JUMP, MAX_SPEED
from api.mgmt.dashboard_view import certificate_lines, describe, latest_events
from api.mgmt.faults import _scope_service, _scope_unit
from api.mgmt.registry import HostedLab
from api.web import registration
from api.web.dashboard import describe_event
from api.web.render import ENVIRONMENT, inline_stylesheet, read_form
from api.web.trust_view import itl_statuses, trust_counts
from emulator.faults import FaultError

router = APIRouter(prefix="/labs/{lab}/dashboard", include_in_schema=False)

N = TypeVar("N", int, float)
TIMELINE = 60
QUICK_STEPS = (("1 minute", 60), ("10 minutes", 600), ("1 hour", 3600),
               ("1 day", 86400))  # fmt: skip


def _back(hosted: HostedLab, kind: str, text: str) -> Response:
    """Back to the dashboard, carrying the outcome for its status line."""
    query = urlencode({"kind": kind, "done": text})
    return RedirectResponse(f"/labs/{hosted.name}/dashboard?{query}", 303)


@router.get("")
async def dashboard(hosted: Hosted, request: Request) -> Response:
    """The dashboard page."""
    lab = hosted.lab
    kind = request.query_params.get("kind", "")
    done = request.query_params.get("done", "")[:500]
    statuses = itl_statuses(lab)
    events = latest_events(lab, TIMELINE)
    html = ENVIRONMENT.get_template("control_dashboard.html").render(
        name=hosted.name, lab=lab, template=hosted.template,
        stylesheet=inline_stylesheet(),
        status_kind=kind if kind in ("success", "error") else "info", done=done,
        nodes=[(n, certificate_lines(lab, n), lab.services.on_node(n),
                hosted.host.endpoints[n.hostname]) for n in lab.cluster.nodes],
        describe=describe, counts=lab.phones.counts(), trust=trust_counts(statuses),
        phone_total=len(lab.phones.phones), locked=len(lab.phones.locked()),
        chart=registration.chart(registration.history(lab)),
        events=events, describe_event=describe_event,
        last_seq=events[0].seq if events else -1,
        rules=list(lab.faults.rules.values()),
        catalogue=lab.faults.catalogue(), quick_steps=QUICK_STEPS,
    )  # fmt: skip
    return HTMLResponse(html)


@router.post("/clock/advance")
async def advance(hosted: Hosted, request: Request) -> Response:
    form = await read_form(request)
    text = form.text("seconds")
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_JUMP:
        return _back(
            hosted, "error", f"seconds: give 0 to {MAX_JUMP:.0f}, not {text!r}"
        )
    hosted.lab.clock.advance(seconds)
    return _back(hosted, "success", f"The clock moved {seconds:g} seconds on")


@router.post("/clock/run")
async def run(hosted: Hosted, request: Request) -> Response:
    lab = hosted.lab
    reached = lab.clock.run_until(lab.phones.all_registered, limit=4 * 3600)
    if reached:
        return _back(hosted, "success", "Every powered phone is registered")
    return _back(
        hosted, "error", "Not every phone registered within four simulated hours"
    )


@router.post("/clock/mode")
async def mode(hosted: Hosted, request: Request) -> Response:
    form = await read_form(request)
    clock = hosted.lab.clock
    chosen = form.text("mode")
    if chosen == "stepped":
        clock.set_stepped()
        return _back(hosted, "success", "The clock is stepped: it moves when asked")
    if chosen != "paced":
        return _back(hosted, "error", f"mode: choose paced or stepped, not {chosen!r}")
    text = form.text("speed") or str(clock.speed)
    try:
        speed = float(text)
    except ValueError:
        speed = math.nan
    if not math.isfinite(speed) or not 0 < speed <= MAX_SPEED:
        return _back(
            hosted, "error", f"speed: give above 0 up to {MAX_SPEED:g}, not {text!r}"
        )
    clock.set_paced(speed)
    return _back(hosted, "success", f"The clock is paced at {speed:g}x wall time")


@router.post("/phones/reset")
async def reset_phones(hosted: Hosted) -> Response:
    count = hosted.lab.phones.reset()
    return _back(hosted, "success", f"Reset sent to {count} devices")


@router.post("/faults")
async def add_rule(hosted: Hosted, request: Request) -> Response:
    form = await read_form(request)
    phones = [p for p in form.text("phones").replace(",", " ").split() if p]
    try:
        count = _number(form.text("count"), int, "count")
        probability = _number(form.text("probability"), float, "probability")
        rule = hosted.lab.faults.add(
            form.text("target"),
            node=form.text("node") or None,
            unit=_scope_unit(form.text("unit") or None),
            service=_scope_service(form.text("service") or None),
            phones=phones or None,
            count=count,
            probability=probability,
        )
    except FaultError as exc:
        return _back(hosted, "error", str(exc))
    return _back(hosted, "success", f"Fault rule {rule.id} added ({rule.target})")


@router.post("/faults/{rule_id}/remove")
async def remove_rule(hosted: Hosted, rule_id: str) -> Response:
    try:
        rule = hosted.lab.faults.remove(rule_id)
    except FaultError as exc:
        return _back(hosted, "error", str(exc))
    return _back(hosted, "success", f"Fault rule {rule.id} removed ({rule.target})")


@router.post("/faults/clear")
async def clear_rules(hosted: Hosted) -> Response:
    removed = hosted.lab.faults.clear()
    return _back(hosted, "success", f"{removed} fault rules removed")


def _number(text: str, kind: type[N], field: str) -> N | None:
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise FaultError(f"{field}: {text!r} is not a number") from None
