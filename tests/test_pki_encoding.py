"""Certificate files as CUCM's upload dialog receives them."""

from __future__ import annotations

import contextlib
import ipaddress
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from emulator.pki.encoding import (
    MAX_FILE_BYTES,
    CertificateFileError,
    FileProblem,
    common_name,
    is_ca,
    is_self_signed,
    parse_certificates,
    parse_csr,
    san_names,
    serial_hex,
    to_der,
    to_pem,
    to_pkcs7_der,
    to_pkcs7_pem,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Collab"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    serial: int = 0x1001,
    ca: bool | None = None,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=365))
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=None), critical=True
        )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def root_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def leaf_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def root(root_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = _name("Collab-CA")
    return _certificate(name, name, root_key.public_key(), root_key, ca=True)


@pytest.fixture(scope="module")
def leaf(
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    leaf_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    sans: list[x509.GeneralName] = [
        x509.DNSName("pub.domain.com"),
        x509.IPAddress(ipaddress.IPv4Address("10.1.2.3")),
        x509.DNSName("sub.domain.com"),
    ]
    return _certificate(
        _name("pub.domain.com"),
        root.subject,
        leaf_key.public_key(),
        root_key,
        serial=0x2002,
        sans=sans,
    )


@pytest.fixture(scope="module")
def csr(leaf_key: ec.EllipticCurvePrivateKey) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name("pub.domain.com"))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("pub.domain.com"), x509.DNSName("imp.domain.com")]
            ),
            critical=False,
        )
        .sign(leaf_key, hashes.SHA256())
    )


def _problem(data: bytes | str) -> FileProblem:
    with pytest.raises(CertificateFileError) as caught:
        parse_certificates(data)
    return caught.value.problem


def _csr_problem(data: bytes | str) -> FileProblem:
    with pytest.raises(CertificateFileError) as caught:
        parse_csr(data)
    return caught.value.problem


def _private_pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    fmt: serialization.PrivateFormat,
    password: bytes | None = None,
) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


# Files CUCM accepts


def test_pem_bundle_round_trips_in_file_order(
    leaf: x509.Certificate, root: x509.Certificate
) -> None:
    """CUCM reads every certificate of a PEM bundle in the order the file has them."""
    assert parse_certificates(to_pem([leaf, root])) == [leaf, root]
    assert parse_certificates(to_pem([root, leaf])) == [root, leaf]


def test_pem_with_crlf_commentary_and_padding_is_read(
    leaf: x509.Certificate, root: x509.Certificate
) -> None:
    """CUCM reads a Windows CA's bundle with CRLF lines, commentary and padding."""
    pem = to_pem([leaf, root]).decode().replace("\n", "\r\n")
    text = (
        "\r\n   \r\nSubject: CN=pub.domain.com\r\nIssuer: CN=Collab-CA\r\n"
        + pem
        + "\r\nBag Attributes: none\r\n\t  \r\n"
    )
    assert parse_certificates(text) == [leaf, root]
    assert parse_certificates(text.encode()) == [leaf, root]


def test_der_certificate_round_trips(leaf: x509.Certificate) -> None:
    """CUCM reads a binary DER certificate as one certificate."""
    der = to_der(leaf)
    assert der[:1] == b"\x30"
    assert parse_certificates(der) == [leaf]


@pytest.mark.parametrize("encode", [to_pkcs7_pem, to_pkcs7_der], ids=["pem", "der"])
def test_pkcs7_chain_round_trips(
    encode: Callable[[Iterable[x509.Certificate]], bytes],
    leaf: x509.Certificate,
    root: x509.Certificate,
) -> None:
    """CUCM reads every certificate of a PKCS#7 chain, in PEM or DER."""
    data = encode([leaf, root])
    parsed = parse_certificates(data)
    # PKCS#7 holds a SET, so only membership survives the round trip.
    assert sorted(map(to_der, parsed)) == sorted(map(to_der, [leaf, root]))


def test_pkcs7_pem_is_labelled_pkcs7(leaf: x509.Certificate) -> None:
    """The lab writes a PEM PKCS#7 chain under the PKCS7 label, as CAs do."""
    assert to_pkcs7_pem([leaf]).startswith(b"-----BEGIN PKCS7-----")


def test_file_at_the_size_limit_is_read(leaf: x509.Certificate) -> None:
    """CUCM reads a file of exactly the largest accepted size."""
    pem = to_pem([leaf])
    padded = pem + b"\n" * (MAX_FILE_BYTES - len(pem))
    assert len(padded) == MAX_FILE_BYTES
    assert parse_certificates(padded) == [leaf]


# Files CUCM refuses


@pytest.mark.parametrize("data", [b"", "", b"   \r\n\t \n", "  \n\u3000 "])
def test_empty_file_is_refused(data: bytes | str) -> None:
    """CUCM refuses an empty or whitespace-only file as empty."""
    assert _problem(data) is FileProblem.EMPTY


def test_two_megabytes_of_noise_are_refused_as_too_large() -> None:
    """CUCM refuses a 2 MB file for its size."""
    noise = random.Random(1).randbytes(2 * 1024 * 1024)
    with pytest.raises(CertificateFileError) as caught:
        parse_certificates(noise)
    assert caught.value.problem is FileProblem.TOO_LARGE
    assert str(MAX_FILE_BYTES) in caught.value.detail


def test_size_is_checked_before_the_contents(leaf: x509.Certificate) -> None:
    """CUCM refuses an oversized file even when it holds a valid certificate."""
    pem = to_pem([leaf])
    padded = pem + b"\n" * (MAX_FILE_BYTES - len(pem) + 1)
    assert _problem(padded) is FileProblem.TOO_LARGE
    assert _csr_problem(padded) is FileProblem.TOO_LARGE


def test_csr_is_refused_where_a_certificate_belongs(
    csr: x509.CertificateSigningRequest,
) -> None:
    """CUCM refuses a CSR uploaded as a certificate, in PEM or DER."""
    pem = csr.public_bytes(serialization.Encoding.PEM)
    der = csr.public_bytes(serialization.Encoding.DER)
    assert pem.startswith(b"-----BEGIN CERTIFICATE REQUEST-----")
    assert _problem(pem) is FileProblem.CSR_NOT_CERTIFICATE
    assert _problem(der) is FileProblem.CSR_NOT_CERTIFICATE


@pytest.mark.parametrize(
    ("fmt", "password"),
    [
        (serialization.PrivateFormat.TraditionalOpenSSL, None),
        (serialization.PrivateFormat.PKCS8, None),
        (serialization.PrivateFormat.PKCS8, b"lab-secret"),
        (serialization.PrivateFormat.TraditionalOpenSSL, b"lab-secret"),
    ],
    ids=["rsa-traditional", "pkcs8", "pkcs8-encrypted", "traditional-encrypted"],
)
def test_rsa_private_key_pem_is_refused(
    fmt: serialization.PrivateFormat, password: bytes | None, rsa_key: rsa.RSAPrivateKey
) -> None:
    """CUCM refuses a PEM private key in any OpenSSL format, encrypted or not."""
    pem = _private_pem(rsa_key, fmt, password)
    with pytest.raises(CertificateFileError) as caught:
        parse_certificates(pem)
    assert caught.value.problem is FileProblem.PRIVATE_KEY
    body_line = pem.splitlines()[-2].decode()
    assert body_line not in str(caught.value)


def test_traditional_rsa_key_has_the_openssl_label(rsa_key: rsa.RSAPrivateKey) -> None:
    """The refused traditional key really is the BEGIN RSA PRIVATE KEY format."""
    pem = _private_pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_ec_private_key_pem_is_refused(leaf_key: ec.EllipticCurvePrivateKey) -> None:
    """CUCM refuses an EC private key in the OpenSSL EC format."""
    pem = _private_pem(leaf_key, serialization.PrivateFormat.TraditionalOpenSSL)
    assert pem.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert _problem(pem) is FileProblem.PRIVATE_KEY


def test_certificate_with_its_key_is_refused_whole(
    leaf: x509.Certificate, leaf_key: ec.EllipticCurvePrivateKey
) -> None:
    """CUCM refuses a bundle that carries a private key next to the certificate."""
    key = _private_pem(leaf_key, serialization.PrivateFormat.PKCS8)
    assert _problem(to_pem([leaf]) + key) is FileProblem.PRIVATE_KEY
    assert _problem(key + to_pem([leaf])) is FileProblem.PRIVATE_KEY


@pytest.mark.parametrize("password", [None, b"lab-secret"], ids=["plain", "encrypted"])
def test_der_private_key_is_refused(
    password: bytes | None, rsa_key: rsa.RSAPrivateKey
) -> None:
    """CUCM refuses a binary DER private key, encrypted or not."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    der = rsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, encryption
    )
    assert _problem(der) is FileProblem.PRIVATE_KEY


def test_pem_cut_before_its_end_line_is_truncated(leaf: x509.Certificate) -> None:
    """CUCM reports a paste that stops before END CERTIFICATE as truncated."""
    pem = to_pem([leaf])
    assert _problem(pem[: len(pem) // 2]) is FileProblem.TRUNCATED


def test_truncated_block_before_a_good_one_is_truncated(
    leaf: x509.Certificate, root: x509.Certificate
) -> None:
    """CUCM reports a bundle whose first certificate was cut short as truncated."""
    first = to_pem([leaf])
    assert _problem(first[: len(first) // 2] + to_pem([root])) is FileProblem.TRUNCATED


def test_pem_missing_body_lines_is_truncated(leaf: x509.Certificate) -> None:
    """CUCM reports a certificate that lost lines in the middle as truncated."""
    lines = to_pem([leaf]).splitlines(keepends=True)
    damaged = b"".join(lines[:3] + lines[5:])
    assert damaged.rstrip().endswith(b"-----END CERTIFICATE-----")
    assert _problem(damaged) is FileProblem.TRUNCATED


def test_der_cut_short_is_truncated(
    leaf: x509.Certificate, root: x509.Certificate
) -> None:
    """CUCM reports a binary certificate or PKCS#7 file cut short as truncated."""
    der = to_der(leaf)
    assert _problem(der[: len(der) // 2]) is FileProblem.TRUNCATED
    bundle = to_pkcs7_der([leaf, root])
    assert _problem(bundle[: len(bundle) // 2]) is FileProblem.TRUNCATED


def test_binary_junk_is_not_a_certificate() -> None:
    """CUCM refuses 500 bytes of binary junk as not a certificate."""
    junk = random.Random(500).randbytes(500)
    assert _problem(junk) is FileProblem.NOT_A_CERTIFICATE


def test_hostile_text_is_not_a_certificate_and_is_not_echoed() -> None:
    """CUCM refuses hostile text as not a certificate without repeating it back."""
    text = (
        "<script>alert('cert')</script>\n'; DROP TABLE certificates; --\n"
        "\u202eevil\u0000 ünïcödé 证书 {{7*7}} ${jndi:ldap://x}\n"
    )
    with pytest.raises(CertificateFileError) as caught:
        parse_certificates(text)
    assert caught.value.problem is FileProblem.NOT_A_CERTIFICATE
    for fragment in ("<script>", "DROP TABLE", "jndi"):
        assert fragment not in caught.value.detail


def test_public_key_pem_is_not_a_certificate(
    leaf_key: ec.EllipticCurvePrivateKey,
) -> None:
    """CUCM refuses a PEM public key as not a certificate."""
    pem = leaf_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert _problem(pem) is FileProblem.NOT_A_CERTIFICATE


def test_damaged_files_never_escape_as_cryptography_errors(
    leaf: x509.Certificate, root: x509.Certificate
) -> None:
    """However a certificate file is damaged, CUCM answers with an upload error."""
    rng = random.Random(42)
    originals = [to_der(leaf), to_pem([leaf, root]), to_pkcs7_der([leaf, root])]
    for _ in range(300):
        damaged = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        with contextlib.suppress(CertificateFileError):
            parse_certificates(bytes(damaged))


# Certificate signing requests


def test_csr_round_trips_in_pem_and_der(csr: x509.CertificateSigningRequest) -> None:
    """The lab reads a CSR back from its PEM or DER download."""
    pem = csr.public_bytes(serialization.Encoding.PEM)
    der = csr.public_bytes(serialization.Encoding.DER)
    assert parse_csr(pem) == csr
    assert parse_csr(pem.decode().replace("\n", "\r\n")) == csr
    assert parse_csr(der) == csr


def test_certificate_is_not_a_csr(leaf: x509.Certificate) -> None:
    """A certificate given where a CSR belongs is refused as not a CSR."""
    assert _csr_problem(to_pem([leaf])) is FileProblem.NOT_A_CSR
    assert _csr_problem(to_der(leaf)) is FileProblem.NOT_A_CSR


def test_bad_csr_files_are_refused(
    csr: x509.CertificateSigningRequest, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Junk, keys, cut and doubled CSR files are refused, each for its reason."""
    pem = csr.public_bytes(serialization.Encoding.PEM)
    key = _private_pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL)
    assert _csr_problem(b"") is FileProblem.EMPTY
    assert _csr_problem(random.Random(3).randbytes(500)) is FileProblem.NOT_A_CSR
    assert _csr_problem("<script>'; DROP TABLE") is FileProblem.NOT_A_CSR
    assert _csr_problem(key) is FileProblem.PRIVATE_KEY
    assert _csr_problem(pem[: len(pem) // 2]) is FileProblem.TRUNCATED
    assert _csr_problem(pem + pem) is FileProblem.NOT_A_CSR


# Reading fields


def test_common_name_is_the_first_cn_or_empty() -> None:
    """The lab names a certificate by its first CN, and by "" when it has none."""
    two = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "first"),
            x509.NameAttribute(NameOID.COMMON_NAME, "second"),
        ]
    )
    none = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Collab")])
    assert common_name(two) == "first"
    assert common_name(none) == ""


def test_san_names_keep_extension_order(
    leaf: x509.Certificate,
    root: x509.Certificate,
    csr: x509.CertificateSigningRequest,
) -> None:
    """SAN DNS names and IP addresses read as strings in the order the CA wrote them."""
    assert san_names(leaf) == ["pub.domain.com", "10.1.2.3", "sub.domain.com"]
    assert san_names(csr) == ["pub.domain.com", "imp.domain.com"]
    assert san_names(root) == []


def test_is_ca_follows_basic_constraints(
    leaf: x509.Certificate,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
) -> None:
    """Only a certificate with CA:TRUE basic constraints counts as a CA."""
    name = _name("not-a-ca")
    declared = _certificate(name, name, root_key.public_key(), root_key, ca=False)
    assert is_ca(root)
    assert not is_ca(leaf)
    assert not is_ca(declared)


def test_is_self_signed_needs_matching_names_and_own_signature(
    leaf: x509.Certificate,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    leaf_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A certificate is self-signed only when it names itself and its key signed it."""
    name = _name("impostor")
    forged = _certificate(name, name, leaf_key.public_key(), root_key)
    assert is_self_signed(root)
    assert not is_self_signed(leaf)
    assert not is_self_signed(forged)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (0xABC, "0abc"),
        (0x10, "10"),
        (
            0x791A41DE2F3D66A9A4A560204D2FEB5A,
            "791a41de2f3d66a9a4a560204d2feb5a",
        ),
    ],
)
def test_serial_hex_is_even_length_lowercase(
    serial: int, expected: str, root_key: ec.EllipticCurvePrivateKey
) -> None:
    """CUCM writes serials in trust file names as lowercase hex of whole bytes."""
    name = _name("serial")
    cert = _certificate(name, name, root_key.public_key(), root_key, serial=serial)
    assert serial_hex(cert) == expected
