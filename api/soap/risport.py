"""RisPort70 over SOAP: where each phone is registered, as CUCM's RIS reports it.

Every node answers for the whole cluster (reference ``cucm-interfaces.md``
section 3). The answer has one ``CmNodes`` item per call-processing node: a
registered phone is listed under the node it is registered to, any other
phone under its primary node with its status (UnRegistered, Rejected) and
the reason it gave. A node with no matching device is listed with
``ReturnCode`` NotFound, which is why clients skip items that are not Ok.

The answer is a snapshot: it never moves the lab clock. Each selection is
counted against :class:`QueryLimit`, CUCM's "Allowed Device Queries Per
Minute" (default 15), per lab and across all its nodes, in wall time since
the limit protects the server rather than the simulation.

Approximations: the rate-limit fault text; NotFound for nodes with no match;
IM and Presence nodes left out; an empty ``StateInfo`` with ``NoChange``
always false (every answer is complete); Protocol SIP, load IDs of our own
and DownloadStatus Unknown for every phone; ``selectCtiItem`` finds nothing.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from weakref import WeakKeyDictionary

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
    nil,
    text,
)
from emulator import Lab
from emulator.cluster import Node
from emulator.phones.model import Phone

NS = "http://schemas.cisco.com/ast/soap"
PATH = "/realtimeservice2/services/RISService70"
WSDL = "RISService70.wsdl"
REALM = "Cisco Serviceability"
#: The most devices one answer lists, whatever MaxReturnedDevices asks.
MAX_DEVICES = 1000

PAGE = (
    "<html><head><title>RISService70</title></head><body><h1>RISService70</h1>"
    "<p>This is a SOAP endpoint: POST a SOAP 1.1 request to it, or add ?wsdl to "
    "this address for its description.</p></body></html>"
)


@dataclass(frozen=True)
class QueryLimit:
    """RIS queries allowed per minute for one lab; None allows any number."""

    per_minute: int | None = 15
    window_seconds: float = 60.0


# Wall-clock instants of the queries each lab answered in the last window.
_recent: WeakKeyDictionary[Lab, deque[float]] = WeakKeyDictionary()


def _admit(lab: Lab, limit: QueryLimit) -> None:
    if limit.per_minute is None:
        return
    now = time.monotonic()
    recent = _recent.setdefault(lab, deque())
    while recent and now - recent[0] >= limit.window_seconds:
        recent.popleft()
    if len(recent) >= limit.per_minute:
        raise SoapFault(
            "Exceeded allowed rate for Realtime information. Current allowed rate "
            f"for realtime information is {limit.per_minute} requests per minute. "
            "If problem persists, please contact System Administrator.",
            code="Server",
        )
    recent.append(now)


_CLASSES = ("Any", "Phone", "Gateway", "H323", "Cti", "VoiceMail",
            "MediaResources", "SIPTrunk", "HuntList", "Unknown")  # fmt: skip
_STATUSES = ("Any", "Registered", "UnRegistered", "Rejected",
             "PartiallyRegistered", "Unknown")  # fmt: skip
_SELECT_BY = ("Name", "IPV4Address", "IPV6Address", "DirNumber", "Description")
_PROTOCOLS = ("Any", "SCCP", "SIP", "Unknown")
_DOWNLOADS = ("Any", "Upgrading", "Successful", "Failed", "Unknown")

#: Firmware loads reported as ActiveLoadID, by model family.
LOADS = {"Cisco 88": "sip88xx.14-2-1-0001-14", "Cisco 78": "sip78xx.14-2-1-0001-14"}


def _choice(criteria: ET.Element, name: str, allowed: tuple[str, ...]) -> str:
    value = text(criteria, name) or allowed[0]
    for option in allowed:
        if option.casefold() == value.casefold():
            return option
    raise SoapFault(f"{name} {value!r} is not one of {', '.join(allowed)}.")


def _number(criteria: ET.Element, name: str, default: int) -> int:
    value = text(criteria, name)
    if not value:
        return default
    if not value.isdigit():
        raise SoapFault(f"{name} must be a whole number, not {value!r}.")
    return int(value)


def _pattern(item: str) -> re.Pattern[str]:
    """An item with ``*`` wildcards, matched whole and in any case."""
    parts = (re.escape(part) for part in item.split("*"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Criteria:
    """A parsed CmSelectionCriteria."""

    limit: int
    device_class: str
    model: int
    status: str
    node: str
    select_by: str
    patterns: tuple[re.Pattern[str], ...]
    protocol: str
    download: str

    @classmethod
    def parse(cls, criteria: ET.Element | None) -> Criteria:
        if criteria is None:
            raise SoapFault("The request holds no CmSelectionCriteria.")
        items: list[str] = []
        for entry in children(child(criteria, "SelectItems"), "item"):
            # ciscoris puts a comma-joined list of names in one Item.
            items += [part.strip() for part in text(entry, "Item").split(",")]
        limit = _number(criteria, "MaxReturnedDevices", MAX_DEVICES)
        patterns = tuple(_pattern(item) for item in items if item)
        return cls(
            limit=min(limit, MAX_DEVICES),
            device_class=_choice(criteria, "DeviceClass", _CLASSES),
            model=_number(criteria, "Model", 255),
            status=_choice(criteria, "Status", _STATUSES),
            node=text(criteria, "NodeName"),
            select_by=_choice(criteria, "SelectBy", _SELECT_BY),
            patterns=patterns or (_pattern("*"),),
            protocol=_choice(criteria, "Protocol", _PROTOCOLS),
            download=_choice(criteria, "DownloadStatus", _DOWNLOADS),
        )

    @property
    def phones_wanted(self) -> bool:
        """False when the criteria rule out every phone of the lab at once."""
        return (
            self.device_class in ("Any", "Phone")
            and self.protocol in ("Any", "SIP")
            and self.download in ("Any", "Unknown")
        )

    def matches(self, phone: Phone) -> bool:
        if self.model != 255 and phone.model.ris_model != self.model:
            return False
        if self.status != "Any" and phone.status.value != self.status:
            return False
        value = {
            "Name": phone.name,
            "IPV4Address": phone.ip_address,
            "IPV6Address": None,
            "DirNumber": phone.directory_number,
            "Description": phone.description,
        }[self.select_by]
        return value is not None and any(p.fullmatch(value) for p in self.patterns)


class RisPort:
    """RisPort70 as one node serves it."""

    def __init__(self, runtime: LabRuntime, node: Node, limit: QueryLimit) -> None:
        self.runtime = runtime
        self.node = node
        self.limit = limit

    async def dispatch(self, call: SoapCall) -> ET.Element:
        operations = ("selectCmDevice", "selectCmDeviceExt", "selectCtiItem")
        if call.namespace != NS or call.operation not in operations:
            raise SoapFault(
                f"No such operation '{call.operation}' in namespace "
                f"'{call.namespace}'; RISService70 has {', '.join(operations)} "
                f"in {NS}."
            )
        if call.operation == "selectCtiItem":
            criteria = child(call.element, "CtiSelectionCriteria")
            nodes = self._nodes(text(criteria, "NodeName"))
            _admit(self.runtime.lab, self.limit)
            return _no_cti_items(nodes)
        chosen = Criteria.parse(child(call.element, "CmSelectionCriteria"))
        nodes = self._nodes(chosen.node)
        _admit(self.runtime.lab, self.limit)
        return self._select(chosen, nodes)

    def _nodes(self, name: str) -> list[str] | str:
        """Host names to report on, or the unknown name given."""
        cluster = self.runtime.lab.cluster
        if not name:
            return [n.hostname for n in cluster.cucm_nodes]
        found = cluster.find(name)
        return name if found is None or not found.is_cucm else [found.hostname]

    def _select(self, criteria: Criteria, nodes: list[str] | str) -> ET.Element:
        root = ET.Element(_q("selectCmDeviceResponse"))
        result_return = add(root, _q("selectCmDeviceReturn"))
        result = add(result_return, _q("SelectCmDeviceResult"))
        total = add(result, _q("TotalDevicesFound"))
        cm_nodes = add(result, _q("CmNodes"))
        add(result_return, _q("StateInfo"), "")
        if isinstance(nodes, str):
            _cm_node(cm_nodes, nodes, "InvalidNodeName")
            total.text = "0"
            return root

        found: dict[str, list[Phone]] = {hostname: [] for hostname in nodes}
        if criteria.phones_wanted:
            for phone in self.runtime.lab.phones.phones:
                home = phone.registered_to or phone.primary
                if home in found and criteria.matches(phone):
                    found[home].append(phone)
        count = 0
        for hostname in nodes:
            listed = sorted(found[hostname], key=lambda p: p.name)
            listed = listed[: criteria.limit - count]
            count += len(listed)
            devices = _cm_node(cm_nodes, hostname, "Ok" if listed else "NotFound")
            for phone in listed:
                self._device(add(devices, _q("item")), phone)
        total.text = str(count)
        return root

    def _device(self, item: ET.Element, phone: Phone) -> None:
        status = phone.status.value
        stamp = self.runtime.lab.clock.at(phone.timestamp).timestamp()
        load = next((v for k, v in LOADS.items() if phone.model.name.startswith(k)), "")
        add(item, _q("Name"), phone.name)
        add(item, _q("DirNumber"), f"{phone.directory_number}-{status}")
        add(item, _q("DeviceClass"), "Phone")
        add(item, _q("Model"), phone.model.ris_model)
        add(item, _q("Product"), phone.model.ris_model)
        add(item, _q("BoxProduct"), 0)
        add(item, _q("Httpd"), "Yes")
        add(item, _q("RegistrationAttempts"), 0)
        add(item, _q("IsCtiControllable"), True)
        nil(item, _q("LoginUserId"))
        add(item, _q("Status"), status)
        add(item, _q("StatusReason"), int(phone.reason))
        add(item, _q("PerfMonObject"), 2)
        add(item, _q("DChannel"), 0)
        add(item, _q("Description"), phone.description)
        nil(item, _q("H323Trunk"))
        add(item, _q("TimeStamp"), int(stamp))
        add(item, _q("Protocol"), "SIP")
        add(item, _q("NumOfLines"), 1)
        line = add(add(item, _q("LinesStatus")), _q("item"))
        add(line, _q("DirectoryNumber"), phone.directory_number)
        add(line, _q("Status"), status)
        add(item, _q("ActiveLoadID"), load)
        nil(item, _q("InactiveLoadID"))
        add(item, _q("DownloadStatus"), "Unknown")
        add(item, _q("DownloadFailureReason"), "")
        nil(item, _q("DownloadServer"))
        address = add(add(item, _q("IPAddress")), _q("item"))
        add(address, _q("IP"), phone.ip_address)
        add(address, _q("IPAddrType"), "ipv4")
        add(address, _q("Attribute"), "Unknown")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _cm_node(parent: ET.Element, name: str, code: str) -> ET.Element:
    item = add(parent, _q("item"))
    add(item, _q("ReturnCode"), code)
    add(item, _q("Name"), name)
    add(item, _q("NoChange"), False)
    return add(item, _q("CmDevices"))


def _no_cti_items(nodes: list[str] | str) -> ET.Element:
    """The lab has no CTI applications, so every node reports none."""
    root = ET.Element(_q("selectCtiItemResponse"))
    result_return = add(root, _q("selectCtiItemReturn"))
    result = add(result_return, _q("SelectCtiItemResult"))
    add(result, _q("TotalItemsFound"), 0)
    cti_nodes = add(result, _q("CtiNodes"))
    if isinstance(nodes, str):
        reports = [(nodes, "InvalidNodeName")]
    else:
        reports = [(name, "NotFound") for name in nodes]
    for name, code in reports:
        item = add(cti_nodes, _q("item"))
        add(item, _q("ReturnCode"), code)
        add(item, _q("Name"), name)
        add(item, _q("NoChange"), False)
        add(item, _q("CtiItems"))
    add(result_return, _q("StateInfo"), "")
    return root


def router(
    runtime: LabRuntime, node: Node, *, limit: QueryLimit | None = None
) -> APIRouter:
    """RisPort70 of ``node``: POST for SOAP, GET ``?wsdl`` (ciscoris fetches it)."""
    surface = RisPort(runtime, node, limit or QueryLimit())
    api = APIRouter()

    @api.post(PATH, include_in_schema=False)
    async def risport(request: Request) -> Response:
        return await answer(
            request,
            runtime,
            node,
            surface.dispatch,
            surface="RISService70",
            realm=REALM,
            prefix="ns1",
        )

    @api.get(PATH, include_in_schema=False)
    async def risport_wsdl(request: Request) -> Response:
        return await describe(request, runtime, wsdl=WSDL, realm=REALM, page=PAGE)

    return api
