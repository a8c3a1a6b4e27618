"""The lab's phones: list and filter them, and act on one or a selection.

The actions are what an administrator or a user does to a phone: a reset
or restart from CM Administration, pulling the power, erasing the trust list
from the phone's settings menu, or a factory reset. What the phone then
shows follows from the trust rules of the model, never from this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from api.mgmt.app import Hosted
from api.mgmt.labs import find_node
from api.mgmt.registry import HostedLab
from emulator.phones.model import MODELS, Phone, Registration
from emulator.pki.encoding import common_name
from emulator.trustfiles.trustlist import TrustList

router = APIRouter(prefix="/labs/{lab}/phones", tags=["phones"])

Action = Literal[
    "reset", "restart", "power-off", "power-on", "erase-itl", "factory-reset"
]


class PhoneFilter(BaseModel):
    """Phones matching every given field."""

    status: str | None = Field(default=None, examples=["Registered"])
    node: str | None = Field(default=None, description="Registered to or homed on.")
    model: str | None = Field(default=None, examples=["Cisco 8845"])


class PhoneAction(BaseModel):
    action: Action
    phones: list[str] | Literal["all"] | PhoneFilter = Field(
        description='Names (SEP…), "all", or a filter by status, node and model.'
    )


@router.get("")
async def list_phones(
    hosted: Hosted,
    status: Annotated[
        str | None, Query(description="Registered, UnRegistered, Rejected, …")
    ] = None,
    node: Annotated[str | None, Query(description="Registered to or homed on.")] = None,
    model: Annotated[str | None, Query(description="e.g. Cisco 8845")] = None,
    limit: Annotated[int, Query(ge=1, le=40_000)] = 1000,
) -> dict[str, Any]:
    """Phones matching every given filter, in the order they were created."""
    chosen = _select(hosted, PhoneFilter(status=status, node=node, model=model))
    return {
        "total": len(chosen),
        "count": min(limit, len(chosen)),
        "phones": [phone_entry(p) for p in chosen[:limit]],
    }


@router.get("/{name}")
async def get_phone(hosted: Hosted, name: str) -> dict[str, Any]:
    """One phone by its device name."""
    phone = hosted.lab.phones.get(name)
    if phone is None:
        raise HTTPException(
            404, f"phone: no phone {name!r}; GET /labs/{hosted.name}/phones lists them"
        )
    return phone_entry(phone)


@router.post("/actions")
async def act(hosted: Hosted, body: PhoneAction) -> dict[str, Any]:
    """Reset, restart, power off or on, erase the ITL of, or factory-reset phones.

    Answers how many phones were selected and how many the action reached
    (a powered-off phone does not reset, a powered-on one does not power on).
    """
    fleet = hosted.lab.phones
    if body.phones == "all":
        chosen = list(fleet.phones)
    elif isinstance(body.phones, PhoneFilter):
        chosen = _select(hosted, body.phones)
    else:
        chosen = _named(hosted, body.phones)

    actions: dict[str, Callable[[list[Phone]], int]] = {
        "reset": fleet.reset,
        "restart": fleet.restart,
        "power-off": fleet.power_off,
        "power-on": fleet.power_on,
        "erase-itl": lambda phones: fleet.erase_trust(phones),
        "factory-reset": lambda phones: fleet.erase_trust(phones, factory=True),
    }
    count = actions[body.action](chosen)
    return {"action": body.action, "selected": len(chosen), "count": count}


def _named(hosted: HostedLab, names: list[str]) -> list[Phone]:
    if not names:
        raise HTTPException(400, 'phones: name at least one phone, or give "all"')
    fleet = hosted.lab.phones
    unknown = [n for n in names if fleet.get(n) is None]
    if unknown:
        raise HTTPException(
            404,
            f"phones: no phone {', '.join(map(repr, unknown))}; "
            f"GET /labs/{hosted.name}/phones lists them",
        )
    return fleet.select(names=names)


def _select(hosted: HostedLab, wanted: PhoneFilter) -> list[Phone]:
    """The phones a filter selects, after checking every field names something."""
    statuses = [r.value for r in Registration]
    if wanted.status is not None and wanted.status.casefold() not in {
        s.casefold() for s in statuses
    }:
        choices = ", ".join(statuses)
        raise HTTPException(
            400, f"status: no status {wanted.status!r}; choose one of: {choices}"
        )
    models = [m.name for m in MODELS]
    if wanted.model is not None and wanted.model.casefold() not in {
        m.casefold() for m in models
    }:
        raise HTTPException(
            400, f"model: no model {wanted.model!r}; choose one of: {', '.join(models)}"
        )
    node = None
    if wanted.node is not None:
        node = find_node(hosted, wanted.node).hostname
    return hosted.lab.phones.select(status=wanted.status, node=node, model=wanted.model)


def phone_entry(phone: Phone) -> dict[str, Any]:
    return {
        "name": phone.name,
        "model": phone.model.name,
        "description": phone.description,
        "directory_number": phone.directory_number,
        "ip_address": phone.ip_address,
        "status": phone.status.value,
        "reason": phone.reason,
        "message": phone.message,
        "registered_to": phone.registered_to,
        "primary": phone.primary,
        "secondary": phone.secondary,
        "tftp": phone.tftp,
        "secure": phone.secure,
        "powered": phone.powered,
        "itl": _trust_file(phone.itl),
        "ctl": _trust_file(phone.ctl),
    }


def _trust_file(held: TrustList | None) -> dict[str, Any] | None:
    if held is None:
        return None
    return {
        "signer": common_name(held.signer.subject) if held.signer else None,
        "sha1": held.sha1,
        "md5": held.md5,
    }
