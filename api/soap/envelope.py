"""SOAP 1.1 over HTTP, shared by Control Center, RisPort70 and AXL.

On a CUCM node all three are SOAP services behind the same Tomcat, and ours
read a request and fail the same way. HTTP Basic with the lab's
application user comes first: a wrong or missing password gets Tomcat's 401
page and nothing else happens. Then the body must be a SOAP 1.1 envelope of
at most :data:`MAX_BODY` bytes, sent as XML, whose Body holds one operation
element. Anything else (malformed XML, a DOCTYPE, a body too large, a JSON
content type, an operation the surface does not have) is answered with a
SOAP 1.1 fault and HTTP 500, the status SOAP 1.1 gives every fault, so a
client sees one kind of refusal whatever it got wrong. Nothing reaches the
lab before the request has been read and parsed.

DOCTYPEs are refused outright rather than parsed without their entities:
defusedxml stops at the declaration, so no entity, internal or external, is
ever expanded or fetched.

Replies are built as :mod:`xml.etree` trees and written by :func:`serialise`
with the prefixes CUCM's replies show (``ns1:`` for the serviceability
namespace, reference section 3; ``ns:`` for AXL), which ElementTree cannot do
without changing its process-wide prefix registry.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.auth import authorised, unauthorised
from api.runtime import LabRuntime
from emulator.cluster import Node
from emulator.errors import CucmError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: The largest request body read, in bytes; larger ones get a Client fault.
MAX_BODY = 2 * 1024 * 1024
# Past the limit the rest of the body is read and dropped, so the client can
# finish sending and read the fault; beyond this much the connection is cut.
_DRAIN_LIMIT = 32 * MAX_BODY
_XML_TYPES = frozenset({"text/xml", "application/xml", "application/soap+xml"})
#: Where the WSDL files shipped with the package put their service address;
#: replaced by the address each request came in on.
WSDL_BASE = "https://cucm-lab.invalid:8443"

log = logging.getLogger("cucm_lab.soap")


class SoapFault(Exception):
    """A SOAP 1.1 fault: ``code`` is Client (the request) or Server (the node)."""

    def __init__(
        self, message: str, *, code: str = "Client", detail: ET.Element | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SoapCall:
    """One parsed request: the operation element of the Body and its header."""

    action: str
    operation: str
    namespace: str
    element: ET.Element


Dispatch = Callable[[SoapCall], Awaitable[ET.Element]]


# -- reading ------------------------------------------------------------------
def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    """Children called ``name`` in any namespace: clients qualify them or not."""
    if parent is None:
        return []
    return [c for c in parent if isinstance(c.tag, str) and local_name(c.tag) == name]


def child(parent: ET.Element | None, name: str) -> ET.Element | None:
    found = children(parent, name)
    return found[0] if found else None


def text(parent: ET.Element | None, name: str, default: str = "") -> str:
    """The stripped text of the first child called ``name``."""
    found = child(parent, name)
    if found is None or found.text is None:
        return default
    return found.text.strip()


def soap_action(request: Request) -> str:
    """The SOAPAction header without the quotes zeep puts around it."""
    return request.headers.get("soapaction", "").strip().strip('"').strip()


async def read_body(request: Request) -> bytes:
    kept: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY:
            kept.append(chunk)
        elif size > _DRAIN_LIMIT:
            break
    if size > MAX_BODY:
        raise SoapFault(
            f"The request body is larger than {MAX_BODY} bytes and was not read; "
            "send a smaller request."
        )
    return b"".join(kept)


def check_content_type(request: Request) -> None:
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in _XML_TYPES:
        shown = media or "none"
        raise SoapFault(
            f"Content-Type {shown} is not a SOAP message; send the envelope as "
            "text/xml."
        )


def parse_call(body: bytes, action: str) -> SoapCall:
    """The operation a SOAP 1.1 envelope asks for."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise SoapFault(
            "The request contains a DOCTYPE declaration, which is not accepted in "
            "a SOAP message."
        ) from None
    except ET.ParseError as error:
        raise SoapFault(f"The request is not well-formed XML: {error}.") from None

    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapFault(
            "SOAP 1.2 envelopes are not supported; use a SOAP 1.1 envelope.",
            code="VersionMismatch",
        )
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault(f"The request is not a SOAP 1.1 envelope (root {root.tag}).")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    operations = [] if body_element is None else list(body_element)
    if not operations:
        raise SoapFault("The SOAP Body is missing or names no operation.")
    operation = operations[0]
    return SoapCall(
        action, local_name(operation.tag), namespace_of(operation.tag), operation
    )


# -- writing ------------------------------------------------------------------
def add(parent: ET.Element, tag: str, value: object = None) -> ET.Element:
    """A new child ``tag`` (Clark notation) holding ``value`` as text."""
    element = ET.SubElement(parent, tag)
    if value is not None:
        element.text = str(value).lower() if isinstance(value, bool) else str(value)
    return element


def nil(parent: ET.Element, tag: str) -> ET.Element:
    """A new child marked ``xsi:nil``, the way Axis writes a null."""
    return ET.SubElement(parent, tag, {f"{{{XSI}}}nil": "true"})


def _spare_prefix(taken: set[str]) -> str:
    number = 2
    while f"ns{number}" in taken:
        number += 1
    return f"ns{number}"


def serialise(root: ET.Element, prefixes: Mapping[str, str]) -> bytes:
    """``root`` as an XML document, with every namespace declared on the root."""
    names = {SOAP_ENV: "soapenv", XSI: "xsi", **prefixes}
    used: dict[str, str] = {}
    for element in root.iter():
        for tag in (element.tag, *element.attrib):
            uri = namespace_of(tag)
            if uri and uri not in used:
                used[uri] = names.get(uri) or _spare_prefix(set(used.values()))

    def qualified(tag: str) -> str:
        uri = namespace_of(tag)
        return f"{used[uri]}:{local_name(tag)}" if uri else tag

    declarations = "".join(
        f" xmlns:{prefix}={quoteattr(uri)}" for uri, prefix in used.items()
    )
    out = ['<?xml version="1.0" encoding="UTF-8"?>']

    def write(element: ET.Element, extra: str) -> None:
        name = qualified(element.tag)
        attributes = "".join(
            f" {qualified(k)}={quoteattr(v)}" for k, v in element.attrib.items()
        )
        out.append(f"<{name}{extra}{attributes}")
        if not len(element) and not element.text:
            out.append("/>")
            return
        out.append(">" + escape(element.text or ""))
        for item in element:
            write(item, "")
        out.append(f"</{name}>")

    write(root, declarations)
    return "".join(out).encode("utf-8")


def _envelope(payload: ET.Element) -> ET.Element:
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(root, f"{{{SOAP_ENV}}}Body").append(payload)
    return root


def _fault_element(fault: SoapFault) -> ET.Element:
    element = ET.Element(f"{{{SOAP_ENV}}}Fault")
    add(element, "faultcode", f"soapenv:{fault.code}")
    add(element, "faultstring", fault.message)
    if fault.detail is not None:
        ET.SubElement(element, "detail").append(fault.detail)
    return element


def _xml_response(document: bytes, status: int) -> Response:
    return Response(document, status_code=status, media_type="text/xml; charset=utf-8")


# -- the endpoint -------------------------------------------------------------
async def answer(
    request: Request,
    runtime: LabRuntime,
    node: Node,
    dispatch: Dispatch,
    *,
    surface: str,
    realm: str,
    prefix: str,
) -> Response:
    """Authenticate, read, dispatch and answer one SOAP POST."""
    credentials = runtime.credentials
    if not authorised(
        request, credentials.application_user, credentials.application_password
    ):
        log.info("%s %s: 401 (credentials refused)", node.hostname, surface)
        return unauthorised(realm)

    operation = "?"
    try:
        body = await read_body(request)
        check_content_type(request)
        call = parse_call(body, soap_action(request))
        operation = call.operation
        payload = await dispatch(call)
    except SoapFault as fault:
        log.info("%s %s %s: fault %s", node.hostname, surface, operation, fault.message)
        return _xml_response(serialise(_envelope(_fault_element(fault)), {}), 500)
    except CucmError as error:
        log.info("%s %s %s: %s", node.hostname, surface, operation, error.code)
        refused = SoapFault(error.message, code="Server")
        return _xml_response(serialise(_envelope(_fault_element(refused)), {}), 500)
    except Exception as error:  # a bug must not take the endpoint down with it
        log.exception("%s %s %s failed", node.hostname, surface, operation)
        broken = SoapFault(f"Internal error: {type(error).__name__}", code="Server")
        return _xml_response(serialise(_envelope(_fault_element(broken)), {}), 500)

    log.info("%s %s %s: 200", node.hostname, surface, operation)
    document = serialise(_envelope(payload), {namespace_of(payload.tag): prefix})
    return _xml_response(document, 200)


@cache
def wsdl_text(filename: str) -> str:
    """A WSDL shipped in ``api/soap/wsdl`` (package data)."""
    return resources.files("api.soap").joinpath(f"wsdl/{filename}").read_text("utf-8")


async def describe(
    request: Request,
    runtime: LabRuntime,
    *,
    wsdl: str,
    realm: str,
    page: str,
) -> Response:
    """A GET on a SOAP endpoint: the WSDL with ``?wsdl``, else a short page.

    The WSDL's service address is the one the request came in on, so zeep
    given ``...?wsdl`` talks to the same node, port and scheme.
    """
    credentials = runtime.credentials
    if not authorised(
        request, credentials.application_user, credentials.application_password
    ):
        log.info("GET %s: 401 (credentials refused)", request.url.path)
        return unauthorised(realm)
    if not any(key.lower() == "wsdl" for key in request.query_params):
        log.info("GET %s: 200 (page)", request.url.path)
        return HTMLResponse(page)
    log.info("GET %s?wsdl: 200", request.url.path)
    base = escape(str(request.base_url).rstrip("/"), {'"': "&quot;"})
    document = wsdl_text(wsdl).replace(WSDL_BASE, base)
    return Response(document, media_type="text/xml; charset=utf-8")
