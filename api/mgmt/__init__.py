"""The lab control plane: named labs and the management HTTP API over them.

``LabRegistry`` holds a server's labs, ``create_app`` is the FastAPI
application over a registry, ``ManagementServer`` serves it on the loop that
serves the labs' nodes, and ``ManagementClient`` is what the ``cucm-lab``
command talks to it with.

The names load on first use, so the client commands start without the
server's stack (FastAPI, uvicorn, the SSH server, the model).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The management port ``cucm-lab serve`` uses unless told otherwise.
DEFAULT_PORT = 24900
#: Where the client commands look unless ``--mgmt`` or this variable says.
ENV = "CUCM_LAB_MGMT"
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"

_WHERE = {
    "BackgroundControlPlane": "api.mgmt.background",
    "create_app": "api.mgmt.app",
    "DEFAULT": "api.mgmt.registry",
    "FactorySupply": "api.mgmt.registry",
    "HostedLab": "api.mgmt.registry",
    "LabConflict": "api.mgmt.registry",
    "LabExists": "api.mgmt.registry",
    "LabRegistry": "api.mgmt.registry",
    "LabTemplate": "api.mgmt.registry",
    "UnknownLab": "api.mgmt.registry",
    "ManagementServer": "api.mgmt.server",
    "ManagementClient": "api.mgmt.client",
    "ManagementError": "api.mgmt.client",
}

if TYPE_CHECKING:
    from api.mgmt.app import create_app
    from api.mgmt.background import BackgroundControlPlane
    from api.mgmt.client import ManagementClient, ManagementError
    from api.mgmt.registry import (
        DEFAULT,
        FactorySupply,
        HostedLab,
        LabConflict,
        LabExists,
        LabRegistry,
        LabTemplate,
        UnknownLab,
    )
    from api.mgmt.server import ManagementServer


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'api.mgmt' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


__all__ = [
    "DEFAULT",
    "DEFAULT_PORT",
    "DEFAULT_URL",
    "ENV",
    "BackgroundControlPlane",
    "FactorySupply",
    "HostedLab",
    "LabConflict",
    "LabExists",
    "LabRegistry",
    "LabTemplate",
    "ManagementClient",
    "ManagementError",
    "ManagementServer",
    "UnknownLab",
    "create_app",
]
