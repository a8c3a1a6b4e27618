"""What the trainers' dashboard shows, gathered from one lab.

The central question after any certificate step is "installed or loaded?":
a service keeps presenting (or signing with) what it loaded when it last
started until it restarts (design.md, "Installed versus loaded"). For each
node this lines up the certificate each trust-relevant service loaded with
the one now installed, so a restart still owed stands out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from emulator.cluster import Node
from emulator.journal import Event
from emulator.lab import Lab
from emulator.loaded import CallManagerSnapshot, TomcatSnapshot
from emulator.pki.encoding import common_name
from emulator.tftp import TftpFiles, itl_signer
from emulator.tvs import TvsSnapshot

#: Service, the unit it loads, and what the dashboard calls the pairing.
WATCHED = (
    ("Cisco Tomcat", "tomcat", "tomcat (HTTPS)"),
    ("Cisco CallManager", "CallManager", "CallManager (SIP/SCCP TLS)"),
    ("Cisco Trust Verification Service", "TVS", "TVS (port 2445)"),
    ("Cisco Tftp", "", "ITL signer"),
)


@dataclass(frozen=True)
class CertificateLine:
    """One service's loaded certificate beside the installed one."""

    node: str
    service: str
    label: str
    state: str
    loaded: x509.Certificate | None
    installed: x509.Certificate | None

    @property
    def differs(self) -> bool:
        return (
            self.loaded is not None
            and self.installed is not None
            and self.loaded.fingerprint(hashes.SHA256())
            != self.installed.fingerprint(hashes.SHA256())
        )


def describe(certificate: x509.Certificate | None) -> str:
    """A certificate in a few words: subject, issuer, serial and expiry."""
    if certificate is None:
        return "(nothing loaded)"
    subject = common_name(certificate.subject)
    issuer = common_name(certificate.issuer)
    signed = "self-signed" if subject == issuer else f"issued by {issuer}"
    expires = certificate.not_valid_after_utc.strftime("%Y-%m-%d")
    serial = f"{certificate.serial_number:x}"[:12]
    return f"{subject}, {signed}, serial {serial}…, expires {expires}"


def certificate_lines(lab: Lab, node: Node) -> list[CertificateLine]:
    """Loaded versus installed for every watched service the node runs."""
    identities = lab.certs.stores(node).identities
    lines = []
    for name, unit, label in WATCHED:
        service = lab.services.find(node, name)
        if service is None:
            continue
        loaded = _loaded_certificate(service.loaded)
        if unit:
            installed = identities[unit].certificate if unit in identities else None
        else:
            signer = itl_signer(lab.certs, node)
            installed, label = signer.certificate, f"ITL signer ({signer.unit})"
        lines.append(
            CertificateLine(
                node.hostname, name, label, service.state.value, loaded, installed
            )
        )
    return lines


def _loaded_certificate(loaded: object) -> x509.Certificate | None:
    if isinstance(loaded, TomcatSnapshot | CallManagerSnapshot | TvsSnapshot):
        return loaded.certificate
    if isinstance(loaded, TftpFiles):
        return loaded.itl.signer
    return None


def latest_events(lab: Lab, count: int) -> list[Event]:
    """The journal's last ``count`` events, newest first."""
    return list(reversed(deque(lab.journal, maxlen=count)))
