"""What Cisco Tomcat and Cisco CallManager load when they start.

The rule that makes rehearsal honest: a service uses the snapshot it loaded
at start until it restarts, whatever is installed meanwhile (design.md,
"Installed versus loaded"). TFTP's and TVS's snapshots live in their own
modules; these two are small.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from emulator.certstore import CertificateManager
from emulator.cluster import Node
from emulator.pki.cisco_ca import manufacturing_ca
from emulator.pki.keys import PrivateKey
from emulator.trustfiles.trustlist import fingerprint


@dataclass(frozen=True, eq=False)
class TomcatSnapshot:
    """The tomcat certificate (and chain) Cisco Tomcat presents over HTTPS."""

    node: str
    certificate: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True, eq=False)
class CallManagerSnapshot:
    """The certificate CallManager presents on TLS and the issuers it trusts."""

    node: str
    certificate: x509.Certificate
    presented: bytes
    trusted: frozenset[bytes]

    @property
    def trusts_manufacturing_ca(self) -> bool:
        """Whether phones' manufacturing certificates (MICs) still validate."""
        return fingerprint(manufacturing_ca()[0]) in self.trusted


def load_tomcat(certs: CertificateManager, node: Node) -> TomcatSnapshot:
    identity = certs.stores(node).identities["tomcat"]
    chain = _issuers(identity.certificate, certs, node, "tomcat-trust")
    return TomcatSnapshot(node.hostname, identity.certificate, identity.key, chain)


def load_callmanager(certs: CertificateManager, node: Node) -> CallManagerSnapshot:
    stores = certs.stores(node)
    certificate = stores.identities["CallManager"].certificate
    trusted = {
        fingerprint(entry.certificate)
        for store in ("CallManager-trust", "CAPF-trust")
        for entry in stores.trust.get(store, {}).values()
    }
    return CallManagerSnapshot(
        node.hostname, certificate, fingerprint(certificate), frozenset(trusted)
    )


def _issuers(
    leaf: x509.Certificate, certs: CertificateManager, node: Node, store: str
) -> tuple[x509.Certificate, ...]:
    """The leaf's issuers found in ``store``, nearest first, for the TLS chain."""
    pool = [t.certificate for t in certs.stores(node).trust.get(store, {}).values()]
    chain: list[x509.Certificate] = []
    current = leaf
    while current.issuer != current.subject and len(chain) < 8:
        parent = next((c for c in pool if c.subject == current.issuer), None)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return tuple(chain)
