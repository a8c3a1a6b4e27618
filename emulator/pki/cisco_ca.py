"""Stand-ins for the Cisco CA certificates CUCM ships in its trust stores.

Every CUCM installs the same Cisco root and manufacturing CA certificates in
``CallManager-trust`` and ``CAPF-trust`` (reference section 1.2). The real
ones cannot be re-signed, so the lab makes certificates with the same common
names, serial numbers and hierarchy, once per process: like the real ones,
they are identical in every lab. Phones' manufacturing certificates (MICs)
chain to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator.pki.keys import GeneratedKeys, KeySource
from emulator.profile import ReleaseProfile


@dataclass(frozen=True)
class CiscoCa:
    common_name: str
    serial: int
    issuer: str | None
    valid_from: int
    valid_to: int
    current: bool = True


_CAS = (
    CiscoCa("Cisco Root CA 2048", 0x5FF87B282B54DC8D42A315B568C9ADFF, None, 2004, 2029),
    CiscoCa("Cisco Root CA M2", 0x01, None, 2012, 2037),
    CiscoCa("Cisco Root CA 2099", 0x019A335878CE16C1C1, None, 2016, 2099),
    CiscoCa(
        "Cisco Basic Assurance Root CA 2099", 0x01A65AF15EE994EBE1, None, 2017, 2099
    ),
    CiscoCa(
        "Cisco Manufacturing CA",
        0x6A6967B3000000000003,
        "Cisco Root CA 2048",
        2005,
        2029,
    ),
    CiscoCa("ACT2 SUDI CA", 0x61096E7D00000000000C, "Cisco Root CA 2048", 2013, 2029),
    CiscoCa("Cisco Manufacturing CA SHA2", 0x02, "Cisco Root CA M2", 2012, 2037),
    CiscoCa(
        "Cisco Manufacturing CA III",
        0x04302A0B364CE2DA93,
        "Cisco Root CA M2",
        2016,
        2037,
    ),
    CiscoCa(
        "High Assurance SUDI CA", 0x0A6475524CD8617C62, "Cisco Root CA 2099", 2019, 2099
    ),
    # Shipped by older releases only (reference: removed in later releases).
    CiscoCa("CAP-RTP-001", 0x61F2E2C2, None, 2003, 2023, current=False),
    CiscoCa("CAP-RTP-002", 0x6AD8B6E1, None, 2003, 2023, current=False),
)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


_made: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {}


def _issued(
    keys: KeySource | None = None,
) -> dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]]:
    """The stand-ins, made on first use with keys from ``keys`` (a lab's pool)."""
    if _made:
        return _made
    source = keys or GeneratedKeys()
    made: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {}
    for ca in _CAS:
        key = source.rsa(2048)
        issuer_cert, issuer_key = made[ca.issuer] if ca.issuer else (None, key)
        issuer_name = issuer_cert.subject if issuer_cert else _name(ca.common_name)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(ca.common_name))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(ca.serial)
            .not_valid_before(datetime(ca.valid_from, 5, 14, tzinfo=UTC))
            .not_valid_after(datetime(ca.valid_to, 5, 14, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
            .sign(issuer_key, hashes.SHA256())
        )
        made[ca.common_name] = (certificate, key)
    _made.update(made)
    return _made


def default_ca_certificates(
    profile: ReleaseProfile, keys: KeySource | None = None
) -> list[x509.Certificate]:
    """The Cisco CA certificates a fresh node of ``profile`` trusts."""
    issued = _issued(keys)
    modern = profile.major >= 14
    return [issued[ca.common_name][0] for ca in _CAS if ca.current or not modern]


def manufacturing_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The CA that signs the lab phones' manufacturing certificates."""
    return _issued()["Cisco Manufacturing CA SHA2"]
