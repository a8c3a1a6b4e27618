"""A lab: one simulated cluster with its clock, seed, CA, journal and stores.

Everything a lab draws by chance comes from its seed through a separate
stream per purpose, so adding a draw in one area (say, phones) does not
shift what another (say, certificate serial numbers) draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator import errors, snapshot
from emulator.certstore import CertificateManager
from emulator.clock import DEFAULT_START, LabClock
from emulator.cluster import Cluster, Node, build_cluster
from emulator.errors import CucmError
from emulator.faults import FaultPlan
from emulator.journal import Journal
from emulator.loaded import load_callmanager, load_tomcat
from emulator.monitor import ExpiryMonitor
from emulator.phones.fleet import PhoneFleet
from emulator.phones.model import PhoneTiming
from emulator.pki.ca import LabCA
from emulator.pki.keys import GeneratedKeys, KeySource
from emulator.platform import DisasterRecovery, SamlSso
from emulator.profile import ReleaseProfile, get_profile
from emulator.security import ClusterSecurity
from emulator.services import ServiceManager, ServiceTiming
from emulator.tvs import load_tvs


@dataclass(frozen=True)
class LabConfig:
    """What a lab is made from."""

    version: str = "15"
    subscribers: int = 2
    imp: int = 1
    seed: int = 1
    start: datetime = DEFAULT_START
    name: str = "default"
    ca_intermediate: bool = True
    phones: int = 0
    #: Share of phones with a secure (TLS) device security profile.
    secure_phones: float = 0.0
    #: Multipliers of every service restart and phone boot duration; 0 makes
    #: them instant (realistic timings are the default).
    service_scale: float = 1.0
    phone_scale: float = 1.0
    #: Days between the cluster's installation and the lab's start; drawn
    #: from the seed when left unset, so certificates are not all brand new.
    installed_days_ago: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def stream(seed: int, purpose: str) -> random.Random:
    """An independent random stream of the lab's seed for one purpose."""
    return random.Random(f"cucm-lab:{seed}:{purpose}")


class Lab:
    """One simulated CUCM cluster."""

    def __init__(
        self, config: LabConfig | None = None, *, keys: KeySource | None = None
    ):
        self.config = config or LabConfig()
        self.profile: ReleaseProfile = get_profile(self.config.version)
        self.clock = LabClock(self.config.start)
        self.journal = Journal(self.clock)
        self.keys: KeySource = keys or GeneratedKeys()
        self.cluster: Cluster = build_cluster(
            self.config.seed, subscribers=self.config.subscribers, imp=self.config.imp
        )
        self.ca = LabCA(
            keys=self.keys,
            now=lambda: self.clock.now,
            rng=stream(self.config.seed, "ca"),
            with_intermediate=self.config.ca_intermediate,
        )
        self.certs = CertificateManager(
            profile=self.profile,
            cluster=self.cluster,
            clock=self.clock,
            journal=self.journal,
            keys=self.keys,
            rng=stream(self.config.seed, "certificates"),
        )
        days = self.config.installed_days_ago
        if days is None:
            days = stream(self.config.seed, "install").randrange(120, 900)
        self.installed_at = self.clock.start - timedelta(days=days)
        self.certs.install(self.installed_at)
        self.security = ClusterSecurity(self)
        self.services = ServiceManager(
            clock=self.clock,
            journal=self.journal,
            profile=self.profile,
            cluster=self.cluster,
            rng=self.rng("services"),
            timing=ServiceTiming(scale=self.config.service_scale),
            loaders={
                "Cisco Tftp": self.security.tftp_loader,
                "Cisco Trust Verification Service": self._node_loader(load_tvs),
                "Cisco CallManager": self._node_loader(load_callmanager),
                "Cisco Tomcat": self._node_loader(load_tomcat),
            },
        )
        self.phones = PhoneFleet(
            self,
            self.config.phones,
            secure=self.config.secure_phones,
            timing=PhoneTiming(scale=self.config.phone_scale),
        )
        self.certs.on_identity_changed(self._identity_changed)
        self.monitor = ExpiryMonitor(self)
        self.sso = SamlSso(self)
        self.drf = DisasterRecovery(self)
        self.faults = FaultPlan(self)
        self.certs.faults = self.faults
        self.services.start_fault = self.faults.start_fault
        self.snapshots: dict[str, snapshot.LabSnapshot] = {}
        self.journal.emit(
            "lab.created",
            release=self.profile.name,
            seed=self.config.seed,
            nodes=[n.hostname for n in self.cluster.nodes],
        )

    def rng(self, purpose: str) -> random.Random:
        """This lab's random stream for ``purpose``."""
        return stream(self.config.seed, purpose)

    def _node_loader(
        self, load: Callable[[CertificateManager, Node], object]
    ) -> Callable[[str], object]:
        def loader(hostname: str) -> object:
            return load(self.certs, self.node(hostname))

        return loader

    def _identity_changed(self, hostnames: list[str], unit: str) -> None:
        """14 and later restart TVS, CAPF and ITLRecovery users by themselves."""
        if not self.profile.automatic_restarts:
            return
        restarted = []
        for hostname in hostnames:
            restarted += self.services.restart_for_unit(hostname, unit)
        if restarted and unit in ("TVS", "CAPF", "ITLRecovery"):
            # TFTP's change notification rebuilds the ITL with the new
            # certificate; modelled as a TFTP restart on each TFTP node.
            for node in self.services.tftp_nodes:
                self.services.get(node, "Cisco Tftp").restart()

    def save_snapshot(self, name: str) -> dict[str, Any]:
        """Save the whole lab under ``name`` (replacing a snapshot of that name)."""
        self.journal.emit("lab.snapshot.saved", name=name)
        self.snapshots[name] = snapshot.save(self, name)
        return self.snapshots[name].summary()

    def restore_snapshot(self, name: str) -> dict[str, Any]:
        """Rewind the lab to the snapshot ``name``; KeyError names the choices."""
        if name not in self.snapshots:
            known = ", ".join(self.snapshots) or "none"
            raise KeyError(f"no snapshot {name!r}; snapshots: {known}")
        saved = self.snapshots[name]
        snapshot.restore(self, saved)
        self.journal.emit("lab.snapshot.restored", name=name)
        return saved.summary()

    def node(self, name: str) -> Node:
        """The node called ``name`` (host name, FQDN or address)."""
        return self.certs.cluster_node(name)

    @property
    def publisher(self) -> Node:
        return self.cluster.publisher


__all__ = ["CucmError", "Lab", "LabConfig", "errors", "stream"]
