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


def restart(
    lab: Lab, services: tuple[str, ...], nodes: list[Node] | None = None
) -> None:
    """Restart ``services`` where activated, one node at a time, publisher first,
    waiting for each to be Started again (as the procedures say)."""
    for node in nodes or list(lab.cluster.cucm_nodes):
        for name in services:
            service = lab.services.find(node, name)
            if service is None or not service.activated:
                continue
            control = service.restart()
            assert lab.clock.run_until(lambda c=control: c.finished, limit=3600)


def reset_and_wait(lab: Lab, limit: float = 7200) -> None:
    """Enterprise Parameters > Reset, then watch RTMT until every phone is back."""
    lab.phones.reset()
    assert lab.clock.run_until(lab.phones.all_registered, limit=limit)


def trusting(lab: Lab) -> bool:
    """Every powered phone holds the ITL its TFTP serves and the current config."""
    for phone in lab.phones.phones:
        if not phone.powered:
            continue
        files = lab.services.get(phone.tftp, "Cisco Tftp").loaded
        if phone.itl is not files.itl:  # type: ignore[attr-defined]
            return False
        if phone.config_generation != lab.phones.config_generation:
            return False
    return True


CALLMANAGER_RESTARTS = (
    "Cisco CallManager",
    "Cisco CTIManager",
    "Cisco Trust Verification Service",
    "Cisco Tftp",
)
TVS_RESTARTS = ("Cisco Trust Verification Service", "Cisco Tftp")
