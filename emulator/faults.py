"""The fault plan: injected errors, trust outcomes and conditions.

A rule names a target from :func:`catalogue` (a CUCM error, a phone trust
outcome, or a condition such as a service that hangs), a scope (node, unit,
service, phones), how often it fires (a count, a probability, or every
time) and from when. Injected errors are raised by the very check that
raises them naturally, so every client sees exactly the natural error; only
the journal marks them as injected. Probabilities draw from the lab's seed,
so a run repeats exactly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from emulator.errors import CATALOGUE
from emulator.phones.trust import Outcome
from emulator.pki.units import UNITS

if TYPE_CHECKING:
    from emulator.lab import Lab


class FaultKind(Enum):
    ERROR = "error"
    OUTCOME = "outcome"
    CONDITION = "condition"


#: Trust outcomes a phone can be forced into, and which file they hit.
OUTCOMES = {
    Outcome.ITL_REJECTED.name: "the phone rejects the new ITL",
    Outcome.TVS_UNREACHABLE.name: "TLS to TVS fails, so nothing can be vouched for",
    Outcome.TVS_NO_VOUCH.name: "TVS answers but does not vouch for the signer",
    Outcome.CONFIG_REJECTED.name: "the phone rejects its signed configuration file",
    Outcome.TLS_REJECTED.name: "TLS registration to CallManager is rejected",
    Outcome.BAD_SIGNATURE.name: "the trust file reaches the phone damaged",
}

CONDITIONS = {
    "SERVICE_HANG": "the service stays Starting for half an hour",
    "SERVICE_FAIL_START": "the service fails to start (Component is not running)",
    "PHONE_POWERED_OFF": "the phones are powered off from the rule's start",
    "DRF_BACKUP_RUNNING": "a DRF backup starts and runs for an hour",
    "SSO_ENABLED": "SAML SSO is enabled cluster-wide",
    "REPLICATION_BROKEN": "database replication is broken: trust changes stay local",
}

#: Conditions the plan brings about at the rule's start (the others are
#: consulted where services start).
APPLIED = frozenset(
    {"PHONE_POWERED_OFF", "DRF_BACKUP_RUNNING", "SSO_ENABLED", "REPLICATION_BROKEN"}
)


@dataclass(frozen=True)
class FaultEntry:
    """One thing the plan can inject."""

    name: str
    kind: FaultKind
    description: str


def catalogue() -> list[FaultEntry]:
    """Every injectable error, outcome and condition."""
    entries = [
        FaultEntry(code, FaultKind.ERROR, entry.text)
        for code, entry in CATALOGUE.items()
    ]
    entries += [FaultEntry(n, FaultKind.OUTCOME, d) for n, d in OUTCOMES.items()]
    entries += [FaultEntry(n, FaultKind.CONDITION, d) for n, d in CONDITIONS.items()]
    return entries


class FaultError(ValueError):
    """A rule that cannot be added; the message names the field and the choices."""


@dataclass
class FaultRule:
    """One rule of the plan."""

    id: str
    target: str
    kind: FaultKind
    node: str | None = None
    unit: str | None = None
    service: str | None = None
    phones: tuple[str, ...] | None = None
    count: int | None = None
    probability: float | None = None
    start: float = 0.0
    #: For an error with several wordings (CSR_MISSING), the one to show.
    variant: str | None = None
    fired: int = 0
    active: bool = field(default=True)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "target": self.target,
            "kind": self.kind.value,
            "node": self.node,
            "unit": self.unit,
            "service": self.service,
            "phones": list(self.phones) if self.phones is not None else None,
            "count": self.count,
            "probability": self.probability,
            "start": self.start,
            "variant": self.variant,
            "fired": self.fired,
        }


class FaultPlan:
    """A lab's fault rules and the checks that consult them."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.rules: dict[str, FaultRule] = {}
        self._ids = itertools.count(1)
        self._rng = lab.rng("faults")

    # -- managing rules ---------------------------------------------------------
    def catalogue(self) -> list[FaultEntry]:
        return catalogue()

    def add(
        self,
        target: str,
        *,
        node: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        phones: Iterable[str] | None = None,
        count: int | None = None,
        probability: float | None = None,
        start: float | None = None,
        variant: str | None = None,
    ) -> FaultRule:
        """Add a rule; bad fields raise :class:`FaultError` and add nothing."""
        kinds = {e.name: e.kind for e in catalogue()}
        if target not in kinds:
            raise FaultError(
                f"target: unknown fault {target!r}; choose one of: {', '.join(kinds)}"
            )
        if node is not None:
            found = self.lab.cluster.find(node)
            if found is None:
                hosts = ", ".join(n.hostname for n in self.lab.cluster.nodes)
                raise FaultError(f"node: no node {node!r}; choose one of: {hosts}")
            node = found.hostname
        if unit is not None:
            units = {u.casefold() for u in UNITS} | {
                store.casefold()
                for stores in self.lab.certs.stores_by_name.values()
                for store in stores.trust
            }
            if unit.casefold() not in units:
                raise FaultError(
                    f"unit: unknown unit or trust store {unit!r}; choose one of: "
                    + ", ".join(sorted(UNITS))
                    + " or a <unit>-trust store"
                )
        if service is not None:
            known = {s.name.casefold(): s.name for s in self.lab.services}
            if service.casefold() not in known:
                raise FaultError(
                    f"service: unknown service {service!r}; choose one of: "
                    + ", ".join(sorted(set(known.values())))
                )
        if probability is not None and not (
            math.isfinite(probability) and 0.0 <= probability <= 1.0
        ):
            raise FaultError(f"probability: {probability} is not between 0 and 1")
        if count is not None and count < 1:
            raise FaultError(f"count: {count} must be at least 1")
        now = self.lab.clock.seconds
        begin = now if start is None else start
        if not math.isfinite(begin) or begin < 0:
            raise FaultError(f"start: {start} must be a non-negative number of seconds")
        names = tuple(p.upper() for p in phones) if phones is not None else None
        if names is not None:
            unknown = [p for p in names if self.lab.phones.get(p) is None]
            if unknown:
                raise FaultError(f"phones: unknown phones {', '.join(unknown)}")
        self._refuse_overlap(target, node, unit, service, names)
        if variant is not None:
            choices = list(CATALOGUE[target].variants) if target in CATALOGUE else []
            if variant not in choices:
                raise FaultError(
                    f"variant: {variant!r} is not a wording of {target}; choose one "
                    f"of: {', '.join(choices) or 'none'}"
                )

        rule = FaultRule(
            id=f"f{next(self._ids)}", target=target, kind=kinds[target], node=node,
            unit=unit, service=service, phones=names, count=count,
            probability=probability, start=begin, variant=variant,
        )  # fmt: skip
        self.rules[rule.id] = rule
        self.lab.journal.emit(
            "fault.added", node=rule.node, injected=True, rule=rule.as_dict()
        )
        if rule.target in APPLIED:
            self.lab.clock.env.process(self._condition(rule, begin - now))
        return rule

    def _refuse_overlap(
        self,
        target: str,
        node: str | None,
        unit: str | None,
        service: str | None,
        phones: tuple[str, ...] | None,
    ) -> None:
        for rule in self.rules.values():
            same = (rule.target, rule.node, rule.unit, rule.service, rule.phones)
            if same == (target, node, unit, service, phones):
                raise FaultError(
                    f"target: rule {rule.id} already injects {target} with the same "
                    "scope; remove it first or change the scope"
                )

    def remove(self, rule_id: str) -> FaultRule:
        rule = self.rules.pop(rule_id, None)
        if rule is None:
            known = ", ".join(self.rules) or "none"
            raise FaultError(f"id: no rule {rule_id!r}; rules: {known}")
        self._undo(rule)
        self.lab.journal.emit("fault.removed", injected=True, id=rule_id)
        return rule

    def clear(self) -> int:
        """Remove every rule (Toxiproxy's reset)."""
        count = 0
        for rule_id in list(self.rules):
            self.remove(rule_id)
            count += 1
        return count

    # -- consulted by the model ---------------------------------------------------
    def armed(self) -> bool:
        """Whether any rule exists (the checks skip the plan when none does)."""
        return bool(self.rules)

    def fires(
        self,
        target: str,
        *,
        node: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        phone: str | None = None,
    ) -> FaultRule | None:
        """The rule for ``target`` that fires at this point, if any (counted)."""
        if not self.rules:
            return None
        now = self.lab.clock.seconds
        for rule in self.rules.values():
            if rule.target != target or not rule.active or now < rule.start:
                continue
            if rule.node is not None and node is not None and rule.node != node:
                continue
            if rule.unit is not None and (
                unit is None or rule.unit.casefold() != unit.casefold()
            ):
                continue
            if rule.service is not None and (
                service is None or rule.service.casefold() != service.casefold()
            ):
                continue
            if rule.phones is not None and phone not in rule.phones:
                continue
            if rule.count is not None and rule.fired >= rule.count:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.fired += 1
            self.lab.journal.emit(
                "fault.fired", node=node, subject=phone or unit or service,
                injected=True, id=rule.id, target=target,
            )  # fmt: skip
            return rule
        return None

    def outcome(self, phone: str, file: str) -> Outcome | None:
        """A trust outcome forced on ``phone`` for ``file`` (ITL, CTL, config, TLS)."""
        wanted = {
            "ITL": (
                Outcome.ITL_REJECTED,
                Outcome.TVS_UNREACHABLE,
                Outcome.TVS_NO_VOUCH,
                Outcome.BAD_SIGNATURE,
            ),
            "CTL": (
                Outcome.TVS_UNREACHABLE,
                Outcome.TVS_NO_VOUCH,
                Outcome.BAD_SIGNATURE,
            ),
            "config": (Outcome.CONFIG_REJECTED,),
            "TLS": (Outcome.TLS_REJECTED,),
        }[file]
        for outcome in wanted:
            if self.fires(outcome.name, phone=phone):
                return outcome
        return None

    def start_fault(self, node: str, service: str) -> str | None:
        """ "hang" or "fail" when a start of ``service`` on ``node`` is faulted."""
        if self.fires("SERVICE_HANG", node=node, service=service):
            return "hang"
        if self.fires("SERVICE_FAIL_START", node=node, service=service):
            return "fail"
        return None

    # -- conditions ---------------------------------------------------------------
    def _condition(self, rule: FaultRule, delay: float):  # type: ignore[no-untyped-def]
        if delay > 0:
            yield self.lab.clock.env.timeout(delay)
        if rule.id not in self.rules:
            return
        lab = self.lab
        rule.fired += 1
        lab.journal.emit("fault.fired", injected=True, id=rule.id, target=rule.target)
        if rule.target == "PHONE_POWERED_OFF":
            phones = lab.phones.select(names=rule.phones) if rule.phones else []
            lab.phones.power_off(phones)
        elif rule.target == "DRF_BACKUP_RUNNING":
            if lab.drf.running is None:
                lab.drf.start_backup(f"injected-{rule.id}", seconds=3600)
        elif rule.target == "SSO_ENABLED":
            lab.sso.enable()
        elif rule.target == "REPLICATION_BROKEN":
            lab.certs.replication_healthy = False

    def _undo(self, rule: FaultRule) -> None:
        if rule.target == "REPLICATION_BROKEN":
            others = [
                r for r in self.rules.values() if r.target == "REPLICATION_BROKEN"
            ]
            if not others:
                self.lab.certs.replication_healthy = True
