"""Control Center Services over SOAP: the services of the node that answers.

Every operation acts on the node serving the endpoint: CUCM's documentation
says Control Center works only on the local node (reference
``cucm-interfaces.md`` section 2). Start, Stop and Restart go to
the model's :class:`~emulator.services.Service`, whose reply already shows
Stopping or Starting; the reason codes are Control Center's own.

Choices the reference leaves open (approximations):

- ``ReturnCode`` is "0" when everything asked was done and "1" when the
  request, or any service in it, was refused; the top-level ``ReasonCode``
  and ``ReasonString`` then carry the first refusal and what to do instead.
- Stop and Restart of a service the SOAP API may not stop (Cisco Tomcat,
  the Platform Administrative Web Service) are refused with -1012 "Bad
  arguments"; the service keeps running and the reason names the CLI
  command that does it. A ``NodeName`` naming another node is refused with
  -1012 and that node's own endpoint.
- ``StartTime`` reads like ``Mon Mar 02 09:00:00 2026`` (lab time, UTC);
  ``UpTime`` is -1 for a service that is not running.

Stepped clocks: a client that restarts a service polls
``soapGetServiceStatus`` until it reads Started, and on CUCM time passes
between its polls. With a stepped lab clock nothing else moves time, so a
status request for services still on their way lets the clock run until
they settle or for at most ``poll_seconds`` simulated seconds (5 by default),
whichever comes first. Each poll thus sees progress, and a restart ends after
a bounded number of polls. In paced mode time moves by itself and a status
request changes nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.runtime import LabRuntime
from api.soap.envelope import (
    SoapCall,
    SoapFault,
    add,
    answer,
    child,
    children,
    describe,
    text,
)
from emulator.cluster import Node
from emulator.services import Control, ReasonCode, Service, ServiceSpec

NS = "http://schemas.cisco.com/ast/soap"
PATH = "/controlcenterservice2/services/ControlCenterServices"
WSDL = "ControlCenterServices.wsdl"
REALM = "Cisco Serviceability"
#: Simulated seconds a status request may let a stepped clock run.
POLL_SECONDS = 5.0

PAGE = (
    "<html><head><title>ControlCenterServices</title></head><body>"
    "<h1>ControlCenterServices</h1><p>This is a SOAP endpoint: POST a SOAP 1.1 "
    "request to it, or add ?wsdl to this address for its description.</p>"
    "</body></html>"
)

#: Service Activation's groups, for the static list (the names CUCM uses for
#: its groups; which service sits in which is approximated).
GROUPS = {
    "Cisco CallManager": "CM Services",
    "Cisco Tftp": "CM Services",
    "Cisco CTIManager": "CTI Services",
    "Cisco Certificate Authority Proxy Function": "Security Services",
    "Cisco Trust Verification Service": "Security Services",
    "Cisco CTL Provider": "Security Services",
    "Cisco DRF Master": "Backup and Restore Services",
    "Cisco DRF Local": "Backup and Restore Services",
    "Cisco AXL Web Service": "Database and Admin Services",
    "Cisco RIS Data Collector": "Performance and Monitoring Services",
    "Cisco CDR Agent": "CDR Services",
}
_IMP_GROUP = "IM and Presence Services"
_PLATFORM_GROUP = "Platform Services"


Command = Callable[[Service], Control]
#: The commands each request field may name, and the model call for each.
_COMMANDS: dict[str, Mapping[str, Command]] = {
    "ControlType": {
        "Start": Service.start,
        "Stop": Service.stop,
        "Restart": Service.restart,
    },
    "DeployType": {"Deploy": Service.activate, "UnDeploy": Service.deactivate},
}


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _service_names(elements: list[ET.Element]) -> list[str]:
    """Names from ``ServiceStatus`` or ``ServiceList``: plain, repeated or in items."""
    names: list[str] = []
    for element in elements:
        items = children(element, "item")
        for source in items or [element]:
            if source.text and source.text.strip():
                names.append(source.text.strip())
    return list(dict.fromkeys(names))


class _Refusal(Exception):
    """The whole request is refused: -1012 with what to do instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ControlCenter:
    """Control Center of one node."""

    def __init__(
        self, runtime: LabRuntime, node: Node, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.runtime = runtime
        self.node = node
        self.poll_seconds = poll_seconds
        self._operations: dict[str, Callable[[ET.Element], Awaitable[ET.Element]]] = {
            "soapGetServiceStatus": self.get_service_status,
            "soapDoControlServices": self.do_control_services,
            "soapDoServiceDeployment": self.do_service_deployment,
            "soapGetStaticServiceList": self.get_static_service_list,
            "getProductInformationList": self.get_product_information_list,
        }

    async def dispatch(self, call: SoapCall) -> ET.Element:
        operation = self._operations.get(call.operation)
        if operation is None or call.namespace != NS:
            choices = ", ".join(self._operations)
            raise SoapFault(
                f"No such operation '{call.operation}' in namespace "
                f"'{call.namespace}'; ControlCenterServices has {choices} in {NS}."
            )
        return await operation(call.element)

    # -- operations ---------------------------------------------------------
    async def get_service_status(self, request: ET.Element) -> ET.Element:
        names = _service_names(children(request, "ServiceStatus"))
        services = self.runtime.lab.services
        wanted = (
            [(name, services.find(self.node, name)) for name in names]
            if names
            else [(s.name, s) for s in services.on_node(self.node)]
        )
        self._let_time_pass([s for _, s in wanted if s is not None])

        items = [self._item(name, service) for name, service in wanted]
        unknown = [name for name, service in wanted if service is None]
        reason = None
        if unknown:
            reason = (
                f"{self.node.hostname} has no service called {unknown[0]!r}; "
                "soapGetStaticServiceList lists the ones it has."
            )
        return self._information("soapGetServiceStatus", items, reason)

    async def do_control_services(self, request: ET.Element) -> ET.Element:
        return self._command(
            "soapDoControlServices", request, "ControlServiceRequest", "ControlType"
        )

    async def do_service_deployment(self, request: ET.Element) -> ET.Element:
        return self._command(
            "soapDoServiceDeployment", request, "DeploymentServiceRequest", "DeployType"
        )

    async def get_static_service_list(self, request: ET.Element) -> ET.Element:
        root = ET.Element(_q("soapGetStaticServiceListResponse"))
        listing = add(add(root, _q("soapGetStaticServiceListReturn")), _q("Services"))
        for service in self.runtime.lab.services.on_node(self.node):
            item = add(listing, _q("item"))
            self._specification(item, service.spec)
        return root

    async def get_product_information_list(self, request: ET.Element) -> ET.Element:
        lab = self.runtime.lab
        version = lab.profile.active_version
        publisher = lab.cluster.publisher.hostname
        product = self._product_id()

        root = ET.Element(_q("getProductInformationListResponse"))
        result = add(root, _q("getProductInformationListReturn"))
        add(result, _q("ActiveServerVersion"), version)
        add(result, _q("PrimaryNode"), publisher)
        secondary = "" if self.node.is_publisher else self.node.hostname
        add(result, _q("SecondaryNode"), secondary)
        products = add(result, _q("Products"))
        item = add(products, _q("item"))
        if self.node.is_cucm:
            name, short = "Cisco Unified Communications Manager", "CUCM"
        else:
            name, short = "Cisco Unified IM and Presence Service", "IMP"
        add(item, _q("ProductName"), name)
        add(item, _q("ProductVersion"), version)
        add(item, _q("ProductDescription"), f"{name} {version}")
        add(item, _q("ProductID"), product)
        add(item, _q("ShortName"), short)
        services = add(result, _q("Services"))
        for service in lab.services.on_node(self.node):
            self._specification(add(services, _q("item")), service.spec, product)
        return root

    # -- helpers ------------------------------------------------------------
    def _command(
        self,
        operation: str,
        request: ET.Element,
        body_name: str,
        field: str,
    ) -> ET.Element:
        """Run one command on each service named, as far as each allows."""
        body = child(request, body_name)
        if body is None:
            raise SoapFault(f"The request holds no {body_name}.")
        commands = _COMMANDS[field]
        command = text(body, field)
        try:
            names = self._local_request(body)
            if command not in commands:
                choices = ", ".join(commands)
                raise _Refusal(f"{field} must be one of {choices}, not {command!r}.")
        except _Refusal as refusal:
            return self._information(operation, [], refusal.reason)

        items: list[ET.Element] = []
        refusals: list[str] = []
        for name in names:
            service = self.runtime.lab.services.find(self.node, name)
            if service is None:
                items.append(self._item(name, None))
                refusals.append(f"{self.node.hostname} has no service {name!r}.")
            elif command in ("Stop", "Restart") and not service.spec.soap_controllable:
                items.append(self._item(name, service, ReasonCode.BAD_ARGUMENTS))
                refusals.append(
                    f"{service.name} cannot be stopped or restarted through "
                    "Control Center's SOAP API; use the admin CLI: utils service "
                    f"{command.lower()} {service.name}"
                )
            else:
                control = commands[command](service)
                items.append(self._item(name, service, control.reason))
                if not control.accepted:
                    why = control.reason_string
                    if field == "DeployType" and not service.spec.is_feature:
                        why = "a network service is always activated"
                    refusals.append(f"{service.name}: {why}")
        return self._information(operation, items, refusals[0] if refusals else None)

    def _local_request(self, body: ET.Element) -> list[str]:
        """The services named, once the request is known to be for this node."""
        node_name = text(body, "NodeName")
        if node_name:
            found = self.runtime.lab.cluster.find(node_name)
            if found is None:
                raise _Refusal(
                    f"NodeName {node_name!r} is not a node of this cluster; leave "
                    f"it empty or give {self.node.hostname}."
                )
            if found.hostname != self.node.hostname:
                raise _Refusal(
                    f"Control Center acts only on the node it runs on; send the "
                    f"request for {found.hostname} to https://{found.fqdn}:8443{PATH}"
                )
        names = _service_names(children(body, "ServiceList"))
        if not names:
            raise _Refusal(
                "ServiceList is empty; name at least one service, for example "
                "Cisco Tftp."
            )
        return names

    def _let_time_pass(self, services: list[Service]) -> None:
        """On a stepped clock, the time a poller would have waited (see above)."""
        clock = self.runtime.lab.clock
        if clock.mode != "stepped" or not any(s.busy for s in services):
            return
        clock.run_until(
            lambda: not any(s.busy for s in services), limit=self.poll_seconds
        )

    def _item(
        self, name: str, service: Service | None, reason: ReasonCode | None = None
    ) -> ET.Element:
        item = ET.Element(_q("item"))
        if service is None:
            code = ReasonCode.NO_SUCH_SERVICE
            add(item, _q("ServiceName"), name)
            add(item, _q("ServiceStatus"), "Unknown")
            add(item, _q("ReasonCode"), int(code))
            add(item, _q("ReasonCodeString"), code.text)
            add(item, _q("StartTime"), "")
            add(item, _q("UpTime"), -1)
            return item

        code = reason if reason is not None else service.reason
        clock = self.runtime.lab.clock
        started = ""
        if service.running and service.started_at is not None:
            started = clock.at(service.started_at).strftime("%a %b %d %H:%M:%S %Y")
        add(item, _q("ServiceName"), service.name)
        add(item, _q("ServiceStatus"), service.state.value)
        add(item, _q("ReasonCode"), int(code))
        add(item, _q("ReasonCodeString"), code.text)
        add(item, _q("StartTime"), started)
        add(item, _q("UpTime"), int(service.uptime()) if service.running else -1)
        return item

    def _information(
        self, operation: str, items: list[ET.Element], refusal: str | None
    ) -> ET.Element:
        """A ServiceInformationResponse: "0" when all was done, else "1"."""
        if refusal is None:
            return_code, code, reason = "0", ReasonCode.SUCCESSFUL, "Successful"
        else:
            return_code, reason = "1", refusal
            code = _first_refusal(items) or ReasonCode.BAD_ARGUMENTS
        root = ET.Element(_q(f"{operation}Response"))
        result = add(root, _q(f"{operation}Return"))
        add(result, _q("ReturnCode"), return_code)
        add(result, _q("ReasonCode"), int(code))
        add(result, _q("ReasonString"), reason)
        add(result, _q("ServiceInfoList")).extend(items)
        return root

    def _specification(
        self, item: ET.Element, spec: ServiceSpec, product: str | None = None
    ) -> None:
        add(item, _q("ServiceName"), spec.name)
        add(item, _q("ServiceType"), "Service")
        add(item, _q("Deployable"), spec.soap_controllable)
        add(item, _q("GroupName"), _group(spec))
        if product is not None:
            add(item, _q("ProductID"), product)
        add(item, _q("DependentServices"))

    def _product_id(self) -> str:
        return "CallManager" if self.node.is_cucm else "IMandPresence"


def _first_refusal(items: list[ET.Element]) -> ReasonCode | None:
    for item in items:
        code = ReasonCode(int(text(item, "ReasonCode", "-1")))
        if code is not ReasonCode.SUCCESSFUL:
            return code
    return None


def _group(spec: ServiceSpec) -> str:
    if spec.name in GROUPS:
        return GROUPS[spec.name]
    return _IMP_GROUP if spec.roles == frozenset({"imp"}) else _PLATFORM_GROUP


def router(
    runtime: LabRuntime, node: Node, *, poll_seconds: float = POLL_SECONDS
) -> APIRouter:
    """Control Center Services of ``node``: POST for SOAP, GET ``?wsdl``."""
    surface = ControlCenter(runtime, node, poll_seconds=poll_seconds)
    api = APIRouter()

    @api.post(PATH, include_in_schema=False)
    async def control_center(request: Request) -> Response:
        return await answer(
            request,
            runtime,
            node,
            surface.dispatch,
            surface="ControlCenterServices",
            realm=REALM,
            prefix="ns1",
        )

    @api.get(PATH, include_in_schema=False)
    async def control_center_wsdl(request: Request) -> Response:
        return await describe(request, runtime, wsdl=WSDL, realm=REALM, page=PAGE)

    return api
