"""The lab's fault plan over HTTP: the catalogue, and rules added and removed.

A rule names a catalogue entry (a CUCM error, a phone trust outcome or a
condition), a scope, a count or a probability, and a start. The model checks
every field and raises the very error the natural check raises when the rule
fires; this module only carries rules in and out (Toxiproxy's shape: named,
typed, scoped faults, and one call that removes them all).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.mgmt.app import Hosted
from emulator.errors import CATALOGUE
from emulator.faults import FaultError
from emulator.pki.units import CUCM_TRUST_STORES, IMP_TRUST_STORES, UNITS
from emulator.services.catalogue import SPECS

router = APIRouter(prefix="/labs/{lab}/faults", tags=["faults"])


class RuleBody(BaseModel):
    target: str = Field(
        description="A catalogue name (GET /labs/{lab}/faults/catalogue).",
        examples=["CSR_MISSING"],
    )
    node: str | None = Field(default=None, description="Host name, FQDN or address.")
    unit: str | None = Field(default=None, examples=["tomcat"])
    service: str | None = Field(default=None, examples=["Cisco Tomcat"])
    phones: list[str] | None = Field(default=None, description="Device names.")
    count: int | None = Field(default=None, description="Fire this many times.")
    probability: float | None = Field(
        default=None, description="Fire with this chance, drawn from the lab's seed."
    )
    start: float | None = Field(
        default=None, description="Simulated seconds since the lab started; now."
    )
    variant: str | None = Field(
        default=None, description="For an error with several wordings, the one."
    )


@router.get("/catalogue")
async def catalogue(hosted: Hosted) -> list[dict[str, Any]]:
    """Every error, trust outcome and condition a rule can inject."""
    entries = []
    for entry in hosted.lab.faults.catalogue():
        described: dict[str, Any] = {
            "name": entry.name,
            "kind": entry.kind.value,
            "description": entry.description,
        }
        known = CATALOGUE.get(entry.name)
        if known is not None and known.variants:
            described["variants"] = sorted(known.variants)
        entries.append(described)
    return entries


@router.get("")
async def list_rules(hosted: Hosted) -> list[dict[str, object]]:
    """The rules in force, with how often each has fired."""
    return [rule.as_dict() for rule in hosted.lab.faults.rules.values()]


@router.post("", status_code=201)
async def add_rule(hosted: Hosted, body: RuleBody) -> dict[str, object]:
    """Add a rule; a bad field answers 400 naming it, and adds nothing."""
    fields = body.model_dump()
    fields["unit"] = _scope_unit(body.unit)
    fields["service"] = _scope_service(body.service)
    rule = hosted.lab.faults.add(**fields)
    return rule.as_dict()


def _scope_unit(name: str | None) -> str | None:
    """A unit or trust store in CUCM's spelling; the plan itself takes any text
    and a misspelt scope would never fire."""
    if name is None:
        return None
    scopes = [*UNITS, *dict.fromkeys(CUCM_TRUST_STORES + IMP_TRUST_STORES)]
    for scope in scopes:
        if scope.casefold() == name.casefold():
            return scope
    raise FaultError(
        f"unit: no unit or trust store {name!r}; choose one of: {', '.join(scopes)}"
    )


def _scope_service(name: str | None) -> str | None:
    if name is None:
        return None
    names = [spec.name for spec in SPECS]
    for known in names:
        if " ".join(name.split()).casefold() == known.casefold():
            return known
    raise FaultError(f"service: no service {name!r}; choose one of: {', '.join(names)}")


@router.delete("/{rule_id}")
async def remove_rule(hosted: Hosted, rule_id: str) -> dict[str, object]:
    """Remove one rule (undoing a condition it brought about, where it can)."""
    try:
        rule = hosted.lab.faults.remove(rule_id)
    except FaultError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"removed": rule.as_dict()}


@router.delete("")
async def clear_rules(hosted: Hosted) -> dict[str, int]:
    """Remove every rule."""
    return {"removed": hosted.lab.faults.clear()}
