"""What the Trust Verification Service loads, and how it answers phones.

A TVS presents the TVS certificate it loaded over TLS (port 2445) and vouches
for the certificates it knew when it started: the cluster's CallManager,
ITLRecovery, TVS, CAPF and tomcat identities and the contents of its node's
CallManager-trust, Phone-SAST-trust, tomcat-trust and CAPF-trust. Which
stores a real TVS consults is not documented (reference section 3.2); this
set is listed in the approximations.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from emulator.certstore import CertificateManager
from emulator.cluster import Node
from emulator.trustfiles.trustlist import fingerprint

VOUCHED_STORES = ("CallManager-trust", "Phone-SAST-trust", "tomcat-trust", "CAPF-trust")
VOUCHED_UNITS = (
    "CallManager",
    "CallManager-ECDSA",
    "ITLRecovery",
    "TVS",
    "CAPF",
    "tomcat",
)


@dataclass(frozen=True, eq=False)
class TvsSnapshot:
    """The certificate a TVS presents and the set it vouches for."""

    node: str
    certificate: x509.Certificate
    presented: bytes
    vouches: frozenset[bytes]


def load_tvs(certs: CertificateManager, node: Node) -> TvsSnapshot:
    """What Cisco Trust Verification Service on ``node`` loads at start."""
    stores = certs.stores(node)
    known: set[bytes] = set()
    for store in VOUCHED_STORES:
        known.update(
            fingerprint(t.certificate) for t in stores.trust.get(store, {}).values()
        )
    for peer in certs.cluster.cucm_nodes:
        identities = certs.stores(peer).identities
        for unit in VOUCHED_UNITS:
            if unit in identities:
                known.add(fingerprint(identities[unit].certificate))
    own = stores.identities["TVS"].certificate
    return TvsSnapshot(node.hostname, own, fingerprint(own), frozenset(known))
