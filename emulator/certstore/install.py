"""Installation: the certificates and trust entries a fresh cluster has, and
how a new identity certificate takes its place.

A fresh install gives every unit of every node a self-signed certificate
(reference section 1.4) and copies those certificates into the trust stores
that hold them on a real system, plus Cisco's default CA certificates. From
12.5 ITLRecovery is one certificate, made on the publisher and shared by
every CUCM node.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from cryptography import x509

from emulator.certstore.models import (
    IdentityCertificate,
    NodeCertificates,
    PendingCsr,
    TrustCertificate,
    WebSecurity,
    trust_filename,
)
from emulator.clock import LabClock
from emulator.cluster import Cluster, Node
from emulator.journal import Journal
from emulator.pki import builder
from emulator.pki.cisco_ca import default_ca_certificates
from emulator.pki.keys import KeySource, new_key
from emulator.pki.units import (
    CUCM_TRUST_STORES,
    IMP_TRUST_STORES,
    UNITS,
    Unit,
    unit_on_node,
)
from emulator.profile import ReleaseProfile

TRUST_DESCRIPTION = "Trust Certificate"


class Installer:
    """The install-time half of :class:`CertificateManager`."""

    profile: ReleaseProfile
    cluster: Cluster
    clock: LabClock
    journal: Journal
    keys: KeySource
    rng: random.Random
    stores_by_name: dict[str, NodeCertificates]
    _capf_tags: dict[str, str]
    _listeners: list[Callable[[list[str], str], None]]
    _installing: bool

    def stores(self, node: Node) -> NodeCertificates:
        return self.stores_by_name[node.hostname]

    def units_on(self, node: Node) -> list[Unit]:
        """The units ``node`` holds on this release."""
        return [
            u
            for u in UNITS.values()
            if unit_on_node(u, role=node.role, profile=self.profile)
        ]

    def default_common_name(self, node: Node, unit: Unit) -> str:
        """The CN CUCM gives ``unit`` on ``node`` (reference section 1.3)."""
        if unit.name == "ITLRecovery" and self.profile.itlrecovery_cluster_wide:
            node = self.cluster.publisher
        return builder.common_name(unit, node, capf_tag=self._capf_tags[node.hostname])

    def install(self, installed_at: datetime) -> None:
        """Create every node's stores as a fresh installation does."""
        for node in self.cluster.nodes:
            stores = CUCM_TRUST_STORES if node.is_cucm else IMP_TRUST_STORES
            self.stores_by_name[node.hostname] = NodeCertificates(
                node.hostname,
                WebSecurity(self.cluster.organisation),
                trust={store: {} for store in stores},
            )
            self._capf_tags[node.hostname] = f"{self.rng.getrandbits(32):08x}"
        for position, node in enumerate(self.cluster.nodes):
            when = installed_at + timedelta(hours=2 * position)
            for unit in self.units_on(node):
                if self._copied_from_publisher(node, unit):
                    continue
                self._install_self_signed(node, unit, not_before=when)

        cisco = default_ca_certificates(self.profile, self.keys)
        for node in self.cluster.cucm_nodes:
            for store in ("CallManager-trust", "CAPF-trust"):
                for certificate in cisco:
                    self._system_trust([node], store, certificate)
        self._installing = False
        for node in self.cluster.nodes:
            self.journal.emit(
                "node.installed",
                node=node.hostname,
                role=node.role,
                units=sorted(self.stores(node).identities),
            )

    def _copied_from_publisher(self, node: Node, unit: Unit) -> bool:
        return (
            unit.name == "ITLRecovery"
            and self.profile.itlrecovery_cluster_wide
            and not node.is_publisher
        )

    def holders(self, node: Node, unit: Unit) -> list[Node]:
        """The nodes that share ``node``'s identity certificate for ``unit``."""
        if unit.name == "ITLRecovery" and self.profile.itlrecovery_cluster_wide:
            return list(self.cluster.cucm_nodes)
        return [node]

    def _install_self_signed(
        self,
        node: Node,
        unit: Unit,
        *,
        not_before: datetime,
        key_length: int | None = None,
        validity_years: int | None = None,
    ) -> IdentityCertificate:
        length = key_length or (2048 if unit.key_type == "RSA" else 256)
        key = new_key(unit.key_type, length, self.keys)
        web = self.stores(node).web_security
        sans = [node.fqdn]
        if unit.name == "tomcat" and web.alternate_hostname:
            sans.append(web.alternate_hostname)
        years = validity_years or 5
        if unit.name == "ITLRecovery" and validity_years is None:
            years = self.profile.itlrecovery_validity_years[0]
        certificate = builder.self_signed(
            unit,
            key,
            builder.subject(self.default_common_name(node, unit), web.organisation),
            sans,
            not_before=not_before,
            years=years,
            serial=builder.new_serial(self.rng),
        )
        identity = IdentityCertificate(
            unit.name, certificate, key, unit.self_signed_description
        )
        self.install_identity(self.holders(node, unit), identity)
        return identity

    def install_identity(
        self,
        nodes: Iterable[Node],
        identity: IdentityCertificate,
        *,
        pending: PendingCsr | None = None,
    ) -> None:
        """Make ``identity`` the installed certificate of its unit on ``nodes``."""
        unit = UNITS[identity.unit]
        targets = {h.hostname: h for n in nodes for h in self.holders(n, unit)}
        for node in targets.values():
            stores = self.stores(node)
            stores.identities[unit.name] = identity
            if pending is not None and stores.csrs.get(unit.name) is pending:
                del stores.csrs[unit.name]
            if identity.self_signed:
                for trust_nodes, store in self._system_trust_targets(node, unit):
                    self._system_trust(trust_nodes, store, identity.certificate)
        if not self._installing:
            for listener in list(self._listeners):
                listener(sorted(targets), unit.name)

    def _system_trust_targets(
        self, node: Node, unit: Unit
    ) -> list[tuple[list[Node], str]]:
        """Where the system copies a node's self-signed certificate for ``unit``."""
        everyone = list(self.cluster.nodes)
        cucm = list(self.cluster.cucm_nodes)
        publisher = self.cluster.publisher
        name = unit.name
        if name in ("tomcat", "tomcat-ECDSA"):
            return [(everyone, "tomcat-trust")]
        if name in ("CallManager", "CallManager-ECDSA"):
            return [(cucm, "CallManager-trust")]
        if name == "CAPF":
            return [([node], "CAPF-trust"), (cucm, "CallManager-trust")]
        if name == "ipsec":
            # DRF Master on the publisher authenticates every Local agent.
            peers = everyone if node.is_publisher else [node, publisher]
            return [(peers, "ipsec-trust")]
        if name == "ITLRecovery":
            return [(cucm, "Phone-SAST-trust")]
        if name in ("cup", "cup-ECDSA"):
            return [([node], "cup-trust")]
        if name.startswith("cup-xmpp"):
            return [(list(self.cluster.imp_nodes), "cup-xmpp-trust")]
        return []

    def _system_trust(
        self, nodes: Sequence[Node], store: str, certificate: x509.Certificate
    ) -> None:
        """Place a system certificate, replacing any entry with its common name."""
        filename = trust_filename(certificate, self.profile)
        entry = TrustCertificate(store, filename, certificate, TRUST_DESCRIPTION)
        for node in nodes:
            entries = self.stores(node).trust[store]
            for stale in [
                f for f, t in entries.items() if t.common_name == entry.common_name
            ]:
                del entries[stale]
            entries[filename] = entry
