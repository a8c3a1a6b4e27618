"""Snapshots: the whole lab saved under a name and restored, to rewind an exercise.

A snapshot copies the state at rest: every node's stores, each service's
state and loaded snapshot, every phone, the security settings, fault rules,
SSO and DRF, the random streams and the journal's length. Restoring puts
the clock back at the snapshot's instant on a fresh event queue and drops
the journal events after it. Work in flight when the snapshot was taken
restarts on restore: a service mid-restart is restored at the state it was
heading for, a phone mid-boot boots again.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import simpy

from emulator.certstore.models import NodeCertificates, WebSecurity
from emulator.faults import FaultRule
from emulator.phones.model import Phone
from emulator.platform import Backup
from emulator.security import EnterpriseParameters
from emulator.services.service import ServiceState

if TYPE_CHECKING:
    from emulator.lab import Lab

_PHONE_FIELDS = tuple(f for f in Phone.__slots__ if f not in ("booting", "token"))


@dataclass
class ServiceRecord:
    state: ServiceState
    activated: bool
    failed: bool
    loaded: object
    generation: int
    started_at: float | None


@dataclass
class LabSnapshot:
    """Everything needed to put a lab back as it was."""

    name: str
    seconds: float
    journal_length: int
    stores: dict[str, NodeCertificates]
    replication_healthy: bool
    services: dict[tuple[str, str], ServiceRecord]
    phones: dict[str, dict[str, Any]]
    booting: list[str]
    config_generation: int
    served: dict[str, bytes]
    parameters: EnterpriseParameters
    ctl: object
    exported: object
    rules: dict[str, FaultRule]
    sso: tuple[bool, dict[str, bytes]]
    backups: dict[str, Backup]
    reported: set[tuple[str, str, int, str]]
    randoms: dict[str, object] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": self.seconds,
            "journal": self.journal_length,
            "phones": len(self.phones),
        }


def _randoms(lab: Lab) -> dict[str, random.Random]:
    """Every random stream the lab draws from, by owner."""
    return {
        "certificates": lab.certs.rng,
        "services": lab.services.rng,
        "phones": lab.phones.rng,
        "faults": lab.faults._rng,
        "ca": lab.ca._rng,
    }


def save(lab: Lab, name: str) -> LabSnapshot:
    """Copy the lab's state under ``name``."""
    stores = {
        host: NodeCertificates(
            host,
            WebSecurity(s.web_security.organisation, s.web_security.alternate_hostname),
            dict(s.identities),
            dict(s.csrs),
            {store: dict(entries) for store, entries in s.trust.items()},
        )
        for host, s in lab.certs.stores_by_name.items()
    }
    services = {}
    for service in lab.services:
        state = service.state
        if service.busy:
            state = service._target
        services[(service.node, service.name)] = ServiceRecord(
            state, service.activated, service.failed, service.loaded,
            service.generation, service.started_at,
        )  # fmt: skip
    phones = {
        p.name: {f: getattr(p, f) for f in _PHONE_FIELDS} for p in lab.phones.phones
    }
    return LabSnapshot(
        name=name,
        seconds=lab.clock.seconds,
        journal_length=len(lab.journal),
        stores=stores,
        replication_healthy=lab.certs.replication_healthy,
        services=services,
        phones=phones,
        booting=[p.name for p in lab.phones.phones if p.booting],
        config_generation=lab.phones.config_generation,
        served=dict(lab.phones._served),
        parameters=replace(lab.security.parameters),
        ctl=lab.security.ctl,
        exported=lab.security.exported_itlrecovery,
        rules={i: copy.copy(r) for i, r in lab.faults.rules.items()},
        sso=(lab.sso.enabled, dict(lab.sso.metadata)),
        backups={n: copy.copy(b) for n, b in lab.drf.backups.items()},
        reported=set(lab.monitor._reported),
        randoms={k: r.getstate() for k, r in _randoms(lab).items()},
    )


def restore(lab: Lab, snapshot: LabSnapshot) -> None:
    """Put ``lab`` back as ``snapshot`` found it."""
    clock = lab.clock
    clock.env = simpy.Environment(initial_time=snapshot.seconds)
    clock._daemons.clear()
    lab.journal.truncate(snapshot.journal_length)

    for host, stores in snapshot.stores.items():
        lab.certs.stores_by_name[host] = NodeCertificates(
            host,
            WebSecurity(
                stores.web_security.organisation, stores.web_security.alternate_hostname
            ),
            dict(stores.identities),
            dict(stores.csrs),
            {store: dict(entries) for store, entries in stores.trust.items()},
        )
    lab.certs.replication_healthy = snapshot.replication_healthy

    for service in lab.services:
        record = snapshot.services[(service.node, service.name)]
        service.restore(
            state=record.state, activated=record.activated, failed=record.failed,
            loaded=record.loaded, generation=record.generation,
            started_at=record.started_at,
        )  # fmt: skip

    lab.security.parameters = replace(snapshot.parameters)
    lab.security.ctl = snapshot.ctl  # type: ignore[assignment]
    lab.security.exported_itlrecovery = snapshot.exported  # type: ignore[assignment]
    lab.faults.rules = {i: copy.copy(r) for i, r in snapshot.rules.items()}
    lab.sso.enabled, lab.sso.metadata = snapshot.sso[0], dict(snapshot.sso[1])
    lab.drf.backups = {n: copy.copy(b) for n, b in snapshot.backups.items()}
    lab.drf.running = None
    lab.monitor._reported = set(snapshot.reported)
    for key, generator in _randoms(lab).items():
        generator.setstate(snapshot.randoms[key])  # type: ignore[arg-type]

    lab.phones.restore(
        snapshot.phones, snapshot.config_generation, snapshot.served, snapshot.booting
    )
    lab.monitor.start()
