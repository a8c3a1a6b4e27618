"""Upload of a signed identity certificate, with every check CUCM applies.

The checks run in CUCM's order (reference sections 2.1 and 5, and the seed's
list of common upload errors): the issuing chain must already be in the
unit's trust store, a CSR must be pending for the unit, its public key and
SAN set must match the certificate, no wildcard, not expired, key size in
range. The first failing check is the error shown; nothing is changed unless
every check passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from emulator import errors
from emulator.certstore.models import MULTI_SERVER, IdentityCertificate, PendingCsr
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.pki.encoding import common_name, is_ca, is_self_signed, san_names
from emulator.pki.units import Unit

if TYPE_CHECKING:
    from emulator.certstore.manager import CertificateManager

#: Key sizes CUCM accepts in an uploaded certificate (reference section 1.4).
RSA_KEY_SIZES = (1024, 2048, 3072, 4096)

# CUCM checks that the issuers are present, not how the CA filled in its
# extensions, so the verifier only insists on what makes a certificate a CA.
_CA_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.BasicConstraints, Criticality.AGNOSTIC, None
)
_LEAF_POLICY = ExtensionPolicy.permit_all()


def upload_identity(
    mgr: CertificateManager,
    node: Node,
    unit: Unit,
    certificates: Sequence[x509.Certificate],
    description: str,
    *,
    channel: str,
) -> IdentityCertificate:
    """Check a leaf (and its chain) for ``unit`` on ``node`` and install it."""
    profile = mgr.profile
    leaf = _ordered(mgr, node, certificates, unit)[0]
    now = mgr.clock.now

    _check_issuers(mgr, node, unit, leaf, now)

    pending = mgr.stores(node).csrs.get(unit.name)
    mgr.refuse_if(pending is None, errors.CSR_MISSING, node, unit.name, unit=unit.name)
    assert pending is not None
    multi = pending.distribution == MULTI_SERVER
    mgr.refuse_if(
        multi and channel == "cli" and not profile.multi_san_cli_import,
        errors.MULTI_SAN_CLI_IMPORT,
        node,
        unit.name,
    )
    mgr.refuse_if(
        _spki(leaf.public_key()) != _spki(pending.key.public_key()),
        errors.CSR_PUBLIC_KEY_MISMATCH,
        node,
        unit.name,
        unit=unit.name,
    )
    _check_sans(mgr, node, unit, pending, leaf)

    wildcard = _wildcard_name(leaf)
    mgr.refuse_if(
        wildcard is not None,
        errors.WILDCARD_NOT_SUPPORTED,
        node,
        unit.name,
        name=wildcard or common_name(leaf.subject),
    )
    mgr.refuse_if(
        leaf.not_valid_after_utc < now,
        errors.CERTIFICATE_EXPIRED,
        node,
        unit.name,
        not_after=leaf.not_valid_after_utc.isoformat(),
    )
    mgr.refuse_if(
        leaf.not_valid_before_utc > now,
        errors.CERTIFICATE_NOT_YET_VALID,
        node,
        unit.name,
        not_before=leaf.not_valid_before_utc.isoformat(),
    )
    check_key_size(mgr, node, leaf, unit.name)

    issuer = common_name(leaf.issuer) or leaf.issuer.rfc4514_string()
    identity = IdentityCertificate(
        unit=unit.name,
        certificate=leaf,
        key=pending.key,
        description=description or f"Certificate Signed by {issuer}",
        distribution=pending.distribution,
    )
    mgr.install_identity(
        [mgr.cluster_node(h) for h in pending.nodes], identity, pending=pending
    )
    return identity


def check_key_size(
    mgr: CertificateManager,
    node: Node,
    certificate: x509.Certificate,
    unit: str | None = None,
) -> None:
    """CUCM takes RSA keys of 1024 to 4096 bits (reference section 1.4)."""
    key = certificate.public_key()
    bits = getattr(key, "key_size", 0)
    mgr.refuse_if(
        isinstance(key, rsa.RSAPublicKey) and key.key_size not in RSA_KEY_SIZES,
        errors.KEY_SIZE_NOT_SUPPORTED,
        node,
        unit,
        bits=bits,
        choices=", ".join(map(str, RSA_KEY_SIZES)),
    )


def _ordered(
    mgr: CertificateManager,
    node: Node,
    certificates: Sequence[x509.Certificate],
    unit: Unit,
) -> list[x509.Certificate]:
    """The upload as given, refused unless each certificate issued the one before."""
    for position, (child, parent) in enumerate(pairwise(certificates), start=1):
        mgr.refuse_if(
            not _issued_by(child, parent),
            errors.CHAIN_OUT_OF_ORDER,
            node,
            unit.name,
            unit=unit.name,
            detail=(
                f"certificate {position + 1} ({_label(parent)}) did not issue "
                f"certificate {position} ({_label(child)})"
            ),
        )
    return list(certificates)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _label(certificate: x509.Certificate) -> str:
    return common_name(certificate.subject) or certificate.subject.rfc4514_string()


def _check_issuers(
    mgr: CertificateManager,
    node: Node,
    unit: Unit,
    leaf: x509.Certificate,
    now: datetime,
) -> None:
    """The issuing chain must be found in the unit's trust store on this node."""
    stored = [t.certificate for t in mgr.stores(node).trust[unit.trust_store].values()]
    anchors = [c for c in stored if is_self_signed(c) and is_ca(c)]
    intermediates = [c for c in stored if is_ca(c) and not is_self_signed(c)]

    # Validity of the leaf is judged later, against its own error text, so the
    # chain is built at an instant inside the leaf's validity.
    at = min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    missing = _missing_issuer(leaf, stored)
    mgr.refuse_if(
        False, errors.CA_CERT_NOT_IN_TRUST_STORE, node, unit.name,
        missing=missing, store=unit.trust_store,
    )  # fmt: skip
    if anchors:
        verifier = (
            PolicyBuilder()
            .store(Store(anchors))
            .time(at)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_LEAF_POLICY)
            .build_client_verifier()
        )
        try:
            verifier.verify(leaf, intermediates)
            return
        except VerificationError:
            pass
    raise CucmError(
        errors.CA_CERT_NOT_IN_TRUST_STORE,
        mgr.profile,
        missing=missing,
        store=unit.trust_store,
    )


def _missing_issuer(leaf: x509.Certificate, stored: list[x509.Certificate]) -> str:
    """Name the first issuer the store cannot supply, for the hint."""
    current = leaf
    for _ in range(8):
        parent = next((c for c in stored if _issued_by(current, c)), None)
        if parent is None:
            return f"issuer '{common_name(current.issuer) or current.issuer}'"
        if is_self_signed(parent):
            break
        current = parent
    return f"issuer '{common_name(current.issuer)}' (not usable as a CA)"


def _check_sans(
    mgr: CertificateManager,
    node: Node,
    unit: Unit,
    pending: PendingCsr,
    leaf: x509.Certificate,
) -> None:
    expected = {name.casefold() for name in pending.sans}
    actual = {name.casefold() for name in san_names(leaf)}
    mgr.refuse_if(
        expected != actual,
        errors.CSR_SAN_MISMATCH,
        node,
        unit.name,
        expected=", ".join(sorted(expected)) or "none",
        actual=", ".join(sorted(actual)) or "none",
    )


def _wildcard_name(leaf: x509.Certificate) -> str | None:
    for name in [common_name(leaf.subject), *san_names(leaf)]:
        if name.startswith("*"):
            return name
    return None


def _spki(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
