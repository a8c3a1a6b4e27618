"""Build a node's certificates and CSRs the way CUCM lays them out.

Subjects carry the unit's common name and the organisation fields set at
install time (or by ``set web-security``); extensions follow the unit's key
usage table (reference section 1.7). Self-signed certificates last five years
minus one second, as observed on real nodes (section 1.4).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from emulator.cluster import Node, Organisation
from emulator.pki.keys import PrivateKey
from emulator.pki.units import NameStyle, Unit

SigningHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512

HASHES: dict[str, SigningHash] = {
    "SHA256": hashes.SHA256(),
    "SHA384": hashes.SHA384(),
    "SHA512": hashes.SHA512(),
}


def new_serial(rng: random.Random) -> int:
    """A 16-byte serial number like CUCM's, drawn from the lab's seed."""
    return rng.getrandbits(127) | (1 << 126)


def common_name(
    unit: Unit, node: Node, *, multi_server: bool = False, capf_tag: str = ""
) -> str:
    """The common name CUCM gives ``unit`` on ``node`` (reference section 1.3)."""
    if multi_server:
        suffix = "-EC-ms" if unit.ecdsa else "-ms"
        return f"{node.hostname}{suffix}.{node.domain}"
    style = unit.name_style
    if style is NameStyle.FQDN:
        return node.fqdn
    if style is NameStyle.HOST:
        return node.hostname
    if style is NameStyle.HOST_EC:
        return f"{node.hostname}-EC"
    if style is NameStyle.HOST_EC_FQDN:
        return f"{node.hostname}-EC.{node.domain}"
    if style is NameStyle.CAPF:
        return f"CAPF-{capf_tag}"
    return f"ITLRECOVERY_{node.fqdn}"


def subject(cn: str, org: Organisation, *, include_ou: bool = True) -> x509.Name:
    """A CUCM subject: CN, OU, O, L, ST, C."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if include_ou:
        attributes.append(
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, org.orgunit)
        )
    attributes += [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.orgname),
        x509.NameAttribute(NameOID.LOCALITY_NAME, org.locality),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, org.state),
        x509.NameAttribute(NameOID.COUNTRY_NAME, org.country),
    ]
    return x509.Name(attributes)


def general_names(names: Sequence[str]) -> list[x509.GeneralName]:
    """DNS names and IP addresses as SAN entries."""
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def unit_extensions(
    unit: Unit, sans: Sequence[str]
) -> list[tuple[x509.ExtensionType, bool]]:
    """The extensions a CSR for ``unit`` requests (and a self-signed one carries)."""
    usage = unit.key_usage
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (
            x509.KeyUsage(
                digital_signature="digital_signature" in usage,
                content_commitment=False,
                key_encipherment="key_encipherment" in usage,
                data_encipherment="data_encipherment" in usage,
                key_agreement="key_agreement" in usage,
                key_cert_sign="key_cert_sign" in usage,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.ExtendedKeyUsage(list(unit.extended_key_usage)), False),
    ]
    if unit.certificate_authority:
        extensions.append((x509.BasicConstraints(ca=True, path_length=0), True))
    if sans:
        extensions.append((x509.SubjectAlternativeName(general_names(sans)), False))
    return extensions


def add_years(instant: datetime, years: int) -> datetime:
    """``instant`` moved by whole calendar years (29 February becomes the 28th)."""
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:
        return instant.replace(year=instant.year + years, day=28)


def self_signed(
    unit: Unit,
    key: PrivateKey,
    name: x509.Name,
    sans: Sequence[str],
    *,
    not_before: datetime,
    years: int,
    serial: int,
    hash_algorithm: str = "SHA256",
) -> x509.Certificate:
    """A system-generated certificate, valid ``years`` years minus one second."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(add_years(not_before, years) - timedelta(seconds=1))
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
    )
    for extension, critical in unit_extensions(unit, sans):
        builder = builder.add_extension(extension, critical)
    if not unit.certificate_authority:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), False
        )
    return builder.sign(key, HASHES[hash_algorithm])


def csr(
    unit: Unit,
    key: PrivateKey,
    name: x509.Name,
    sans: Sequence[str],
    *,
    hash_algorithm: str,
) -> x509.CertificateSigningRequest:
    """A PKCS#10 request carrying the unit's requested extensions."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(name)
    for extension, critical in unit_extensions(unit, sans):
        builder = builder.add_extension(extension, critical)
    return builder.sign(key, HASHES[hash_algorithm])
