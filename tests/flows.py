"""Steps the tests share: the CA-signed procedure of the seed, one piece each."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from emulator import Lab
from emulator.certstore.csr import CsrRequest
from emulator.certstore.models import PendingCsr
from emulator.cluster import Node
from emulator.pki.ca import SignedCertificate


def pem(certificate: object) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)  # type: ignore[attr-defined, no-any-return]


def upload_ca_chain(lab: Lab, node: Node, store: str) -> None:
    """Upload the lab CA's root, then its intermediate, as ``store``."""
    for certificate in reversed(lab.ca.chain()):
        lab.certs.upload_trust(node, store, pem(certificate), "lab CA")


def csr(lab: Lab, node: Node, unit: str, **options: object) -> PendingCsr:
    return lab.certs.generate_csr(node, CsrRequest(unit=unit, **options))  # type: ignore[arg-type]


def signed(
    lab: Lab, node: Node, unit: str, behaviour: str = "faithful", **options: object
) -> SignedCertificate:
    """Generate a CSR for ``unit`` on ``node`` and have the lab CA sign it."""
    pending = csr(lab, node, unit, **options)
    return lab.ca.sign(pending.request, behaviour)


def renew(lab: Lab, node: Node, unit: str, store: str, **options: object) -> None:
    """The whole CA-signed renewal of ``unit`` on ``node``."""
    upload_ca_chain(lab, node, store)
    issued = signed(lab, node, unit, **options)
    lab.certs.upload_identity(node, unit, issued.pem(with_chain=False))
