"""Cisco Unified Serviceability > Tools > Control Center, for the node that serves it.

Control Center acts on the local node only (reference ``cucm-interfaces.md``
section 2). Feature services and network services have a page each: a radio
button per service and Start, Stop and Restart above the list. A command
answers at once with the model's reply, so the page shows the state right
after the command (Stopping or Starting for a restart that takes time) and
says that the restart will take some time; Refresh shows how far it got.

Restarting Cisco Tomcat restarts the server of these very pages: until it is
Started again the node answers Tomcat's 503 page, and the page that comes
back is served with the certificate Tomcat loaded on starting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.render import SERVICEABILITY, Pages, Status, read_form
from emulator.services import Control, ReasonCode, Service, ServiceState

TOMCAT = "Cisco Tomcat"
COMMANDS: dict[str, Callable[[Service], Control]] = {
    "Start": Service.start,
    "Stop": Service.stop,
    "Restart": Service.restart,
}
PAGES = {
    "feature": ("featureServices", "Control Center - Feature Services"),
    "network": ("networkServices", "Control Center - Network Services"),
}


def uptime(seconds: float) -> str:
    """Control Center's Up Time: days, then hours, minutes and seconds."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} days {clock}" if days else clock


def routes(pages: Pages) -> APIRouter:
    """Control Center of ``pages.node``."""
    api = APIRouter(prefix="/ccmservice", include_in_schema=False)
    lab, node = pages.lab, pages.node

    def services(kind: str) -> list[Service]:
        wanted = kind == "feature"
        return [s for s in lab.services.on_node(node) if s.spec.is_feature == wanted]

    def row(service: Service) -> dict[str, str]:
        state = service.state.value
        if service.reason is not ReasonCode.SUCCESSFUL:
            state = f"{state} ({service.reason_string})"
        started = service.started_at if service.running else None
        return {
            "name": service.name,
            "status": state,
            "activation": "Activated" if service.activated else "Deactivated",
            "start_time": "" if started is None else _stamp(lab.clock.at(started)),
            "up_time": uptime(service.uptime()) if service.running else "",
        }

    def show(request: Request, kind: str, status: Status | None = None) -> Response:
        path, title = PAGES[kind]
        return pages.render(
            request, SERVICEABILITY, "control_center.html",
            title=title, status=status, path=f"/ccmservice/{path}",
            rows=[row(s) for s in services(kind)],
        )  # fmt: skip

    async def command(request: Request, kind: str) -> Response:
        form = await read_form(request)
        if form.problem:
            return show(request, kind, Status("error", form.problem))
        name, action = form.text("service"), form.text("action")
        if not name:
            return show(
                request,
                kind,
                Status(
                    "error",
                    "No service selected",
                    hint="choose a service with its radio button, then press "
                    "Start, Stop or Restart",
                ),
            )
        service = next((s for s in services(kind) if s.name == name), None)
        if service is None:
            return show(
                request,
                kind,
                Status("error", f"{name}: {ReasonCode.NO_SUCH_SERVICE.text}"),
            )
        if action not in COMMANDS:
            return show(
                request,
                kind,
                Status("error", f"{action}: {ReasonCode.BAD_ARGUMENTS.text}"),
            )
        control = COMMANDS[action](service)
        if not control.accepted:
            return show(
                request, kind, Status("error", f"{name}: {control.reason_string}")
            )
        return show(request, kind, _accepted(service, control))

    @api.get("/")
    async def home(request: Request) -> Response:
        if (refusal := pages.guard(request, SERVICEABILITY)) is not None:
            return refusal
        return pages.render(
            request, SERVICEABILITY, "serviceability_home.html",
            title="Cisco Unified Serviceability",
        )  # fmt: skip

    @api.get("/featureServices")
    async def feature_services(request: Request) -> Response:
        if (refusal := pages.guard(request, SERVICEABILITY)) is not None:
            return refusal
        return show(request, "feature")

    @api.post("/featureServices")
    async def feature_command(request: Request) -> Response:
        if (refusal := pages.guard(request, SERVICEABILITY)) is not None:
            return refusal
        return await command(request, "feature")

    @api.get("/networkServices")
    async def network_services(request: Request) -> Response:
        if (refusal := pages.guard(request, SERVICEABILITY)) is not None:
            return refusal
        return show(request, "network")

    @api.post("/networkServices")
    async def network_command(request: Request) -> Response:
        if (refusal := pages.guard(request, SERVICEABILITY)) is not None:
            return refusal
        return await command(request, "network")

    return api


def _accepted(service: Service, control: Control) -> Status:
    """The status after an accepted command, with the state it left behind."""
    text = (
        f"{control.action} Operation Successful for {service.name}: "
        f"now {service.state.value}"
    )
    notes = []
    if not control.finished:
        notes.append(
            f"The {control.action.lower()} will take some time. The list shows "
            "each service's state right after the command; press Refresh to "
            "follow it."
        )
    if service.name == TOMCAT and control.action in ("Stop", "UnDeploy"):
        notes.append(
            "Cisco Tomcat serves these pages: once it has stopped this node's web "
            "pages answer 'HTTP Status 503 - Service Unavailable' until it is "
            "started again with the CLI command 'utils service start Cisco Tomcat'."
        )
    elif service.name == TOMCAT and service.state is not ServiceState.STARTED:
        notes.append(
            "Cisco Tomcat serves these pages: until it is Started again this node "
            "answers 'HTTP Status 503 - Service Unavailable'. Refresh until this "
            "page comes back; it then uses the certificate Tomcat has just loaded."
        )
    return Status("success", text, tuple(notes))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S %Y")
