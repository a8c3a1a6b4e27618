"""``show itl`` and ``show ctl``: the admin CLI's dump of a trust file."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator.trustfiles import (
    Role,
    TrustRecord,
    build_trust_file,
    parse_trust_file,
    render_ctl,
    render_itl,
)

# The instant of the reference's verbatim sample: Tue Feb 24 16:37:45 CET 2015.
MODIFIED = datetime(2015, 2, 24, 16, 37, 45, tzinfo=timezone(timedelta(hours=1), "CET"))


def _self_signed(common_name: str) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Collab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1825))
        .sign(key, hashes.SHA256())
    )
    return cert, key


@pytest.fixture(scope="module")
def signer() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    return _self_signed("ITLRECOVERY_cucm-pub.example.com")


@pytest.fixture(scope="module")
def itl(signer: tuple[x509.Certificate, rsa.RSAPrivateKey]) -> bytes:
    signer_cert, signer_key = signer
    callmanager, _ = _self_signed("cucm-pub.example.com")
    tvs, _ = _self_signed("cucm-pub.example.com")
    records = [
        TrustRecord(Role.SAST, signer_cert),
        TrustRecord(Role.TFTP, callmanager, "cucm-pub.example.com"),
        TrustRecord(Role.TVS, tvs, "cucm-pub.example.com"),
    ]
    return build_trust_file(
        "ITLFile.tlv", records, signer_cert, signer_key, 1_424_792_265
    )


@pytest.fixture(scope="module")
def ctl(signer: tuple[x509.Certificate, rsa.RSAPrivateKey]) -> bytes:
    signer_cert, signer_key = signer
    callmanager, _ = _self_signed("cucm-pub.example.com")
    capf, _ = _self_signed("CAPF-1a2b3c4d")
    records = [
        TrustRecord(Role.SAST, signer_cert),
        TrustRecord(Role.SAST, callmanager, "cucm-pub.example.com", "10.0.0.10"),
        TrustRecord(Role.CCM_TFTP, callmanager, "cucm-pub.example.com", "10.0.0.10"),
        TrustRecord(Role.CAPF, capf, "cucm-pub.example.com"),
    ]
    return build_trust_file(
        "CTLFile.tlv", records, signer_cert, signer_key, 1_424_792_265
    )


def _row(text: str, tag: str) -> list[str]:
    """The rows of every table whose TAG column is ``tag``, split in columns."""
    return [
        line.split(maxsplit=3)
        for line in text.splitlines()
        if re.match(rf"\d+ +{tag}\b", line)
    ]


def test_show_ctl_opens_with_checksums_length_and_date(ctl: bytes) -> None:
    """show ctl prints the file's MD5 and SHA1, its length and when it changed."""
    lines = render_ctl(ctl, modified=MODIFIED).splitlines()

    assert lines[:3] == [
        "The checksum value of the CTL file:",
        f"{hashlib.md5(ctl).hexdigest()}(MD5)",
        f"{hashlib.sha1(ctl).hexdigest()}(SHA1)",
    ]
    assert f"Length of CTL file: {len(ctl)}" in lines
    assert "The CTL File was last modified on Tue Feb 24 16:37:45 CET 2015" in lines


def test_show_ctl_parses_the_header(ctl: bytes) -> None:
    """show ctl prints the version, header length and header TLVs in file order."""
    text = render_ctl(ctl, modified=MODIFIED)
    header_length = parse_trust_file(ctl).header.header_length
    lines = text.splitlines()

    assert lines[7:9] == ["Parse CTL File", "----------------"]
    assert "Version: 1.2" in lines
    assert f"HeaderLength: {header_length} (BYTES)" in lines
    tags = [line.split()[1] for line in lines if re.match(r"\d+ +[A-Z]", line)]
    expected = [
        "SIGNERID",
        "SIGNERNAME",
        "SERIALNUMBER",
        "CANAME",
        "SIGNATUREINFO",
        "DIGESTALGORTITHM",
        "SIGNATUREALGOINFO",
        "SIGNATUREALGORTITHM",
        "SIGNATUREMODULUS",
        "SIGNATURE",
        "FILENAME",
        "TIMESTAMP",
    ]
    start = tags.index("SIGNERID")
    assert tags[start : start + len(expected)] == expected
    assert _row(text, "FILENAME")[0][3] == "CTLFile.tlv"


def test_bytepos_column_points_at_each_tag(ctl: bytes) -> None:
    """Each row's BYTEPOS is where its TLV starts in the file."""
    text = render_ctl(ctl, modified=MODIFIED)

    assert ctl[int(_row(text, "SIGNERID")[0][0])] == 3
    assert ctl[int(_row(text, "SIGNATURE")[0][0])] == 12
    assert ctl[int(_row(text, "TIMESTAMP")[0][0])] == 15
    for row in _row(text, "RECORDLENGTH"):
        assert ctl[int(row[0])] == 1


def test_show_ctl_lists_each_record(ctl: bytes) -> None:
    """Each CTL record shows its function by name and its certificate's SHA1."""
    text = render_ctl(ctl, modified=MODIFIED)
    trust = parse_trust_file(ctl)

    for number in range(1, len(trust.records) + 1):
        assert f"CTL Record #:{number}\n----\n" in text
    functions = [row[3] for row in _row(text, "FUNCTION")]
    assert functions == [
        "System Administrator Security Token",
        "System Administrator Security Token",
        "CCM+TFTP",
        "CAPF",
    ]
    for record, row in zip(trust.records, _row(text, "CERTIFICATE"), strict=True):
        digest = hashlib.sha1(record.certificate_der).hexdigest()
        assert row[3] == f"{digest} (SHA1 Hash HEX)"
    assert _row(text, "IPADDRESS")[0][3] == "10.0.0.10"
    assert not re.search(r"\bITL\b", text)


def test_sast_records_say_whether_they_signed_the_file(ctl: bytes) -> None:
    """Under each SAST record show ctl says whether that token signed the file."""
    text = render_ctl(ctl, modified=MODIFIED)

    assert text.count("This etoken was used to sign the CTL file.") == 1
    assert text.count("This etoken was not used to sign the CTL file.") == 1


def test_show_ctl_ends_with_the_verdict(ctl: bytes) -> None:
    """A file whose signature checks out ends with CUCM's success line."""
    text = render_ctl(ctl, modified=MODIFIED)

    assert text.rstrip().endswith("The CTL file was verified successfully.")


def test_show_itl_uses_itl_wording(itl: bytes) -> None:
    """show itl is show ctl with ITL in place of CTL."""
    text = render_itl(itl, modified=MODIFIED)

    for line in [
        "The checksum value of the ITL file:",
        f"Length of ITL file: {len(itl)}",
        "The ITL File was last modified on Tue Feb 24 16:37:45 CET 2015",
        "Parse ITL File",
        "ITL Record #:3",
        "The ITL file was verified successfully.",
    ]:
        assert line in text.splitlines()
    assert [row[3] for row in _row(text, "FUNCTION")][1:] == ["TFTP", "TVS"]
    assert not re.search(r"\bCTL\b", text)


def test_damaged_file_is_reported_as_not_verified(itl: bytes) -> None:
    """A file whose records no longer match the signature fails verification."""
    damaged = bytearray(itl)
    damaged[-50] ^= 0xFF  # inside the last certificate

    text = render_itl(bytes(damaged), modified=MODIFIED)

    assert "The ITL file was verified successfully." not in text
    assert "Error: The ITL file was not verified successfully" in text


@pytest.mark.parametrize("data", [None, b""])
def test_absent_ctl_says_not_found(data: bytes | None) -> None:
    """With no CTL file show ctl prints CUCM's not-found text."""
    assert render_ctl(data, modified=MODIFIED).splitlines() == [
        "Length of CTL file: 0",
        "CTL File not found. Please run CTLClient plugin or run the CLI - "
        "utils ctl.. to generate the CTL file.",
        "Error parsing the CTL File.",
    ]


def test_absent_itl_says_not_found() -> None:
    """With no ITL file show itl reports length 0 and that the file is missing."""
    lines = render_itl(None, modified=MODIFIED).splitlines()

    assert lines[0] == "Length of ITL file: 0"
    assert lines[1].startswith("ITL File not found.")
    assert lines[2] == "Error parsing the ITL File."


def test_garbage_is_reported_as_a_parse_error() -> None:
    """Bytes that are not a trust file get checksums and a parse error, not a crash."""
    junk = b"\x00garbage that is no ITL"

    text = render_itl(junk, modified=MODIFIED)

    assert f"{hashlib.sha1(junk).hexdigest()}(SHA1)" in text
    assert "Error parsing the ITL File." in text.splitlines()


def test_modification_time_must_carry_a_zone(itl: bytes) -> None:
    """The CLI prints the zone name, so a naive time is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        render_itl(itl, modified=datetime(2015, 2, 24, 16, 37, 45))
