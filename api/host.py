"""Every node of a lab as its own endpoint on this machine.

By default each node gets its own ports on 127.0.0.1 (any laptop, no root);
a port plan can instead give each node a loopback address with CUCM's
standard ports. A node's HTTPS listener presents the tomcat certificate and
chain Cisco Tomcat *loaded*: the TLS context is reloaded when Tomcat starts,
never when a certificate is merely installed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization

from api.admincli.ssh import start_ssh_server
from api.node_app import create_node_app
from api.runtime import LabRuntime
from api.tftp_http import create_tftp_app
from emulator.cluster import Node
from emulator.loaded import TomcatSnapshot
from emulator.services.service import Service

log = logging.getLogger("cucm-lab")


@dataclass(frozen=True)
class PortPlan:
    """Where each node listens. ``base`` 0 means ephemeral ports."""

    address: str = "127.0.0.1"
    base: int = 0
    standard: bool = False

    def address_of(self, index: int) -> str:
        if not self.standard:
            return self.address
        return f"127.0.10.{10 + index}"

    def ports_of(self, index: int) -> dict[str, int]:
        if self.standard:
            return {"https": 8443, "https_alt": 443, "tftp_http": 6970, "ssh": 22}
        if self.base == 0:
            return {"https": 0, "tftp_http": 0, "ssh": 0}
        start = self.base + 10 * index
        return {"https": start, "tftp_http": start + 1, "ssh": start + 2}


@dataclass
class NodeEndpoint:
    """Where to reach one node's surfaces."""

    hostname: str
    fqdn: str
    role: str
    address: str
    ports: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "fqdn": self.fqdn,
            "role": self.role,
            "address": self.address,
            "ports": dict(self.ports),
        }


class LabHost:
    """Serves every node of one lab."""

    def __init__(self, runtime: LabRuntime, plan: PortPlan | None = None) -> None:
        self.runtime = runtime
        self.plan = plan or PortPlan()
        self.endpoints: dict[str, NodeEndpoint] = {}
        self._servers: list[tuple[uvicorn.Server, list[socket.socket]]] = []
        self._ssh: list[Any] = []
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="cucm-lab-tls-")

    async def start(self) -> None:
        lab = self.runtime.lab
        self.runtime.start()
        lab.services.on_loaded(self._tomcat_loaded)
        for index, node in enumerate(lab.cluster.nodes):
            address = self.plan.address_of(index)
            ports = self.plan.ports_of(index)
            endpoint = NodeEndpoint(node.hostname, node.fqdn, node.role, address)
            context = self._context(node)
            app = create_node_app(self.runtime, node)
            https = [ports["https"]] + (
                [ports["https_alt"]] if "https_alt" in ports else []
            )
            for name, port in zip(("https", "https_alt"), https, strict=False):
                endpoint.ports[name] = await self._serve(app, address, port, context)
            if node.is_cucm:
                tftp = create_tftp_app(self.runtime, node)
                endpoint.ports["tftp_http"] = await self._serve(
                    tftp, address, ports["tftp_http"], None
                )
            acceptor = await start_ssh_server(
                self.runtime, node, host=address, port=ports["ssh"]
            )
            self._ssh.append(acceptor)
            endpoint.ports["ssh"] = int(acceptor.get_port())
            self.endpoints[node.hostname] = endpoint

    async def stop(self) -> None:
        for server, sockets in self._servers:
            server.should_exit = True
            await server.shutdown(sockets=sockets)
        for acceptor in self._ssh:
            acceptor.close()
            await acceptor.wait_closed()
        await self.runtime.stop()
        self._tmp.cleanup()

    # -- TLS ------------------------------------------------------------------
    def _context(self, node: Node) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._contexts[node.hostname] = context
        tomcat = self.runtime.lab.services.get(node, "Cisco Tomcat")
        if isinstance(tomcat.loaded, TomcatSnapshot):
            self._load_chain(node.hostname, tomcat.loaded)
        return context

    def _tomcat_loaded(self, service: Service) -> None:
        if (
            service.name == "Cisco Tomcat"
            and isinstance(service.loaded, TomcatSnapshot)
            and service.node in self._contexts
        ):
            self._load_chain(service.node, service.loaded)

    def _load_chain(self, hostname: str, snapshot: TomcatSnapshot) -> None:
        """Present ``snapshot`` on new TLS connections to ``hostname``."""
        folder = Path(self._tmp.name)
        chain = folder / f"{hostname}.pem"
        key = folder / f"{hostname}.key"
        chain.write_bytes(
            b"".join(
                c.public_bytes(serialization.Encoding.PEM)
                for c in (snapshot.certificate, *snapshot.chain)
            )
        )
        key.write_bytes(
            snapshot.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key.chmod(0o600)
        self._contexts[hostname].load_cert_chain(chain, key)

    # -- listeners ---------------------------------------------------------------
    async def _serve(
        self, app: Any, address: str, port: int, context: ssl.SSLContext | None
    ) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.set_inheritable(True)
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False
        )
        config.load()
        config.ssl = context
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self._servers.append((server, [sock]))
        return int(sock.getsockname()[1])


async def serve_forever(host: LabHost) -> None:
    """Run until cancelled."""
    await host.start()
    try:
        await asyncio.Event().wait()
    finally:
        await host.stop()
