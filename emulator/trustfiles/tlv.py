"""The ITL and CTL files a TFTP node serves, in Cisco's ``.tlv`` encoding.

Both files are one signed header followed by one record per certificate
(reference: cucm-interfaces 6.3; contents and roles in
cucm-certificates-and-trust 3.1 and 3.7). Every item is a TLV: a one-byte
tag, a two-byte big-endian length and the value, except PADDING, which is a
lone tag byte. Tag numbers depend on where they appear: tag 1 is VERSION in
the header and RECORD_LENGTH in a record.

The signature covers the whole file with its SIGNATURE TLV cut out. The
length of that TLV follows from the signer's key size, so the header is laid
out once with a zero-filled signature and HEADER_LENGTH never changes when
the real signature is written in.

Errors::

    ValueError
     └── TrustFileError   the bytes are not a well-formed ITL or CTL file

:func:`build_trust_file` raises a plain :class:`ValueError` for arguments it
cannot encode (a signer key CUCM cannot express, a field over 64 KB).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning


class TrustFileError(ValueError):
    """The bytes are not a well-formed ITL or CTL file."""


class Role(IntEnum):
    """What a record's certificate is trusted for (its FUNCTION)."""

    SAST = 0
    CCM = 1
    CCM_TFTP = 2
    TFTP = 3
    CAPF = 4
    APP_SERVER = 7
    TVS = 21

    @property
    def label(self) -> str:
        """The FUNCTION text ``show itl`` and ``show ctl`` print."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.SAST: "System Administrator Security Token",
    Role.CCM: "CCM",
    Role.CCM_TFTP: "CCM+TFTP",
    Role.TFTP: "TFTP",
    Role.CAPF: "CAPF",
    Role.APP_SERVER: "APP-SERVER",
    Role.TVS: "TVS",
}

# Header tags.
VERSION, HEADER_LENGTH, SIGNER_INFO, SIGNER_NAME, SERIAL_NUMBER = 1, 2, 3, 4, 5
ISSUER_NAME, SIGNATURE_INFO, HASH_ALGORITHM, SIGNATURE_ALGO_INFO = 6, 7, 8, 9
SIGNATURE_ALGORITHM, SIGNATURE_MODULUS, SIGNATURE, PADDING = 10, 11, 12, 13
FILENAME, TIMESTAMP, SIGNER_VERSION = 14, 15, 28
_CONTAINERS = frozenset({SIGNER_INFO, SIGNATURE_INFO, SIGNATURE_ALGO_INFO})

# Record tags.
R_LENGTH, R_DNS_NAME, R_SUBJECT, R_FUNCTION, R_ISSUER, R_SERIAL = 1, 2, 3, 4, 5, 6
R_PUBLIC_KEY, R_SIGNATURE, R_CERTIFICATE, R_IP_ADDRESS = 7, 8, 9, 10

_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    1: hashes.SHA1,
    2: hashes.SHA256,
    3: hashes.SHA512,
}
_HASH_CODES = {"SHA1": 1, "SHA512": 3}
_MODULUS_CODES = {64: 0, 128: 1, 256: 2, 512: 3}  # signature bytes -> code
# Header tags every file must carry, with their fixed sizes where they have one.
_REQUIRED_HEADER_TAGS = {
    VERSION: 2,
    HEADER_LENGTH: 2,
    SIGNER_NAME: None,
    SERIAL_NUMBER: None,
    HASH_ALGORITHM: 1,
    SIGNATURE_ALGORITHM: 1,
    SIGNATURE_MODULUS: 1,
    SIGNATURE: None,
    TIMESTAMP: 4,
}
# No source gives the SIGNATURE_ALGORITHM value CUCM writes; 1 stands for RSA.
_RSA_ALGORITHM = 1


class Field(NamedTuple):
    """One TLV as ``show itl`` lists it: where, which tag, how long, what."""

    bytepos: int
    tag: int
    length: int
    value: str


@dataclass(frozen=True)
class TrustRecord:
    """A certificate to place in a trust file, and what it is trusted for."""

    role: Role
    certificate: x509.Certificate
    dns_name: str = ""
    ip_address: str = ""


@dataclass(frozen=True)
class ParsedRecord:
    """One record as read back from a file; ``offset`` is its first byte."""

    role: Role
    dns_name: str
    subject_name: str
    issuer_name: str
    serial_number: bytes
    public_key: bytes
    signature: bytes
    certificate: x509.Certificate | None
    certificate_der: bytes
    ip_address: str
    offset: int
    length: int


@dataclass(frozen=True)
class ParsedHeader:
    """The signed header, with every TLV kept in ``fields`` for display."""

    version: tuple[int, int]
    header_length: int
    signer_name: str
    issuer_name: str
    serial_number: bytes
    hash_algorithm: int
    signature_algorithm: int
    signature_modulus: int
    signature: bytes
    filename: str
    timestamp: int
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class TrustFile:
    """A parsed ITL or CTL file; immutable, so one copy serves every phone."""

    header: ParsedHeader
    records: tuple[ParsedRecord, ...]
    raw: bytes

    def signer_record(self) -> ParsedRecord | None:
        """The SAST record whose serial number is the header's signer serial."""
        wanted = int.from_bytes(self.header.serial_number, "big")
        for record in self.records:
            serial = int.from_bytes(record.serial_number, "big")
            if record.role is Role.SAST and serial == wanted:
                return record
        return None

    def verify(self, signer: x509.Certificate | None = None) -> bool:
        """Whether ``signer`` (by default the signer record) signed this file.

        A phone treats a file it cannot verify as untrusted, so every failure
        (no signer record, a non-RSA key, a bad signature) is ``False``.
        """
        if signer is None:
            record = self.signer_record()
            signer = record.certificate if record is not None else None
        algorithm = _HASHES.get(self.header.hash_algorithm)
        if signer is None or algorithm is None:
            return False
        try:
            key = signer.public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(
                self.header.signature,
                _without_signature(self.raw, self.header.fields),
                padding.PKCS1v15(),
                algorithm(),
            )
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            return False
        return True


def name_string(name: x509.Name) -> str:
    """A distinguished name the way CUCM prints it: ``CN=...;OU=...;C=US``.

    CUCM shows the most specific attribute first, which is RFC 4514 order
    (the DER sequence reversed) for the usual C-first certificate; ';' is
    its separator and RFC 4514 escaping keeps a ';' inside a value distinct.
    """
    return ";".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


def iter_tlvs(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, bytes]]:
    """Each ``(offset, tag, value)`` between ``start`` and ``end``, in order.

    PADDING bytes are skipped; a TLV that runs past ``end`` is an error.
    """
    pos = start
    while pos < end:
        tag = data[pos]
        if tag == PADDING:
            pos += 1
            continue
        if pos + 3 > end:
            raise TrustFileError(f"truncated TLV header at byte {pos}")
        (length,) = struct.unpack_from(">H", data, pos + 1)
        if pos + 3 + length > end:
            raise TrustFileError(
                f"tag {tag} at byte {pos} claims {length} bytes; "
                f"only {end - pos - 3} remain"
            )
        yield pos, tag, data[pos + 3 : pos + 3 + length]
        pos += 3 + length


def parse_trust_file(data: bytes) -> TrustFile:
    """Read an ITL or CTL file; :class:`TrustFileError` says what is wrong."""
    data = bytes(data)
    header = _parse_header(data)
    records: list[ParsedRecord] = []
    pos = header.header_length
    while pos < len(data):
        record = _parse_record(data, pos, len(records) + 1)
        records.append(record)
        pos += record.length
    return TrustFile(header, tuple(records), data)


def parse_header(data: bytes) -> ParsedHeader:
    """Only the header of a signed file (an ITL, CTL or ``.sgn``)."""
    return _parse_header(bytes(data))


def signable_bytes(data: bytes) -> bytes:
    """The bytes a trust file's signature covers: all but the SIGNATURE TLV."""
    data = bytes(data)
    return _without_signature(data, _parse_header(data).fields)


def _parse_header(data: bytes) -> ParsedHeader:
    if len(data) < 10 or data[:3] != b"\x01\x00\x02" or data[5:8] != b"\x02\x00\x02":
        raise TrustFileError("not a trust file: it must open with VERSION")
    (header_length,) = struct.unpack_from(">H", data, 8)
    if not 10 <= header_length <= len(data):
        raise TrustFileError(
            f"HEADERLENGTH is {header_length} bytes; the file has {len(data)}"
        )

    fields: list[Field] = []
    values: dict[int, bytes] = {}
    for pos, tag, value in _header_tlvs(data, 0, header_length):
        if tag in values:
            raise TrustFileError(f"header tag {tag} appears twice")
        values[tag] = value
        fields.append(Field(pos, tag, len(value), _shown(tag, value)))

    for tag, size in _REQUIRED_HEADER_TAGS.items():
        if tag not in values or size not in (None, len(values[tag])):
            raise TrustFileError(f"header tag {tag} is missing or not {size} bytes")
    modulus = values[SIGNATURE_MODULUS][0]
    if len(values[SIGNATURE]) != 64 << modulus:
        raise TrustFileError(
            f"SIGNATURE holds {len(values[SIGNATURE])} bytes; "
            f"SIGNATUREMODULUS {modulus} says {64 << modulus}"
        )
    return ParsedHeader(
        version=(values[VERSION][0], values[VERSION][1]),
        header_length=header_length,
        signer_name=_string(values[SIGNER_NAME]),
        issuer_name=_string(values.get(ISSUER_NAME, b"")),
        serial_number=values[SERIAL_NUMBER],
        hash_algorithm=values[HASH_ALGORITHM][0],
        signature_algorithm=values[SIGNATURE_ALGORITHM][0],
        signature_modulus=modulus,
        signature=values[SIGNATURE],
        filename=_string(values.get(FILENAME, b"")),
        timestamp=int.from_bytes(values[TIMESTAMP], "big"),
        fields=tuple(fields),
    )


def _header_tlvs(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, bytes]]:
    for pos, tag, value in iter_tlvs(data, start, end):
        yield pos, tag, value
        if tag in _CONTAINERS:
            yield from _header_tlvs(data, pos + 3, pos + 3 + len(value))


def _parse_record(data: bytes, offset: int, number: int) -> ParsedRecord:
    if data[offset : offset + 3] != b"\x01\x00\x02" or offset + 5 > len(data):
        raise TrustFileError(f"record {number} at byte {offset} lacks RECORDLENGTH")
    (length,) = struct.unpack_from(">H", data, offset + 3)
    if length < 5 or offset + length > len(data):
        raise TrustFileError(f"record {number} claims an impossible {length} bytes")

    values: dict[int, bytes] = {}
    for _, tag, value in iter_tlvs(data, offset, offset + length):
        if tag in values:
            raise TrustFileError(f"record {number} repeats tag {tag}")
        values[tag] = value
    try:
        role = Role(int.from_bytes(values[R_FUNCTION], "big"))
    except (KeyError, ValueError):
        raise TrustFileError(f"record {number} has no known FUNCTION") from None

    der = values.get(R_CERTIFICATE, b"")
    certificate = _load_certificate(der) if der else None
    return ParsedRecord(
        role=role,
        dns_name=_string(values.get(R_DNS_NAME, b"")),
        subject_name=_string(values.get(R_SUBJECT, b"")),
        issuer_name=_string(values.get(R_ISSUER, b"")),
        serial_number=values.get(R_SERIAL, b""),
        public_key=values.get(R_PUBLIC_KEY, b""),
        signature=values.get(R_SIGNATURE, b""),
        certificate=certificate,
        certificate_der=der,
        ip_address=_string(values.get(R_IP_ADDRESS, b"")),
        offset=offset,
        length=length,
    )


def _load_certificate(der: bytes) -> x509.Certificate | None:
    # A certificate cryptography only warns about today (a negative serial)
    # it will refuse tomorrow, so it is refused here already. Either way the
    # DER stays in the record, which can then never verify a signature.
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryptographyDeprecationWarning)
        try:
            return x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion, CryptographyDeprecationWarning):
            return None


def _without_signature(data: bytes, fields: Sequence[Field]) -> bytes:
    for field in fields:
        if field.tag == SIGNATURE:
            return data[: field.bytepos] + data[field.bytepos + 3 + field.length :]
    raise TrustFileError("the header has no SIGNATURE")


def _string(value: bytes) -> str:
    return value.split(b"\0", 1)[0].decode(errors="replace")


def _shown(tag: int, value: bytes) -> str:
    if tag in _CONTAINERS:
        return ""
    if tag in (SIGNER_NAME, ISSUER_NAME, FILENAME):
        return _string(value)
    if tag == SERIAL_NUMBER:
        return value.hex(":").upper()
    if tag in (VERSION, SIGNER_VERSION) and len(value) == 2:
        return f"{value[0]}.{value[1]}"
    if tag == SIGNATURE:
        return value.hex()
    return str(int.from_bytes(value, "big")) if len(value) <= 4 else value.hex()
