"""The lab CA: what it issues for a CSR, faithfully or the way real CAs misbehave."""

from __future__ import annotations

import ipaddress
import random
import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.clock import LabClock
from emulator.pki.ca import BEHAVIOURS, LabCA, SignedCertificate, UnknownBehaviour
from emulator.pki.encoding import (
    CertificateFileError,
    FileProblem,
    common_name,
    is_self_signed,
    parse_certificates,
    san_names,
    serial_hex,
    to_der,
    to_pem,
)
from emulator.pki.keys import GeneratedKeys

# Far from the wall clock, so a CA that read it would be caught.
NOW = datetime(2031, 7, 14, 12, 0, tzinfo=UTC)

# The seed TAC note's multi-server tomcat CSR.
SEED_CN = "pub-ms.domain.com"
SEED_SANS = ["domain.com", "sub.domain.com", "pub.domain.com", "imp.domain.com"]

_T = TypeVar("_T", bound=x509.ExtensionType)

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command is not installed"
)


class ReplayedKeys(GeneratedKeys):
    """A key source that hands every CA the same RSA keys in the same order."""

    def __init__(self, keys: Sequence[rsa.RSAPrivateKey]) -> None:
        self._waiting = list(keys)

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        assert bits == 2048
        return self._waiting.pop(0)


@pytest.fixture(scope="module")
def rsa_keys() -> list[rsa.RSAPrivateKey]:
    keys = GeneratedKeys()
    return [keys.rsa(2048) for _ in range(4)]


def _build_ca(
    rsa_keys: list[rsa.RSAPrivateKey],
    seed: int = 7,
    *,
    with_intermediate: bool = True,
    now: Callable[[], datetime] = lambda: NOW,
) -> LabCA:
    return LabCA(
        keys=ReplayedKeys(rsa_keys),
        now=now,
        rng=random.Random(seed),
        with_intermediate=with_intermediate,
    )


@pytest.fixture(scope="module")
def ca(rsa_keys: list[rsa.RSAPrivateKey]) -> LabCA:
    return _build_ca(rsa_keys)


@pytest.fixture(scope="module")
def flat_ca(rsa_keys: list[rsa.RSAPrivateKey]) -> LabCA:
    return _build_ca(rsa_keys, with_intermediate=False)


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


def make_csr(
    cn: str,
    sans: Sequence[str] = (),
    *,
    key: ec.EllipticCurvePrivateKey | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> x509.CertificateSigningRequest:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "CDMX"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "CUCM"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Collaboration"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        names = [x509.DNSName(name) for name in sans]
        builder = builder.add_extension(
            x509.SubjectAlternativeName(names), critical=False
        )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical)
    key = key or ec.generate_private_key(ec.SECP256R1())
    return builder.sign(key, hashes.SHA256())


TOMCAT_USAGES: list[tuple[x509.ExtensionType, bool]] = [
    (
        _key_usage(
            digital_signature=True,
            key_encipherment=True,
            data_encipherment=True,
            key_agreement=True,
        ),
        True,
    ),
    (
        x509.ExtendedKeyUsage(
            [
                ExtendedKeyUsageOID.SERVER_AUTH,
                ExtendedKeyUsageOID.CLIENT_AUTH,
                ExtendedKeyUsageOID.IPSEC_IKE,
            ]
        ),
        False,
    ),
]


@pytest.fixture(scope="module")
def tomcat_csr() -> x509.CertificateSigningRequest:
    return make_csr(SEED_CN, SEED_SANS, extensions=TOMCAT_USAGES)


@pytest.fixture(scope="module")
def capf_csr() -> x509.CertificateSigningRequest:
    return make_csr(
        "CAPF-36205338",
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(digital_signature=True, key_cert_sign=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )


def _extension(cert: x509.Certificate, kind: type[_T]) -> x509.Extension[_T] | None:
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _requested(
    csr: x509.CertificateSigningRequest,
) -> dict[x509.ObjectIdentifier, tuple[x509.ExtensionType, bool]]:
    return {ext.oid: (ext.value, ext.critical) for ext in csr.extensions}


def _issued(cert: x509.Certificate) -> dict[x509.ObjectIdentifier, tuple[object, bool]]:
    """The extensions a CA copies, leaving out the key identifiers it adds."""
    added = (x509.SubjectKeyIdentifier.oid, x509.AuthorityKeyIdentifier.oid)
    return {
        ext.oid: (ext.value, ext.critical)
        for ext in cert.extensions
        if ext.oid not in added
    }


def _same_key(cert: x509.Certificate, csr: x509.CertificateSigningRequest) -> bool:
    return cert.public_key() == csr.public_key()


# The CA itself


def test_root_is_a_self_signed_ca_for_ten_years(ca: LabCA) -> None:
    """The lab's root is a self-signed CA for certificate and CRL signing, 10 years."""
    root = ca.root
    assert is_self_signed(root)
    assert common_name(root.subject) == "cucm-lab Root CA"
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca and constraints.critical
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert root.not_valid_before_utc == NOW - timedelta(days=30)
    lifetime = root.not_valid_after_utc - NOW
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3653)
    root_key = root.public_key()
    assert isinstance(root_key, rsa.RSAPublicKey)
    assert root_key.key_size == 2048


def test_intermediate_is_issued_by_the_root_with_path_length_zero(ca: LabCA) -> None:
    """The issuing CA is signed by the root, may sign only leaves, and lasts 5 years."""
    intermediate = ca.intermediate
    assert intermediate is not None
    intermediate.verify_directly_issued_by(ca.root)
    assert common_name(intermediate.subject) == "cucm-lab Issuing CA G1"
    constraints = intermediate.extensions.get_extension_for_class(
        x509.BasicConstraints
    ).value
    assert constraints.ca and constraints.path_length == 0
    lifetime = intermediate.not_valid_after_utc - NOW
    assert timedelta(days=1825) <= lifetime <= timedelta(days=1827)
    assert intermediate.public_key() != ca.root.public_key()


def test_chain_lists_issuer_first_and_root_last(ca: LabCA, flat_ca: LabCA) -> None:
    """The CA's chain starts at the certificate that signs leaves, ends at the root."""
    assert ca.chain() == [ca.intermediate, ca.root]
    assert flat_ca.intermediate is None
    assert flat_ca.chain() == [flat_ca.root]


def test_ca_refuses_a_clock_without_timezone(
    rsa_keys: list[rsa.RSAPrivateKey],
) -> None:
    """The lab CA refuses a naive clock, since validity is judged in UTC."""
    with pytest.raises(ValueError, match="timezone"):
        _build_ca(rsa_keys, now=lambda: datetime(2031, 7, 14, 12, 0))


def test_ca_reads_the_lab_clock_at_signing_time(
    rsa_keys: list[rsa.RSAPrivateKey], tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA dates each certificate by the lab clock at signing, not the wall clock."""
    clock = LabClock(NOW)
    lab_ca = _build_ca(rsa_keys, now=lambda: clock.now)
    clock.advance(90 * 86400)

    leaf = lab_ca.sign(tomcat_csr).leaf
    assert lab_ca.root.not_valid_before_utc == NOW - timedelta(days=30)
    assert leaf.not_valid_before_utc == clock.now - timedelta(hours=1)
    assert leaf.not_valid_after_utc == clock.now + timedelta(days=730)


# faithful


def test_faithful_copies_subject_key_and_requested_extensions(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """A faithful CA issues the CSR's subject, key and requested extensions as asked."""
    signed = ca.sign(tomcat_csr)
    leaf = signed.leaf

    assert leaf.subject == tomcat_csr.subject
    assert _same_key(leaf, tomcat_csr)
    assert _issued(leaf) == _requested(tomcat_csr)
    assert san_names(leaf) == SEED_SANS
    assert leaf.not_valid_before_utc == NOW - timedelta(hours=1)
    assert leaf.not_valid_after_utc == NOW + timedelta(days=730)
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)

    assert ca.intermediate is not None
    assert leaf.issuer == ca.intermediate.subject
    leaf.verify_directly_issued_by(ca.intermediate)
    assert signed.chain == (ca.intermediate, ca.root)


def test_issued_certificates_carry_key_identifiers(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA marks each leaf with its own key identifier and the issuer's."""
    leaf = ca.sign(tomcat_csr).leaf
    assert ca.intermediate is not None
    ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuer_ski = ca.intermediate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier
    ).value
    assert (
        ski.digest
        == x509.SubjectKeyIdentifier.from_public_key(tomcat_csr.public_key()).digest
    )
    assert aki.key_identifier == issuer_ski.digest


def test_faithful_honours_capf_ca_constraints(
    ca: LabCA, capf_csr: x509.CertificateSigningRequest
) -> None:
    """A faithful CA keeps the CA:TRUE, pathlen:0 and keyCertSign of a CAPF CSR."""
    leaf = ca.sign(capf_csr).leaf
    constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca and constraints.value.path_length == 0
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.digital_signature
    assert _issued(leaf) == _requested(capf_csr)


def test_faithful_gives_web_server_usages_when_none_requested(ca: LabCA) -> None:
    """For a CSR requesting nothing, the CA issues server and client usages, no SAN."""
    leaf = ca.sign(make_csr("bare.domain.com")).leaf
    usage = _extension(leaf, x509.KeyUsage)
    assert usage is not None and usage.critical
    assert usage.value == _key_usage(digital_signature=True, key_encipherment=True)
    eku = _extension(leaf, x509.ExtendedKeyUsage)
    assert eku is not None
    assert list(eku.value) == [
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ]
    assert _extension(leaf, x509.SubjectAlternativeName) is None
    assert _extension(leaf, x509.BasicConstraints) is None


def test_faithful_drops_extensions_outside_its_template(ca: LabCA) -> None:
    """The CA copies only SAN, key usages and basic constraints from the request."""
    csr = make_csr(
        "pub.domain.com",
        ["pub.domain.com"],
        extensions=[(x509.OCSPNoCheck(), False)],
    )
    leaf = ca.sign(csr).leaf
    assert _extension(leaf, x509.OCSPNoCheck) is None
    assert san_names(leaf) == ["pub.domain.com"]
    assert _extension(leaf, x509.KeyUsage) is None


def test_ca_signs_csr_files_in_pem_and_der(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA accepts the CSR file as CUCM's Download CSR gives it, PEM or DER."""
    pem = tomcat_csr.public_bytes(serialization.Encoding.PEM)
    der = tomcat_csr.public_bytes(serialization.Encoding.DER)
    for form in (pem, pem.decode(), der):
        leaf = ca.sign(form).leaf
        assert _same_key(leaf, tomcat_csr)
        assert leaf.subject == tomcat_csr.subject


def test_ca_refuses_a_tampered_csr(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA refuses a CSR whose subject was edited after it was signed."""
    der = tomcat_csr.public_bytes(serialization.Encoding.DER)
    tampered = der.replace(b"pub-ms.domain.com", b"evil-m.domain.com")
    assert tampered != der
    with pytest.raises(ValueError, match="signature"):
        ca.sign(tampered)


def test_ca_refuses_a_file_that_is_no_csr(ca: LabCA) -> None:
    """The CA refuses a file that holds no certificate signing request."""
    with pytest.raises(CertificateFileError) as caught:
        ca.sign(b"<script>alert(1)</script>")
    assert caught.value.problem is FileProblem.NOT_A_CSR


def test_ca_refuses_a_validity_below_one_day(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA refuses to issue a certificate valid for less than a day."""
    with pytest.raises(ValueError, match="validity_days"):
        ca.sign(tomcat_csr, validity_days=0)


def test_leaf_of_a_ca_without_intermediate_is_signed_by_the_root(
    flat_ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """Without an issuing CA, the root signs leaves and is the whole chain."""
    signed = flat_ca.sign(tomcat_csr)
    signed.leaf.verify_directly_issued_by(flat_ca.root)
    assert signed.chain == (flat_ca.root,)


# Misbehaviours


def test_extra_sans_adds_the_cn_and_an_ip_address(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """Like the seed's CA, extra-sans adds the CN and a 10.x IP address to the SANs."""
    leaf = ca.sign(tomcat_csr, "extra-sans").leaf
    names = san_names(leaf)
    assert names[: len(SEED_SANS)] == SEED_SANS
    assert names[len(SEED_SANS)] == SEED_CN
    address = ipaddress.ip_address(names[len(SEED_SANS) + 1])
    assert address in ipaddress.ip_network("10.0.0.0/8")
    assert len(names) == len(SEED_SANS) + 2
    assert _same_key(leaf, tomcat_csr)


def test_extra_sans_adds_only_an_ip_when_the_cn_is_requested(ca: LabCA) -> None:
    """When the CSR already lists its CN as a SAN, extra-sans adds only an IP."""
    csr = make_csr("pub.domain.com", ["pub.domain.com", "sub.domain.com"])
    names = san_names(ca.sign(csr, "extra-sans").leaf)
    assert names[:2] == ["pub.domain.com", "sub.domain.com"]
    assert len(names) == 3
    assert isinstance(ipaddress.ip_address(names[2]), ipaddress.IPv4Address)


def test_drop_sans_leaves_out_the_last_requested_san(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """drop-sans issues every requested SAN but the last."""
    leaf = ca.sign(tomcat_csr, "drop-sans").leaf
    assert san_names(leaf) == SEED_SANS[:-1]


def test_drop_sans_of_a_single_san_issues_no_san_extension(ca: LabCA) -> None:
    """drop-sans on a one-SAN CSR issues a certificate without a SAN extension."""
    leaf = ca.sign(make_csr("pub.domain.com", ["pub.domain.com"]), "drop-sans").leaf
    assert _extension(leaf, x509.SubjectAlternativeName) is None


def test_ignore_extensions_issues_only_the_cn_as_san(
    ca: LabCA,
    tomcat_csr: x509.CertificateSigningRequest,
    capf_csr: x509.CertificateSigningRequest,
) -> None:
    """ignore-extensions drops every requested usage and keeps only the CN as SAN."""
    for csr in (tomcat_csr, capf_csr):
        leaf = ca.sign(csr, "ignore-extensions").leaf
        assert _extension(leaf, x509.KeyUsage) is None
        assert _extension(leaf, x509.ExtendedKeyUsage) is None
        assert _extension(leaf, x509.BasicConstraints) is None
        assert san_names(leaf) == [common_name(csr.subject)]


def test_wrong_key_certifies_the_other_csrs_key(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """wrong-key with another node's CSR certifies that CSR's key under this subject."""
    other = make_csr("sub-ms.domain.com", ["sub.domain.com"])
    leaf = ca.sign(tomcat_csr, "wrong-key", other_csr=other).leaf
    assert _same_key(leaf, other)
    assert not _same_key(leaf, tomcat_csr)
    assert leaf.subject == tomcat_csr.subject
    assert _issued(leaf) == _requested(tomcat_csr)


def test_wrong_key_alone_certifies_a_fresh_key(
    rsa_keys: list[rsa.RSAPrivateKey], tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """wrong-key without another CSR certifies a fresh RSA key nobody asked for."""
    lab_ca = _build_ca(rsa_keys[:3])
    leaf = lab_ca.sign(tomcat_csr, "wrong-key").leaf
    assert leaf.public_key() == rsa_keys[2].public_key()
    assert not _same_key(leaf, tomcat_csr)
    assert san_names(leaf) == SEED_SANS


def test_other_csr_is_refused_where_it_means_nothing(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA refuses other_csr outside wrong-key, and one sharing the CSR's key."""
    with pytest.raises(ValueError, match="wrong-key"):
        ca.sign(tomcat_csr, "faithful", other_csr=make_csr("x.domain.com"))
    with pytest.raises(ValueError, match="same key"):
        ca.sign(tomcat_csr, "wrong-key", other_csr=tomcat_csr)


def test_expired_is_valid_only_in_the_past(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """expired issues a certificate whose validity ended the day before."""
    leaf = ca.sign(tomcat_csr, "expired", validity_days=365).leaf
    assert leaf.not_valid_before_utc == NOW - timedelta(days=395)
    assert leaf.not_valid_after_utc == NOW - timedelta(days=1)
    assert san_names(leaf) == SEED_SANS


def test_not_yet_valid_starts_in_thirty_days(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """not-yet-valid issues a certificate that starts 30 days after signing."""
    leaf = ca.sign(tomcat_csr, "not-yet-valid").leaf
    assert leaf.not_valid_before_utc == NOW + timedelta(days=30)
    assert leaf.not_valid_after_utc == NOW + timedelta(days=30 + 730)


def test_wildcard_replaces_the_cn_with_its_parent_domain(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """wildcard issues *.parent-domain as CN and keeps exactly the requested SANs,
    so at upload CUCM refuses the wildcard itself, not the SAN list."""
    leaf = ca.sign(tomcat_csr, "wildcard").leaf
    assert common_name(leaf.subject) == "*.domain.com"
    assert san_names(leaf) == SEED_SANS
    organisations = leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert [attribute.value for attribute in organisations] == ["Cisco"]
    assert len(leaf.subject.rdns) == len(tomcat_csr.subject.rdns)


def test_wildcard_of_a_short_name_wildcards_the_name(ca: LabCA) -> None:
    """wildcard on a CN without a dot issues *.CN."""
    leaf = ca.sign(make_csr("cucmpub"), "wildcard").leaf
    assert common_name(leaf.subject) == "*.cucmpub"


def test_wildcard_needs_a_common_name(ca: LabCA) -> None:
    """wildcard refuses a CSR without a CN, since there is no name to widen."""
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco")])
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    )
    with pytest.raises(ValueError, match="CN"):
        ca.sign(csr, "wildcard")


def test_no_intermediate_hands_out_the_root_alone(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """no-intermediate signs with the issuing CA but hands out only the root."""
    signed = ca.sign(tomcat_csr, "no-intermediate")
    assert ca.intermediate is not None
    signed.leaf.verify_directly_issued_by(ca.intermediate)
    assert signed.chain == (ca.root,)


def test_no_intermediate_equals_faithful_without_an_intermediate(
    flat_ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """A CA with no issuing CA hands out the same chain for no-intermediate."""
    assert flat_ca.sign(tomcat_csr, "no-intermediate").chain == (flat_ca.root,)


def test_unknown_behaviour_names_the_valid_ones(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA refuses an unknown behaviour, suggests the nearest and lists them all."""
    with pytest.raises(UnknownBehaviour) as caught:
        ca.sign(tomcat_csr, "extra-san")
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "did you mean 'extra-sans'" in message
    for name in BEHAVIOURS:
        assert name in message


def test_behaviour_names_are_stable() -> None:
    """The CLI and API rely on exactly these behaviour names, each described once."""
    assert list(BEHAVIOURS) == [
        "faithful",
        "extra-sans",
        "drop-sans",
        "ignore-extensions",
        "wrong-key",
        "expired",
        "not-yet-valid",
        "wildcard",
        "no-intermediate",
    ]
    for description in BEHAVIOURS.values():
        assert description.endswith(".")
        assert ". " not in description


# What the CA hands out


def test_signed_certificate_files_hold_the_leaf_and_chain(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA's files carry the leaf first and its issuers, in every format."""
    signed = ca.sign(tomcat_csr)
    bundle = [signed.leaf, *signed.chain]
    assert len(bundle) == 3

    assert parse_certificates(signed.pem()) == bundle
    assert parse_certificates(signed.pem(with_chain=False)) == [signed.leaf]
    assert parse_certificates(signed.der()) == [signed.leaf]
    for blob in (signed.pkcs7_pem(), signed.pkcs7_der()):
        parsed = parse_certificates(blob)
        assert sorted(map(to_der, parsed)) == sorted(map(to_der, bundle))


def test_serial_numbers_are_positive_63_bit(
    ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """The CA's serials are positive, 63 bits long and never repeat."""
    leaves = [ca.sign(tomcat_csr).leaf for _ in range(5)]
    serials = [cert.serial_number for cert in [ca.root, *leaves]]
    assert len(set(serials)) == len(serials)
    for serial in serials:
        assert 1 << 62 <= serial < 1 << 63
    assert all(len(serial_hex(cert)) == 16 for cert in leaves)


def test_same_seed_issues_the_same_certificates(
    rsa_keys: list[rsa.RSAPrivateKey], tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """Two labs built from one seed get the same CA and issue identical certificates."""
    first, second = _build_ca(rsa_keys), _build_ca(rsa_keys)
    assert first.root.serial_number == second.root.serial_number
    assert to_der(first.root) == to_der(second.root)
    assert first.chain() == second.chain()

    for behaviour in ("faithful", "extra-sans"):
        one = first.sign(tomcat_csr, behaviour).leaf
        two = second.sign(tomcat_csr, behaviour).leaf
        assert one.serial_number == two.serial_number
        assert san_names(one) == san_names(two)
        assert to_der(one) == to_der(two)

    other = _build_ca(rsa_keys, seed=8)
    assert other.root.serial_number != first.root.serial_number


# Cross-checks with OpenSSL


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=False, timeout=30
    )


def _verify(
    tmp_path: Path,
    root: x509.Certificate,
    untrusted: Sequence[x509.Certificate],
    signed: SignedCertificate,
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "root.pem").write_bytes(to_pem([root]))
    (tmp_path / "untrusted.pem").write_bytes(to_pem(untrusted))
    (tmp_path / "leaf.pem").write_bytes(signed.pem(with_chain=False))
    return _openssl(
        "verify",
        "-attime",
        str(int(NOW.timestamp())),
        "-CAfile",
        str(tmp_path / "root.pem"),
        "-untrusted",
        str(tmp_path / "untrusted.pem"),
        str(tmp_path / "leaf.pem"),
    )


@needs_openssl
def test_openssl_verifies_a_faithful_leaf_through_the_chain(
    tmp_path: Path,
    ca: LabCA,
    tomcat_csr: x509.CertificateSigningRequest,
    capf_csr: x509.CertificateSigningRequest,
) -> None:
    """OpenSSL verifies faithful leaves, CAPF's included, via root and intermediate."""
    assert ca.intermediate is not None
    for csr in (tomcat_csr, capf_csr):
        result = _verify(tmp_path, ca.root, [ca.intermediate], ca.sign(csr))
        assert result.returncode == 0, result.stderr
        assert "OK" in result.stdout


@needs_openssl
def test_openssl_cannot_build_a_path_from_the_no_intermediate_chain(
    tmp_path: Path, ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """OpenSSL cannot verify a leaf from only the chain no-intermediate hands out."""
    signed = ca.sign(tomcat_csr, "no-intermediate")
    result = _verify(tmp_path, ca.root, signed.chain, signed)
    assert result.returncode != 0
    assert "unable to get local issuer certificate" in result.stdout + result.stderr


@needs_openssl
def test_openssl_sees_the_expired_leaf_as_expired(
    tmp_path: Path, ca: LabCA, tomcat_csr: x509.CertificateSigningRequest
) -> None:
    """OpenSSL, judging at the lab's time, reports an expired leaf as expired."""
    assert ca.intermediate is not None
    signed = ca.sign(tomcat_csr, "expired")
    result = _verify(tmp_path, ca.root, [ca.intermediate], signed)
    assert result.returncode != 0
    assert "certificate has expired" in result.stdout + result.stderr


@needs_openssl
def test_openssl_accepts_the_test_csrs(
    tmp_path: Path,
    tomcat_csr: x509.CertificateSigningRequest,
    capf_csr: x509.CertificateSigningRequest,
) -> None:
    """The CSRs these tests sign are well formed and self-consistent for OpenSSL."""
    for name, csr in (("tomcat", tomcat_csr), ("capf", capf_csr)):
        path = tmp_path / f"{name}.csr"
        path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        result = _openssl("req", "-verify", "-noout", "-in", str(path))
        assert result.returncode == 0, result.stderr
