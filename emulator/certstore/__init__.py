"""What a node has *installed*: identity certificates, pending CSRs, trust stores.

Services load from here when they start (a later layer); changing what is
installed never changes what a running service uses.
"""

from emulator.certstore.manager import CertificateManager
from emulator.certstore.models import (
    IdentityCertificate,
    NodeCertificates,
    PendingCsr,
    TrustCertificate,
)

__all__ = [
    "CertificateManager",
    "IdentityCertificate",
    "NodeCertificates",
    "PendingCsr",
    "TrustCertificate",
]
