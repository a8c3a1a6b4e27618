"""The SOAP surfaces of a node: Control Center Services, RisPort70 and AXL.

Each module offers ``router(runtime, node)``, a FastAPI router serving its
path for one node, since on CUCM every node is its own endpoint:

- ``controlcenter``: ``/controlcenterservice2/services/ControlCenterServices``,
  the services of the node itself;
- ``risport``: ``/realtimeservice2/services/RISService70``, the phones of the
  whole cluster;
- ``axl``: ``/axl/``, phone resets, SQL queries and the version.

:mod:`api.soap.envelope` holds what the three share: Basic authentication
with the lab's application user, reading a SOAP 1.1 request safely, faults,
and serving the WSDLs in ``api/soap/wsdl`` (package data, loaded with
:mod:`importlib.resources`). The WSDLs are cucm-lab's own descriptions of
CUCM's interfaces; clients may equally use Cisco's.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.runtime import LabRuntime
from api.soap import axl, controlcenter, risport
from api.soap.risport import QueryLimit
from emulator.cluster import Node


def routers(
    runtime: LabRuntime, node: Node, *, query_limit: QueryLimit | None = None
) -> list[APIRouter]:
    """All three SOAP surfaces of ``node``."""
    return [
        controlcenter.router(runtime, node),
        risport.router(runtime, node, limit=query_limit),
        axl.router(runtime, node),
    ]


__all__ = ["QueryLimit", "axl", "controlcenter", "risport", "routers"]
