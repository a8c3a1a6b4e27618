"""A trust file as a phone sees it: certificate fingerprints by role.

A TFTP node builds one ITL per start and every phone that downloads it gets
the same bytes, so the parse, the signature check and the fingerprint sets
are computed once per distinct file and shared by every phone that holds it.
A phone's decision then costs a few set lookups, which is what lets 40,000
phones decide trust in a few wall-clock seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from emulator.trustfiles.tlv import Role, TrustFile, parse_trust_file

#: Roles whose certificate may sign a new ITL or CTL the phone already holds
#: an ITL for: the SAST signer, and the TFTP node's CallManager certificate
#: (what ``utils itl reset localkey`` relies on from 12.0).
SIGNER_ROLES = frozenset({Role.SAST, Role.TFTP, Role.CCM_TFTP})
#: Roles whose certificate may sign configuration files.
CONFIG_ROLES = frozenset({Role.TFTP, Role.CCM_TFTP})


def fingerprint(certificate: x509.Certificate) -> bytes:
    """The SHA-256 of a certificate's DER, the identity phones compare."""
    return certificate.fingerprint(hashes.SHA256())


@dataclass(frozen=True, eq=False)
class TrustList:
    """One ITL or CTL file, parsed and checked once."""

    raw: bytes
    parsed: TrustFile
    signer: x509.Certificate | None
    signer_fingerprint: bytes | None
    valid: bool
    by_role: dict[Role, frozenset[bytes]] = field(default_factory=dict)

    def holds(self, fp: bytes | None, roles: frozenset[Role]) -> bool:
        """Whether a certificate with fingerprint ``fp`` has one of ``roles``."""
        return fp is not None and any(fp in self.by_role.get(r, ()) for r in roles)

    @property
    def tvs(self) -> frozenset[bytes]:
        return self.by_role.get(Role.TVS, frozenset())

    @property
    def empty(self) -> bool:
        """No TFTP and no TVS records: the ITL "Prepare Cluster for Rollback"
        serves, after which a phone accepts any file (reference section 3.5)."""
        return not self.tvs and not self.holds_any(CONFIG_ROLES)

    def holds_any(self, roles: frozenset[Role]) -> bool:
        return any(self.by_role.get(r) for r in roles)

    @property
    def md5(self) -> str:
        return hashlib.md5(self.raw, usedforsecurity=False).hexdigest()

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.raw, usedforsecurity=False).hexdigest()


@lru_cache(maxsize=256)
def trust_list(raw: bytes) -> TrustList:
    """The shared view of the trust file ``raw`` (cached by its bytes)."""
    parsed = parse_trust_file(raw)
    record = parsed.signer_record()
    signer = record.certificate if record is not None else None
    by_role: dict[Role, set[bytes]] = {}
    for entry in parsed.records:
        if entry.certificate_der:
            digest = hashlib.sha256(entry.certificate_der).digest()
            by_role.setdefault(entry.role, set()).add(digest)
    return TrustList(
        raw=raw,
        parsed=parsed,
        signer=signer,
        signer_fingerprint=fingerprint(signer) if signer is not None else None,
        valid=parsed.verify(),
        by_role={role: frozenset(fps) for role, fps in by_role.items()},
    )
