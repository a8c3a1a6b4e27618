"""SAML SSO and Disaster Recovery: the platform features certificates break.

SSO (reference section 2.3): the SP metadata an IdP holds carries the tomcat
certificate Tomcat presented when SSO was enabled; once Tomcat presents
another, logins fail with "Error while processing saml response" until SSO
is disabled and enabled again.

DRF (section 2.4): master and local agents authenticate with the ipsec
certificates; an ipsec change while a backup runs breaks that backup. A
backup keeps every node's identity certificates and keys, so a later DRS
restore brings the old keys back.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator import errors
from emulator.certstore.models import IdentityCertificate
from emulator.errors import CucmError
from emulator.loaded import TomcatSnapshot
from emulator.trustfiles.trustlist import fingerprint

if TYPE_CHECKING:
    from emulator.lab import Lab

TOMCAT = "Cisco Tomcat"
SSO_RESTARTS = ("Cisco Tomcat", "Cisco SSOSP Tomcat", "Cisco UDS Tomcat")


class SamlSso:
    """Cluster-wide SAML single sign-on."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.enabled = False
        self.metadata: dict[str, bytes] = {}

    def enable(self) -> None:
        """Enable SSO: the metadata takes each node's presented tomcat, and Cisco
        Tomcat, SSOSP Tomcat and UDS Tomcat restart on every node."""
        self.metadata = {}
        for node in self.lab.cluster.nodes:
            loaded = self.lab.services.get(node, TOMCAT).loaded
            if isinstance(loaded, TomcatSnapshot):
                self.metadata[node.hostname] = fingerprint(loaded.certificate)
        self.enabled = True
        self.lab.journal.emit("sso.enabled", nodes=sorted(self.metadata))
        for node in self.lab.cluster.nodes:
            for name in SSO_RESTARTS:
                service = self.lab.services.find(node, name)
                if service is not None and service.activated:
                    service.restart()

    def disable(self) -> None:
        self.enabled = False
        self.metadata = {}
        self.lab.journal.emit("sso.disabled")

    def login(self, hostname: str) -> None:
        """An SSO login on ``hostname``; raises CUCM's SAML error when it fails."""
        if not self.enabled:
            return
        loaded = self.lab.services.get(hostname, TOMCAT).loaded
        presented = (
            fingerprint(loaded.certificate)
            if isinstance(loaded, TomcatSnapshot)
            else None
        )
        broken = presented != self.metadata.get(hostname)
        if broken or self.lab.faults.fires("SSO_SAML_RESPONSE", node=hostname):
            raise CucmError(
                errors.SSO_SAML_RESPONSE, self.lab.profile, injected=not broken
            )


@dataclass
class Backup:
    """One DRF backup: every node's identity certificates and keys."""

    name: str
    started: float
    identities: dict[str, dict[str, IdentityCertificate]] = field(default_factory=dict)
    status: str = "running"
    reason: str = ""


class DisasterRecovery:
    """Cisco DRF Master on the publisher and its Local agents."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.backups: dict[str, Backup] = {}
        self.running: Backup | None = None
        lab.certs.on_identity_changed(self._identity_changed)

    def start_backup(self, name: str, *, seconds: float = 900.0) -> Backup:
        """Start a backup of the whole cluster that takes ``seconds``."""
        busy = self.running is not None
        if busy or self.lab.faults.fires("DRF_BUSY"):
            running = self.running.name if self.running is not None else "nightly"
            raise CucmError(errors.DRF_BUSY, self.lab.profile, name=running)
        backup = Backup(name, self.lab.clock.seconds)
        for node in self.lab.cluster.nodes:
            backup.identities[node.hostname] = dict(
                self.lab.certs.stores(node).identities
            )
        self.backups[name] = backup
        self.running = backup
        self.lab.journal.emit(
            "drf.backup.started", node=self.lab.publisher.hostname, backup=name
        )
        self.lab.clock.env.process(self._finish(backup, seconds))
        return backup

    def _finish(self, backup: Backup, seconds: float) -> Generator[Any, Any, None]:
        yield self.lab.clock.env.timeout(seconds)
        if backup.status == "running":
            backup.status = "completed"
            self.lab.journal.emit("drf.backup.completed", backup=backup.name)
        if self.running is backup:
            self.running = None

    def _identity_changed(self, hostnames: list[str], unit: str) -> None:
        backup = self.running
        if backup is None or unit != "ipsec":
            return
        # The agents lose trust in each other mid-job (reference section 2.4).
        backup.status = "failed"
        backup.reason = f"ipsec certificate changed on {', '.join(hostnames)}"
        self.running = None
        self.lab.journal.emit(
            "drf.backup.failed", backup=backup.name, reason=backup.reason
        )

    def restore_certificates(self, name: str) -> None:
        """A DRS restore of the certificates (and keys) a backup holds."""
        backup = self.backups.get(name)
        missing = backup is None or backup.status != "completed"
        if backup is None or missing or self.lab.faults.fires("DRF_NO_BACKUP"):
            raise CucmError(errors.DRF_NO_BACKUP, self.lab.profile, name=name)
        for hostname, identities in backup.identities.items():
            node = self.lab.node(hostname)
            for identity in identities.values():
                if (
                    self.lab.certs.stores(node).identities.get(identity.unit)
                    is not identity
                ):
                    self.lab.certs.install_identity([node], identity)
        self.lab.journal.emit("drf.restore.completed", backup=name)
