"""AXL over SOAP: the handful of operations certificate procedures use.

Clients bundle different AXL schema versions (ciscoaxl sends 12.5, Cisco's
samples 14.0), so the node takes any ``http://www.cisco.com/AXL/API/<ver>``
namespace, or the ``ver=`` of a ``CUCM:DB ver=12.5 doDeviceReset``
SOAPAction when the body is unqualified, and answers in the version it was
asked in (reference ``cucm-interfaces.md`` section 4). As in AXL, only the
operation element is qualified; its children are not.

Phones are reset through the model, so a reset phone shows UnRegistered with
StatusReason 9 (callManagerReset) in RisPort70 until it has booted again.
"Apply Configuration" pushes a configuration change and restarts the phone,
which is all the model can tell apart.

Every refusal is an AXL fault: ``faultcode``, ``faultstring`` and
``detail/axlError`` with ``axlcode``, ``axlmessage`` and ``request`` (the
operation). Codes: 5007 for a device that does not exist (CUCM's); for SQL,
Informix's -201 syntax error, -206 unknown table and -217 unknown column
(texts approximated); and -1, invented, for a request the lab cannot read at
all (no such operation, a missing or invalid element).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import authorised, unauthorised
from api.runtime import LabRuntime
from api.soap.envelope import (
    SoapCall,
    SoapFault,
    add,
    answer,
    describe,
    text,
)
from emulator.cluster import Node
from emulator.phones.model import Phone

PATHS = ("/axl/", "/axl")
WSDL = "AXLAPI.wsdl"
REALM = "Cisco AXL API"
AXL_NS = "http://www.cisco.com/AXL/API/{version}"
_NAMESPACE = re.compile(r"^http://www\.cisco\.com/AXL/API/(\d+\.\d+)$")
_ACTION_VERSION = re.compile(r"\bver=(\d+\.\d+)\b")

PAGE = (
    "<html><head><title>Cisco AXL Web Service</title></head><body>"
    "<h1>Cisco AXL Web Service</h1><p>The AXL SOAP web service is working and "
    "accepting requests. POST AXL requests to this address.</p></body></html>"
)

DEVICE_NOT_FOUND = 5007
REQUEST_UNREADABLE = -1


def axl_fault(
    code: int, message: str, operation: str, *, fault_code: str = "Server"
) -> SoapFault:
    """A SOAP fault carrying AXL's ``axlError`` detail."""
    error = ET.Element("axlError")
    add(error, "axlcode", code)
    add(error, "axlmessage", message)
    add(error, "request", operation)
    return SoapFault(message, code=fault_code, detail=error)


def _unreadable(message: str, operation: str) -> SoapFault:
    return axl_fault(REQUEST_UNREADABLE, message, operation, fault_code="Client")


def device_uuid(seed: int, name: str) -> str:
    """A phone's pkid: stable for the lab's seed, as a UUID in CUCM's lower case."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cucm-lab:{seed}:device:{name}"))


# -- executeSQLQuery: a small reader for the queries procedures send ---------
@dataclass(frozen=True)
class Table:
    """A table the lab can query: its columns and its rows."""

    columns: tuple[str, ...]
    rows: list[dict[str, str]]


_SELECT = re.compile(
    r"select\s+(?P<columns>.+?)\s+from\s+(?P<table>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+order\s+by\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"\s*;?",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"(?P<column>[\w.]+)\s*(?P<op>=|!=|<>|like)\s*"
    r"(?P<value>'(?:[^']|'')*'|\"[^\"]*\"|-?\d+)",
    re.IGNORECASE | re.DOTALL,
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)

Row = list[tuple[str, str]]


def run_query(sql: str, tables: dict[str, Table], operation: str) -> list[Row]:
    """The rows of a one-table SELECT with optional WHERE (=, <>, LIKE) and ORDER BY.

    Anything else is answered as Informix answers what it cannot parse.
    """
    query = _SELECT.fullmatch(sql.strip())
    if query is None:
        raise axl_fault(-201, "A syntax error has occurred.", operation)
    name = query["table"].lower()
    table = tables.get(name)
    if table is None:
        raise axl_fault(
            -206,
            f"The specified table ({name}) is not in the database. (This lab "
            f"answers queries on {', '.join(sorted(tables))}.)",
            operation,
        )

    def known(token: str) -> str:
        bare = token.strip().rpartition(".")[2].lower()
        if bare not in table.columns:
            raise axl_fault(
                -217,
                f"Column ({bare}) not found in any table in the query (or SLV is "
                "undefined).",
                operation,
            )
        return bare

    listed = query["columns"].strip()
    selected = table.columns if listed == "*" else [known(c) for c in listed.split(",")]
    rows = table.rows
    if query["where"]:
        for condition in _AND.split(query["where"].strip()):
            parsed = _CONDITION.fullmatch(condition.strip())
            if parsed is None:
                raise axl_fault(-201, "A syntax error has occurred.", operation)
            rows = _filter(rows, known(parsed["column"]), parsed["op"], parsed["value"])
    if query["order"]:
        key = known(query["order"])
        descending = (query["direction"] or "").lower() == "desc"
        rows = sorted(rows, key=lambda row: row[key], reverse=descending)
    return [[(column, row[column]) for column in selected] for row in rows]


def _filter(
    rows: list[dict[str, str]], column: str, op: str, literal: str
) -> list[dict[str, str]]:
    value = literal
    if literal[:1] in ("'", '"'):
        value = literal[1:-1].replace("''", "'")
    if op.lower() == "like":
        # Informix LIKE: % is any run of characters, _ any one; case counts.
        parts = (re.escape(p) for p in value.split("%"))
        pattern = re.compile(".*".join(parts).replace("_", "."), re.DOTALL)
        return [row for row in rows if pattern.fullmatch(row[column])]
    keep = op == "="
    return [row for row in rows if (row[column] == value) == keep]


class Axl:
    """The AXL operations of the lab."""

    def __init__(self, runtime: LabRuntime) -> None:
        self.runtime = runtime
        self._operations: dict[str, Callable[[ET.Element, str], ET.Element]] = {
            "doDeviceReset": self.do_device_reset,
            "resetPhone": self.reset_phone,
            "restartPhone": self.restart_phone,
            "applyPhone": self.apply_phone,
            "resetEnterpriseParameters": self.reset_all,
            "doEnterpriseParametersReset": self.reset_all,
            "restartEnterpriseParameters": self.restart_all,
            "applyConfigEnterpriseParameters": self.apply_all,
            "executeSQLQuery": self.execute_sql_query,
            "getCCMVersion": self.get_ccm_version,
        }

    async def dispatch(self, call: SoapCall) -> ET.Element:
        namespace = self._namespace(call)
        operation = self._operations.get(call.operation)
        if operation is None:
            choices = ", ".join(self._operations)
            raise _unreadable(
                f"No such operation '{call.operation}'; this lab's AXL answers "
                f"{choices}.",
                call.operation,
            )
        response = ET.Element(f"{{{namespace}}}{call.operation}Response")
        returned = operation(call.element, call.operation)
        response.append(returned)
        return response

    def _namespace(self, call: SoapCall) -> str:
        if _NAMESPACE.match(call.namespace):
            return call.namespace
        if call.namespace:
            raise _unreadable(
                f"'{call.namespace}' is not an AXL namespace; use "
                f"{AXL_NS.format(version='14.0')} or another AXL version.",
                call.operation,
            )
        asked = _ACTION_VERSION.search(call.action)
        version = asked.group(1) if asked else f"{self.runtime.lab.profile.major:.1f}"
        return AXL_NS.format(version=version)

    # -- phones ---------------------------------------------------------------
    def do_device_reset(self, request: ET.Element, operation: str) -> ET.Element:
        phone = self._phone(request, operation, "deviceName")
        kind = text(request, "deviceResetType")
        if not kind:
            hard = text(request, "isHardReset").lower()
            if hard not in ("", "true", "false", "1", "0"):
                raise _unreadable(
                    f"isHardReset must be true or false, not {hard!r}.", operation
                )
            kind = "Reset" if hard in ("true", "1") else "Restart"
        phones = self.runtime.lab.phones
        if kind == "Reset":
            phones.reset([phone])
        elif kind == "Restart":
            phones.restart([phone])
        elif kind == "Apply Configuration":
            phones.apply_config()
            phones.restart([phone])
        elif kind not in ("Generate PRT", "Extended Config Pull"):
            raise _unreadable(
                f"deviceResetType {kind!r} is not one of Reset, Restart, Apply "
                "Configuration, Generate PRT, Extended Config Pull.",
                operation,
            )
        return _returned("true")

    def reset_phone(self, request: ET.Element, operation: str) -> ET.Element:
        self.runtime.lab.phones.reset([self._phone(request, operation, "name")])
        return _returned("true")

    def restart_phone(self, request: ET.Element, operation: str) -> ET.Element:
        self.runtime.lab.phones.restart([self._phone(request, operation, "name")])
        return _returned("true")

    def apply_phone(self, request: ET.Element, operation: str) -> ET.Element:
        phone = self._phone(request, operation, "name")
        self.runtime.lab.phones.apply_config()
        self.runtime.lab.phones.restart([phone])
        return _returned("true")

    # -- every device: the Enterprise Parameters page's buttons ---------------
    def reset_all(self, request: ET.Element, operation: str) -> ET.Element:
        self.runtime.lab.phones.reset()
        return _returned("true")

    def restart_all(self, request: ET.Element, operation: str) -> ET.Element:
        self.runtime.lab.phones.restart()
        return _returned("true")

    def apply_all(self, request: ET.Element, operation: str) -> ET.Element:
        self.runtime.lab.phones.apply_config()
        self.runtime.lab.phones.restart()
        return _returned("true")

    # -- reading --------------------------------------------------------------
    def execute_sql_query(self, request: ET.Element, operation: str) -> ET.Element:
        sql = text(request, "sql")
        if not sql:
            raise _unreadable("executeSQLQuery needs an sql element.", operation)
        returned = ET.Element("return")
        for row in run_query(sql, self._tables(), operation):
            element = add(returned, "row")
            for column, value in row:
                add(element, column, value)
        return returned

    def get_ccm_version(self, request: ET.Element, operation: str) -> ET.Element:
        returned = ET.Element("return")
        version = add(returned, "componentVersion")
        add(version, "version", self.runtime.lab.profile.active_version)
        return returned

    # -- helpers ----------------------------------------------------------------
    def _phone(self, request: ET.Element, operation: str, field: str) -> Phone:
        lab = self.runtime.lab
        name = text(request, field)
        wanted = text(request, "uuid").strip("{}").lower()
        if not name and not wanted:
            raise _unreadable(f"{operation} needs {field} or uuid.", operation)
        if name:
            phone = lab.phones.get(name)
        else:
            seed = lab.config.seed
            found = (
                p for p in lab.phones.phones if device_uuid(seed, p.name) == wanted
            )
            phone = next(found, None)
        if phone is None:
            raise axl_fault(
                DEVICE_NOT_FOUND,
                "Item not valid: The specified Device was not found",
                operation,
            )
        return phone

    def _tables(self) -> dict[str, Table]:
        lab = self.runtime.lab
        seed = lab.config.seed
        mode = lab.security.parameters.cluster_security_mode
        devices: list[dict[str, str]] = [
            {
                "pkid": device_uuid(seed, phone.name),
                "name": phone.name,
                "description": phone.description,
                "tkclass": "1",
                "tkmodel": str(phone.model.ris_model),
            }
            for phone in lab.phones.phones
        ]
        return {
            "device": Table(
                ("pkid", "name", "description", "tkclass", "tkmodel"), devices
            ),
            "processconfig": Table(
                ("paramname", "paramvalue"),
                [{"paramname": "ClusterSecurityMode", "paramvalue": str(mode)}],
            ),
        }


def _returned(value: str) -> ET.Element:
    returned = ET.Element("return")
    returned.text = value
    return returned


def router(runtime: LabRuntime, node: Node) -> APIRouter:
    """AXL on ``node``: GET ``/axl/`` for the probe page, POST for SOAP."""
    surface = Axl(runtime)
    api = APIRouter()

    async def axl(request: Request) -> Response:
        return await answer(
            request,
            runtime,
            node,
            surface.dispatch,
            surface="AXL",
            realm=REALM,
            prefix="ns",
        )

    async def axl_page(request: Request) -> Response:
        # Clients such as ciscoaxl probe GET /axl/ and give up on 401 or 404.
        if any(key.lower() == "wsdl" for key in request.query_params):
            return await describe(request, runtime, wsdl=WSDL, realm=REALM, page=PAGE)
        credentials = runtime.credentials
        if not authorised(
            request, credentials.application_user, credentials.application_password
        ):
            return unauthorised(REALM)
        return HTMLResponse(PAGE)

    for path in PATHS:
        api.add_api_route(path, axl, methods=["POST"], include_in_schema=False)
        api.add_api_route(path, axl_page, methods=["GET"], include_in_schema=False)
    return api
