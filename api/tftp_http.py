"""TFTP files over HTTP (port 6970 on a real TFTP node).

Serves exactly what Cisco TFTP on the node loaded and signed: the ITL under
its own and each phone's name, the cluster's CTL in mixed mode, and each
phone's configuration file, signed with the CallManager key TFTP loaded.
A node whose TFTP is not running serves nothing.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.responses import Response

from api.runtime import LabRuntime
from emulator.cluster import Node
from emulator.tftp import TftpFiles, device_config, signed_config

# File names are matched without regard to case, as TFTP servers do.
_ITL = re.compile(r"^ITL(?:File|SEP[0-9A-F]{12})\.tlv$", re.IGNORECASE)
_CTL = re.compile(r"^CTL(?:File|SEP[0-9A-F]{12})\.tlv$", re.IGNORECASE)
_CONFIG = re.compile(r"^SEP([0-9A-F]{12})\.cnf\.xml(\.sgn)?$", re.IGNORECASE)
OCTETS = "application/octet-stream"


def create_tftp_app(runtime: LabRuntime, node: Node) -> FastAPI:
    """The plain-HTTP TFTP file service of ``node``."""
    lab = runtime.lab
    app = FastAPI(title=f"TFTP files of {node.hostname}", docs_url=None, redoc_url=None)

    def loaded() -> TftpFiles | None:
        service = lab.services.find(node, "Cisco Tftp")
        if service is None or not service.running:
            return None
        files = service.loaded
        return files if isinstance(files, TftpFiles) else None

    def not_found() -> Response:
        return Response("File not found", status_code=404, media_type="text/plain")

    @app.get("/{filename}")
    async def serve(filename: str) -> Response:
        files = loaded()
        if files is None:
            return Response("TFTP service unavailable", status_code=503)
        name = filename
        if _ITL.match(name):
            return Response(files.itl.raw, media_type=OCTETS)
        if _CTL.match(name):
            ctl = lab.security.ctl
            return Response(ctl.raw, media_type=OCTETS) if ctl else not_found()
        match = _CONFIG.match(name)
        if match is None:
            return not_found()
        phone = lab.phones.get(f"SEP{match.group(1).upper()}")
        if phone is None or phone.tftp != node.hostname:
            return not_found()
        xml = device_config(
            phone.name,
            phone.group,
            generation=lab.phones.config_generation,
            security_mode=lab.security.parameters.cluster_security_mode,
            tvs_nodes=phone.group,
        )
        if match.group(2) is None:
            return Response(xml, media_type="text/xml")
        stamp = int(files.built_at.timestamp())
        return Response(
            signed_config(files, f"{phone.name}.cnf.xml.sgn", xml, stamp),
            media_type=OCTETS,
        )

    return app
