"""The ITL/CTL ``.tlv`` encoding: layout, signature and refusal of bad input."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import emulator.trustfiles
from emulator.trustfiles import (
    Role,
    TrustFile,
    TrustFileError,
    TrustRecord,
    build_trust_file,
    parse_trust_file,
    signable_bytes,
)

TIMESTAMP = 1_772_442_000  # 2026-03-02 09:00 UTC, the lab clock's default start
OPENSSL_VERIFY = ["openssl", "dgst", "-sha512", "-verify"]
CertAndKey = tuple[x509.Certificate, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey]


def _name(common_name: str) -> x509.Name:
    # C first in DER, as CUCM's own certificates are; CUCM prints it CN first.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "State"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Town"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Collab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _self_signed(common_name: str, key_type: str = "RSA") -> CertAndKey:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if key_type == "EC":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1825))
        .sign(key, hashes.SHA256())
    )
    return cert, key


@dataclasses.dataclass(frozen=True)
class Cluster:
    signer: x509.Certificate
    signer_key: rsa.RSAPrivateKey
    stranger: x509.Certificate
    records: tuple[TrustRecord, ...]

    def itl(
        self,
        hash_algorithm: Literal["SHA1", "SHA512"] = "SHA512",
        filename: str = "ITLFile.tlv",
    ) -> bytes:
        return build_trust_file(
            filename,
            self.records,
            self.signer,
            self.signer_key,
            TIMESTAMP,
            hash_algorithm=hash_algorithm,
        )


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    signer, signer_key = _self_signed("ITLRECOVERY_cucm-pub.example.com")
    callmanager, _ = _self_signed("cucm-pub.example.com")
    callmanager_ec, _ = _self_signed("cucm-pub-EC.example.com", "EC")
    tvs_pub, _ = _self_signed("cucm-pub.example.com")
    tvs_sub, _ = _self_signed("cucm-sub1.example.com")
    capf, _ = _self_signed("CAPF-1a2b3c4d")
    stranger, _ = _self_signed("ITLRECOVERY_cucm-pub.example.com")
    assert isinstance(signer_key, rsa.RSAPrivateKey)
    records = (
        TrustRecord(Role.SAST, signer),
        TrustRecord(Role.TFTP, callmanager, "cucm-pub.example.com", "10.0.0.10"),
        TrustRecord(Role.TFTP, callmanager_ec, "cucm-pub.example.com"),
        TrustRecord(Role.TVS, tvs_pub, "cucm-pub.example.com"),
        TrustRecord(Role.TVS, tvs_sub, "cucm-sub1.example.com"),
        TrustRecord(Role.CAPF, capf, "cucm-pub.example.com"),
    )
    return Cluster(signer, signer_key, stranger, records)


@pytest.fixture(scope="module")
def itl(cluster: Cluster) -> bytes:
    return cluster.itl()


def test_public_surface_is_pinned() -> None:
    """The package exports exactly the names other modules may rely on."""
    assert sorted(emulator.trustfiles.__all__) == [
        "Field",
        "ParsedHeader",
        "ParsedRecord",
        "Role",
        "TrustFile",
        "TrustFileError",
        "TrustRecord",
        "build_trust_file",
        "name_string",
        "parse_trust_file",
        "render_ctl",
        "render_itl",
        "signable_bytes",
    ]


def test_roles_carry_cucm_function_codes_and_labels() -> None:
    """CUCM numbers each FUNCTION and prints it by name in show itl."""
    assert [(int(role), role.label) for role in Role] == [
        (0, "System Administrator Security Token"),
        (1, "CCM"),
        (2, "CCM+TFTP"),
        (3, "TFTP"),
        (4, "CAPF"),
        (7, "APP-SERVER"),
        (21, "TVS"),
    ]


def test_round_trip_keeps_certificates_roles_and_names(
    cluster: Cluster, itl: bytes
) -> None:
    """Records read back with the certificate, role and names it was built with."""
    trust = parse_trust_file(itl)

    assert len(trust.records) == len(cluster.records)
    for built, parsed in zip(cluster.records, trust.records, strict=True):
        assert parsed.certificate == built.certificate
        assert parsed.certificate_der == built.certificate.public_bytes(
            serialization.Encoding.DER
        )
        assert parsed.role is built.role
        assert parsed.dns_name == built.dns_name
        assert parsed.ip_address == built.ip_address
        assert parsed.signature == built.certificate.signature
        serial = int.from_bytes(parsed.serial_number, "big")
        assert serial == built.certificate.serial_number
    assert trust.records[1].subject_name == (
        "CN=cucm-pub.example.com;OU=Collab;O=Example;L=Town;ST=State;C=US"
    )


def test_header_names_the_signer_and_the_file(cluster: Cluster, itl: bytes) -> None:
    """The header names version 1.2, the signer (name, issuer, serial) and the file."""
    header = parse_trust_file(itl).header

    assert header.version == (1, 2)
    assert header.signer_name.startswith("CN=ITLRECOVERY_cucm-pub.example.com;")
    assert header.issuer_name == header.signer_name  # self-signed
    assert int.from_bytes(header.serial_number, "big") == cluster.signer.serial_number
    assert header.filename == "ITLFile.tlv"
    assert header.timestamp == TIMESTAMP
    assert (header.hash_algorithm, header.signature_modulus) == (3, 2)
    assert len(header.signature) == 256


def test_records_start_where_the_header_says_it_ends(itl: bytes) -> None:
    """Records follow the header back to back, each RECORDLENGTH bytes long."""
    trust = parse_trust_file(itl)

    position = trust.header.header_length
    for record in trust.records:
        assert record.offset == position
        assert itl[position] == 1  # RECORD_LENGTH opens every record
        position += record.length
    assert position == len(itl)


def test_signer_record_is_the_sast_record_with_the_header_serial(
    cluster: Cluster, itl: bytes
) -> None:
    """Phones check the file against the SAST record whose serial matches the header."""
    record = parse_trust_file(itl).signer_record()

    assert record is not None
    assert record.role is Role.SAST
    assert record.certificate == cluster.signer


def test_signature_verifies_with_signer_and_fails_with_another_cert(
    cluster: Cluster, itl: bytes
) -> None:
    """Only the certificate whose key signed the file verifies it."""
    trust = parse_trust_file(itl)

    assert trust.verify()
    assert trust.verify(cluster.signer)
    assert not trust.verify(cluster.stranger)
    ec_cert = cluster.records[2].certificate
    assert not trust.verify(ec_cert)  # a non-RSA signer is refused, not raised


def test_file_without_a_matching_sast_record_does_not_verify(cluster: Cluster) -> None:
    """Without a SAST record for the signer a phone has nothing to check against."""
    data = build_trust_file(
        "ITLFile.tlv", cluster.records[1:], cluster.signer, cluster.signer_key, 0
    )
    trust = parse_trust_file(data)

    assert trust.signer_record() is None
    assert not trust.verify()
    assert trust.verify(cluster.signer)


def test_any_flipped_record_byte_breaks_verification(itl: bytes) -> None:
    """The signature covers every record byte: one changed byte is refused or fails."""
    header_length = parse_trust_file(itl).header.header_length
    parsed = 0

    for position in range(header_length, len(itl)):
        damaged = bytearray(itl)
        damaged[position] ^= 0x01
        try:
            trust = parse_trust_file(bytes(damaged))
        except TrustFileError:
            continue
        parsed += 1
        assert not trust.verify(), f"byte {position} was not covered"
    assert parsed > (len(itl) - header_length) * 0.9  # most flips still parse


def test_any_flipped_header_byte_outside_the_signature_breaks_verification(
    itl: bytes,
) -> None:
    """The signature also covers the header around the SIGNATURE TLV."""
    trust = parse_trust_file(itl)
    signature = next(f for f in trust.header.fields if f.tag == 12)
    covered = [
        position
        for position in range(trust.header.header_length)
        if not signature.bytepos <= position < signature.bytepos + 3 + 256
    ]

    for position in covered:
        damaged = bytearray(itl)
        damaged[position] ^= 0x01
        with contextlib.suppress(TrustFileError):
            assert not parse_trust_file(bytes(damaged)).verify()


def test_truncated_file_raises_trust_file_error(itl: bytes) -> None:
    """A file cut short anywhere but between records is malformed."""
    trust = parse_trust_file(itl)
    boundaries = {record.offset for record in trust.records}

    for size in range(len(itl)):
        if size in boundaries:
            assert not parse_trust_file(itl[:size]).verify()  # a record missing
            continue
        with pytest.raises(TrustFileError):
            parse_trust_file(itl[:size])


def test_random_junk_raises_trust_file_error() -> None:
    """Bytes that are not a trust file are refused with TrustFileError."""
    rng = random.Random(2015)

    for size in [0, 1, 2, 9, 10, 64, 300, 5000]:
        for _ in range(50):
            with pytest.raises(TrustFileError):
                parse_trust_file(rng.randbytes(size))


def test_mangled_files_raise_only_trust_file_error(itl: bytes) -> None:
    """However a file is damaged, the parser fails with TrustFileError alone."""
    rng = random.Random(2026)

    for _ in range(2000):
        damaged = bytearray(itl)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        with contextlib.suppress(TrustFileError):
            parse_trust_file(bytes(damaged)).verify()


@pytest.mark.parametrize("name_length", range(1, 9))
def test_header_length_is_a_multiple_of_four(
    cluster: Cluster, name_length: int
) -> None:
    """PADDING rounds the header up to a 4-byte boundary with at most three 0x0D."""
    data = cluster.itl(filename="F" * name_length)
    header_length = parse_trust_file(data).header.header_length

    assert header_length % 4 == 0
    timestamp_end = data.index(b"\x0f\x00\x04") + 7
    assert set(data[timestamp_end:header_length]) <= {0x0D}
    assert header_length - timestamp_end < 4


@pytest.mark.parametrize(("algorithm", "code"), [("SHA1", 1), ("SHA512", 3)])
def test_sha1_and_sha512_files_both_verify(
    cluster: Cluster, algorithm: Literal["SHA1", "SHA512"], code: int
) -> None:
    """CUCM signs with SHA-1 or SHA-512 and records which in DIGESTALGORTITHM."""
    trust = parse_trust_file(cluster.itl(hash_algorithm=algorithm))

    assert trust.header.hash_algorithm == code
    assert trust.verify()
    assert not trust.verify(cluster.stranger)


def test_signature_tlv_length_is_fixed_by_the_key_size(itl: bytes) -> None:
    """HEADER_LENGTH never changes on signing: the SIGNATURE TLV size is known."""
    header = parse_trust_file(itl).header
    signable = signable_bytes(itl)

    assert len(signable) == len(itl) - (3 + 256)
    assert int.from_bytes(signable[8:10], "big") == header.header_length
    assert header.signature not in signable


def test_ec_public_key_record_round_trips(cluster: Cluster, itl: bytes) -> None:
    """An ECDSA certificate's key is stored as an uncompressed X9.62 point."""
    record = parse_trust_file(itl).records[2]
    expected = cluster.records[2].certificate.public_key()
    assert isinstance(expected, ec.EllipticCurvePublicKey)

    assert record.public_key[0] == 0x04 and len(record.public_key) == 65
    key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), record.public_key
    )
    assert key == expected


def test_rsa_public_key_record_is_pkcs1(cluster: Cluster, itl: bytes) -> None:
    """An RSA certificate's key is stored as a PKCS#1 RSAPublicKey."""
    record = parse_trust_file(itl).records[1]

    assert record.public_key == cluster.records[
        1
    ].certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )


def test_trust_file_is_immutable(itl: bytes) -> None:
    """One parsed file is shared by every phone, so nothing in it can change."""
    trust = parse_trust_file(itl)

    with pytest.raises(dataclasses.FrozenInstanceError):
        trust.raw = b""  # type: ignore[misc]
    assert isinstance(trust.records, tuple)
    assert isinstance(trust.header.fields, tuple)
    assert isinstance(trust, TrustFile)


def test_build_refuses_a_key_that_is_not_the_signers(cluster: Cluster) -> None:
    """A file signed with another key could never verify against its signer record."""
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)

    with pytest.raises(ValueError, match="does not belong"):
        build_trust_file("ITLFile.tlv", [], cluster.signer, other_key, TIMESTAMP)


def test_build_refuses_a_timestamp_beyond_four_bytes(cluster: Cluster) -> None:
    """TIMESTAMP is a 4-byte Unix time."""
    with pytest.raises(ValueError, match="four bytes"):
        build_trust_file("ITLFile.tlv", [], cluster.signer, cluster.signer_key, 2**32)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_openssl_verifies_the_signature_independently(
    cluster: Cluster, itl: bytes, tmp_path: Path
) -> None:
    """The signature is plain PKCS#1 v1.5 over the file without its SIGNATURE TLV."""
    (tmp_path / "data.bin").write_bytes(signable_bytes(itl))
    (tmp_path / "sig.bin").write_bytes(parse_trust_file(itl).header.signature)
    (tmp_path / "pub.pem").write_bytes(
        cluster.signer.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )

    result = subprocess.run(
        [*OPENSSL_VERIFY, "pub.pem", "-signature", "sig.bin", "data.bin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout
