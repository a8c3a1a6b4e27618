"""Labs, their nodes and their snapshots.

A lab is created from a template (release, nodes, phones, security mode,
seed, clock) and can be rebuilt from it at any time with the same seed. Its
nodes listen on their own ports; ``GET /labs/{lab}/nodes`` says where, so a
client never guesses a port.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field, field_validator

from api.mgmt.app import Hosted, registry_of
from api.mgmt.clock import clock_state
from api.mgmt.registry import (
    DEFAULT,
    MAX_PHONES,
    HostedLab,
    LabTemplate,
)
from emulator.cluster import Node
from emulator.profile import PROFILES

router = APIRouter()


class LabBody(BaseModel):
    """A lab to create: its name and the template it is built from."""

    name: str = Field(min_length=1, max_length=32, examples=["trainee-1"])
    version: str = Field(default="15", description=f"One of {', '.join(PROFILES)}.")
    subscribers: int = Field(default=2, ge=0, le=8)
    imp: int = Field(default=1, ge=0, le=6, description="IM and Presence nodes.")
    phones: int = Field(default=50, ge=0, le=MAX_PHONES)
    secure_phones: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of phones with TLS profiles."
    )
    mixed_mode: bool = Field(
        default=False, description="Start in mixed mode (tokenless CTL)."
    )
    seed: int = Field(default=1, description="Seed of every random draw.")
    clock: Literal["paced", "stepped"] = "paced"
    speed: float = Field(
        default=30.0, gt=0, le=1_000_000, allow_inf_nan=False,
        description="Paced mode: simulated seconds per wall second.",
    )  # fmt: skip
    ca_intermediate: bool = Field(
        default=True, description="Whether the lab CA issues from an intermediate."
    )
    base_port: int = Field(
        default=0, ge=0, le=65000,
        description="Node n listens at base+10n (HTTPS), +1, +2; 0 picks free ports.",
    )  # fmt: skip

    @field_validator("version")
    @classmethod
    def _known_release(cls, version: str) -> str:
        if version not in PROFILES:
            raise ValueError(f"no release {version!r}; choose one of {list(PROFILES)}")
        return version

    def template(self) -> LabTemplate:
        fields = self.model_dump(exclude={"name", "base_port"})
        return LabTemplate(**fields)


class SnapshotBody(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["before-exercise"])


# -- labs ---------------------------------------------------------------------
@router.get("/labs", tags=["labs"])
async def list_labs(request: Request) -> list[dict[str, Any]]:
    """Every lab of this server, in the order they were created."""
    return [summary(hosted) for hosted in registry_of(request).labs.values()]


@router.post("/labs", tags=["labs"], status_code=201)
async def create_lab(body: LabBody, request: Request, response: Response) -> Any:
    """Build a lab from a template and serve its nodes (409 if the name is taken)."""
    registry = registry_of(request)
    try:
        hosted = await registry.create(
            body.name, body.template(), base_port=body.base_port
        )
    except OSError as exc:
        raise HTTPException(409, f"base_port: cannot listen there: {exc}") from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    response.headers["Location"] = f"/labs/{hosted.name}"
    return describe(hosted)


@router.get("/labs/{lab}", tags=["labs"])
async def get_lab(hosted: Hosted) -> dict[str, Any]:
    """Release, seed, clock, credentials and counts of one lab."""
    return describe(hosted)


@router.delete("/labs/{lab}", tags=["labs"])
async def delete_lab(lab: str, request: Request) -> dict[str, Any]:
    """Stop the lab's listeners and forget it."""
    await registry_of(request).delete(lab)
    return {"deleted": lab}


@router.post("/labs/{lab}/reset", tags=["labs"])
async def reset_lab(lab: str, request: Request) -> dict[str, Any]:
    """Rebuild the lab from its template with the same seed, on the same ports."""
    hosted = await registry_of(request).reset(lab)
    return describe(hosted)


def summary(hosted: HostedLab) -> dict[str, Any]:
    lab = hosted.lab
    return {
        "name": hosted.name,
        "default": hosted.name == DEFAULT,
        "version": lab.profile.name,
        "seed": lab.config.seed,
        "nodes": len(lab.cluster.nodes),
        "phones": len(lab.phones.phones),
        "clock": clock_state(hosted),
    }


def describe(hosted: HostedLab) -> dict[str, Any]:
    lab = hosted.lab
    c = hosted.runtime.credentials
    return {
        **summary(hosted),
        "active_version": lab.profile.active_version,
        "template": hosted.template.as_dict(),
        "domain": lab.cluster.domain,
        "credentials": {
            "platform": {"user": c.platform_user, "password": c.platform_password},
            "application": {
                "user": c.application_user,
                "password": c.application_password,
            },
        },
        "security_mode": "mixed" if lab.security.mixed_mode else "non-secure",
        "phone_counts": lab.phones.counts(),
        "faults": len(lab.faults.rules),
        "journal": len(lab.journal),
        "resets": hosted.generation,
    }


# -- nodes --------------------------------------------------------------------
@router.get("/labs/{lab}/nodes", tags=["nodes"])
async def list_nodes(hosted: Hosted) -> list[dict[str, Any]]:
    """Every node with its role, names, addresses and the port of each surface."""
    return [node_entry(hosted, node) for node in hosted.lab.cluster.nodes]


@router.get("/labs/{lab}/nodes/{node}", tags=["nodes"])
async def get_node(hosted: Hosted, node: str) -> dict[str, Any]:
    """One node (host name, FQDN or address) and the state of its services."""
    found = find_node(hosted, node)
    entry = node_entry(hosted, found)
    entry["services"] = [
        {
            "name": service.name,
            "state": service.state.value,
            "activated": service.activated,
            "reason": service.reason_string,
        }
        for service in hosted.lab.services.on_node(found)
    ]
    return entry


def find_node(hosted: HostedLab, name: str, field: str = "node") -> Node:
    """The node called ``name``, or a 404 naming the nodes there are."""
    found = hosted.lab.cluster.find(name)
    if found is None:
        choices = ", ".join(n.hostname for n in hosted.lab.cluster.nodes)
        raise HTTPException(404, f"{field}: no node {name!r}; nodes: {choices}")
    return found


def node_entry(hosted: HostedLab, node: Node) -> dict[str, Any]:
    endpoint = hosted.host.endpoints[node.hostname]
    address, ports = endpoint.address, endpoint.ports
    urls = {"https": f"https://{address}:{ports['https']}/"}
    if "tftp_http" in ports:
        urls["tftp_http"] = f"http://{address}:{ports['tftp_http']}/"
    if "ssh" in ports:
        urls["ssh"] = (
            f"ssh://{hosted.runtime.credentials.platform_user}@{address}:{ports['ssh']}"
        )
    return {
        "hostname": node.hostname,
        "fqdn": node.fqdn,
        "role": node.role,
        "role_label": node.role_label,
        "ip_address": node.ip_address,
        "address": address,
        "ports": dict(ports),
        "urls": urls,
    }


# -- snapshots ----------------------------------------------------------------
def _snapshots_offered(hosted: HostedLab) -> None:
    if not hasattr(hosted.lab, "save_snapshot"):
        raise HTTPException(501, "snapshots: this build of the model has none")


@router.post("/labs/{lab}/snapshots", tags=["snapshots"], status_code=201)
async def save_snapshot(hosted: Hosted, body: SnapshotBody) -> Any:
    """Save the whole lab under a name (replacing a snapshot of that name)."""
    _snapshots_offered(hosted)
    return hosted.lab.save_snapshot(body.name)


@router.get("/labs/{lab}/snapshots", tags=["snapshots"])
async def list_snapshots(hosted: Hosted) -> list[Any]:
    """The lab's snapshots, oldest first."""
    _snapshots_offered(hosted)
    return [saved.summary() for saved in hosted.lab.snapshots.values()]


@router.post("/labs/{lab}/snapshots/{name}/restore", tags=["snapshots"])
async def restore_snapshot(hosted: Hosted, name: str) -> Any:
    """Rewind the lab to a snapshot: certificates, services, phones, journal."""
    _snapshots_offered(hosted)
    lab = hosted.lab
    try:
        restored = lab.restore_snapshot(name)
    except KeyError as exc:
        raise HTTPException(404, f"name: {exc.args[0]}") from None
    return restored
