"""The records a node's certificate stores hold."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from emulator.cluster import Organisation
from emulator.pki.encoding import common_name, serial_hex
from emulator.pki.keys import PrivateKey
from emulator.profile import ReleaseProfile, TrustFileNaming

THIS_SERVER = "this-server"
MULTI_SERVER = "multi-server"


@dataclass(frozen=True)
class IdentityCertificate:
    """A unit's own certificate and the private key behind it."""

    unit: str
    certificate: x509.Certificate
    key: PrivateKey
    description: str
    distribution: str = THIS_SERVER

    @property
    def filename(self) -> str:
        return f"{self.unit}.pem"

    @property
    def self_signed(self) -> bool:
        return self.certificate.issuer == self.certificate.subject


@dataclass(frozen=True)
class PendingCsr:
    """A CSR waiting for its signed certificate (one per node and unit)."""

    unit: str
    request: x509.CertificateSigningRequest
    key: PrivateKey
    distribution: str
    sans: tuple[str, ...]
    nodes: tuple[str, ...]

    @property
    def pem(self) -> str:
        return self.request.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def filename(self) -> str:
        return f"{self.unit}.csr"


@dataclass(frozen=True)
class TrustCertificate:
    """A certificate in a ``<unit>-trust`` store."""

    store: str
    filename: str
    certificate: x509.Certificate
    description: str

    @property
    def common_name(self) -> str:
        return common_name(self.certificate.subject)


@dataclass
class WebSecurity:
    """The subject fields and alternate host name ``set web-security`` keeps."""

    organisation: Organisation
    alternate_hostname: str | None = None


@dataclass
class NodeCertificates:
    """Everything installed on one node."""

    hostname: str
    web_security: WebSecurity
    identities: dict[str, IdentityCertificate] = field(default_factory=dict)
    csrs: dict[str, PendingCsr] = field(default_factory=dict)
    trust: dict[str, dict[str, TrustCertificate]] = field(default_factory=dict)

    def state(self) -> tuple[object, ...]:
        """A value equal before and after any operation that changed nothing."""
        return (
            self.web_security.organisation,
            self.web_security.alternate_hostname,
            tuple(sorted((u, i.certificate, i.description) for u, i in self._ids())),
            tuple(sorted((u, c.pem) for u, c in self.csrs.items())),
            tuple(
                (store, tuple(sorted((f, t.certificate) for f, t in entries.items())))
                for store, entries in sorted(self.trust.items())
            ),
        )

    def _ids(self) -> list[tuple[str, IdentityCertificate]]:
        return list(self.identities.items())


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def trust_filename(certificate: x509.Certificate, profile: ReleaseProfile) -> str:
    """The file name a trust certificate is listed under.

    Spaces and other characters a file name cannot hold become underscores,
    which gives the names seen on real nodes, e.g.
    ``Cisco_Root_CA_2099_019a335878ce16c1c1.pem``.
    """
    name = _UNSAFE.sub("_", common_name(certificate.subject)).strip("_") or "cert"
    if profile.trust_file_naming is TrustFileNaming.COMMON_NAME_SERIAL:
        return f"{name}_{serial_hex(certificate)}.pem"
    return f"{name}.pem"
