"""Certificate files as CUCM's upload dialog and the admin CLI paste receive them.

An administrator uploads whatever the CA handed back: one PEM block, a bundle
of them with the CA's commentary around it, a binary DER file, or a PKCS#7
chain in either encoding (reference §1.4). They also upload the wrong file:
the CSR they meant to send to the CA, the private key that came out of an
OpenSSL one-liner, a half-copied paste. Everything that cannot be read as
certificates raises one error whose ``problem`` says which mistake it was::

    CertificateFileError (problem: FileProblem)
    ├── EMPTY                nothing but whitespace
    ├── TOO_LARGE            over MAX_FILE_BYTES, refused before parsing
    ├── CSR_NOT_CERTIFICATE  a certificate request where a certificate belongs
    ├── NOT_A_CSR            anything else where a certificate request belongs
    ├── PRIVATE_KEY          a private key, alone or next to certificates
    ├── TRUNCATED            a certificate that starts but does not finish
    └── NOT_A_CERTIFICATE    anything else

A private key is refused even when certificates come with it: the lab must
never store a key that an administrator pasted by mistake.

The ``detail`` texts are the lab's own; CUCM's exact upload messages live in
the error catalogue, which maps each problem onto them.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

#: The largest file the upload dialog takes; anything bigger is refused unread.
MAX_FILE_BYTES = 1_048_576

_CERTIFICATE_LABELS = frozenset({b"CERTIFICATE", b"X509 CERTIFICATE"})
_PKCS7_LABELS = frozenset({b"PKCS7"})
_CSR_LABELS = frozenset({b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"})

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")

# The DER encoding of the PKCS#7 signedData content type, which opens every
# PKCS#7 certificate bundle right after its outer SEQUENCE header.
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")

_T = TypeVar("_T")

_BOM = "\ufeff"

# Errors cryptography raises for input it cannot read.
_UNREADABLE = (ValueError, TypeError, UnsupportedAlgorithm)


class FileProblem(enum.Enum):
    """Why a file could not be read as what it was uploaded as."""

    EMPTY = "empty"
    TOO_LARGE = "too-large"
    CSR_NOT_CERTIFICATE = "csr-not-certificate"
    NOT_A_CSR = "not-a-csr"
    PRIVATE_KEY = "private-key"
    TRUNCATED = "truncated"
    NOT_A_CERTIFICATE = "not-a-certificate"


_DETAILS = {
    FileProblem.EMPTY: "The file is empty.",
    FileProblem.CSR_NOT_CERTIFICATE: (
        "The file holds a certificate signing request, not a certificate; "
        "upload the certificate the CA issued for it."
    ),
    FileProblem.NOT_A_CSR: (
        "The file is not a certificate signing request in PEM or DER format."
    ),
    FileProblem.PRIVATE_KEY: (
        "The file holds a private key, which is never uploaded; "
        "upload the certificate alone."
    ),
    FileProblem.TRUNCATED: (
        "The certificate in the file is cut short or damaged; copy it again, "
        "from the BEGIN line to the END line."
    ),
    FileProblem.NOT_A_CERTIFICATE: (
        "The file is not a certificate in PEM, DER or PKCS#7 format."
    ),
}


class CertificateFileError(Exception):
    """A file that cannot be read as certificates (or as a CSR)."""

    def __init__(self, problem: FileProblem, detail: str | None = None) -> None:
        self.problem = problem
        self.detail = detail if detail is not None else _DETAILS[problem]
        super().__init__(self.detail)


@dataclass(frozen=True)
class _Block:
    """One PEM block; ``body`` is None when its END line never came."""

    label: bytes
    body: bytes | None


def parse_certificates(data: bytes | str) -> list[x509.Certificate]:
    """Every certificate in a PEM, DER or PKCS#7 file, in file order.

    PKCS#7 keeps its certificates in an unordered SET and serialisers sort
    them, so for a PKCS#7 file "file order" says nothing about the chain.
    """
    raw = _accept(data)
    if _BEGIN.search(raw) is None:
        return _parse_der_certificates(raw)

    blocks = _pem_blocks(raw)
    _refuse_private_keys(blocks)

    certificates: list[x509.Certificate] = []
    for block in blocks:
        if block.label in _CERTIFICATE_LABELS:
            der = _block_der(block)
            certificates.append(_load(x509.load_der_x509_certificate, der))
        elif block.label in _PKCS7_LABELS:
            der = _block_der(block)
            certificates.extend(_load(_load_pkcs7, der))

    if certificates:
        return certificates
    if any(block.label in _CSR_LABELS for block in blocks):
        raise CertificateFileError(FileProblem.CSR_NOT_CERTIFICATE)
    raise CertificateFileError(FileProblem.NOT_A_CERTIFICATE)


def parse_csr(data: bytes | str) -> x509.CertificateSigningRequest:
    """The one certificate signing request in a PEM or DER file."""
    raw = _accept(data)
    if _BEGIN.search(raw) is None:
        if _is_private_key_der(raw):
            raise CertificateFileError(FileProblem.PRIVATE_KEY)
        try:
            return x509.load_der_x509_csr(raw)
        except _UNREADABLE:
            raise CertificateFileError(FileProblem.NOT_A_CSR) from None

    blocks = _pem_blocks(raw)
    _refuse_private_keys(blocks)

    requests = [block for block in blocks if block.label in _CSR_LABELS]
    if len(requests) > 1:
        raise CertificateFileError(
            FileProblem.NOT_A_CSR,
            f"The file holds {len(requests)} certificate signing requests; give one.",
        )
    if not requests:
        raise CertificateFileError(FileProblem.NOT_A_CSR)
    if requests[0].body is None:
        raise CertificateFileError(
            FileProblem.TRUNCATED,
            "The certificate signing request in the file is cut short; copy it "
            "again, from the BEGIN line to the END line.",
        )
    try:
        der = base64.b64decode(b"".join(requests[0].body.split()), validate=True)
        return x509.load_der_x509_csr(der)
    except (binascii.Error, *_UNREADABLE):
        raise CertificateFileError(FileProblem.NOT_A_CSR) from None


def to_pem(certs: Iterable[x509.Certificate]) -> bytes:
    """Certificates as concatenated PEM blocks."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def to_der(cert: x509.Certificate) -> bytes:
    """One certificate as DER."""
    return cert.public_bytes(serialization.Encoding.DER)


def to_pkcs7_pem(certs: Iterable[x509.Certificate]) -> bytes:
    """Certificates as a PEM PKCS#7 bundle."""
    return pkcs7.serialize_certificates(list(certs), serialization.Encoding.PEM)


def to_pkcs7_der(certs: Iterable[x509.Certificate]) -> bytes:
    """Certificates as a DER PKCS#7 bundle."""
    return pkcs7.serialize_certificates(list(certs), serialization.Encoding.DER)


def common_name(name: x509.Name) -> str:
    """The first CN of ``name``, or "" when it has none."""
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return ""
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def san_names(
    cert_or_csr: x509.Certificate | x509.CertificateSigningRequest,
) -> list[str]:
    """DNS names and IP addresses of the SAN extension, in extension order."""
    try:
        extension = cert_or_csr.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        )
    except x509.ExtensionNotFound:
        return []
    names: list[str] = []
    for general_name in extension.value:
        if isinstance(general_name, x509.DNSName | x509.IPAddress):
            names.append(str(general_name.value))
    return names


def is_ca(cert: x509.Certificate) -> bool:
    """Whether the certificate's basic constraints say CA:TRUE."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether the certificate names itself as issuer and its own key signed it."""
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, *_UNREADABLE):
        return False
    return True


def serial_hex(cert: x509.Certificate) -> str:
    """The serial number as CUCM writes it in trust file names: even-length hex."""
    serial = cert.serial_number
    if serial < 0:
        # A malformed but parseable serial: show the bytes the DER carried.
        size = (serial.bit_length() + 8) // 8
        return serial.to_bytes(size, "big", signed=True).hex()
    digits = f"{serial:x}"
    return digits if len(digits) % 2 == 0 else "0" + digits


def _accept(data: bytes | str) -> bytes:
    """The file's bytes, refused when too large or blank."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_FILE_BYTES:
        raise CertificateFileError(
            FileProblem.TOO_LARGE,
            f"The file is {len(raw)} bytes; the largest accepted is "
            f"{MAX_FILE_BYTES} bytes.",
        )
    text = data if isinstance(data, str) else raw.decode("utf-8", "replace")
    if not text.replace(_BOM, "").strip():
        raise CertificateFileError(FileProblem.EMPTY)
    return raw


def _pem_blocks(raw: bytes) -> list[_Block]:
    """The PEM blocks of a file in order, ignoring any text around them."""
    blocks: list[_Block] = []
    starts = list(_BEGIN.finditer(raw))
    for index, start in enumerate(starts):
        label = start.group(1)
        limit = starts[index + 1].start() if index + 1 < len(starts) else len(raw)
        end = raw.find(b"-----END " + label + b"-----", start.end(), limit)
        body = raw[start.end() : end] if end >= 0 else None
        blocks.append(_Block(label, body))
    return blocks


def _refuse_private_keys(blocks: list[_Block]) -> None:
    if any(b"PRIVATE KEY" in block.label for block in blocks):
        raise CertificateFileError(FileProblem.PRIVATE_KEY)


def _block_der(block: _Block) -> bytes:
    """The DER inside a certificate or PKCS#7 block."""
    if block.body is None:
        raise CertificateFileError(FileProblem.TRUNCATED)
    try:
        return base64.b64decode(b"".join(block.body.split()), validate=True)
    except binascii.Error:
        raise CertificateFileError(FileProblem.TRUNCATED) from None


def _load(loader: Callable[[bytes], _T], der: bytes) -> _T:
    """Run a cryptography loader on DER from a labelled block."""
    try:
        return loader(der)
    except _UNREADABLE:
        # The label promised a certificate, so the body was damaged in transit.
        raise CertificateFileError(FileProblem.TRUNCATED) from None


def _parse_der_certificates(raw: bytes) -> list[x509.Certificate]:
    """A binary file: one DER certificate or a DER PKCS#7 bundle."""
    try:
        return [x509.load_der_x509_certificate(raw)]
    except _UNREADABLE:
        pass
    try:
        certificates = _load_pkcs7(raw)
    except _UNREADABLE:
        pass
    else:
        if certificates:
            return certificates
        raise CertificateFileError(
            FileProblem.NOT_A_CERTIFICATE,
            "The PKCS#7 file holds no certificates.",
        )

    try:
        x509.load_der_x509_csr(raw)
    except _UNREADABLE:
        pass
    else:
        raise CertificateFileError(FileProblem.CSR_NOT_CERTIFICATE)
    if _is_private_key_der(raw):
        raise CertificateFileError(FileProblem.PRIVATE_KEY)
    if _starts_like_certificate(raw):
        raise CertificateFileError(FileProblem.TRUNCATED)
    raise CertificateFileError(FileProblem.NOT_A_CERTIFICATE)


def _load_pkcs7(der: bytes) -> list[x509.Certificate]:
    """The certificates of a DER PKCS#7 bundle, leaf first when they chain."""
    with warnings.catch_warnings():
        # cryptography warns when it falls back to BER; the file's fate is
        # decided by whether it parses, and a warning would only reach the
        # server log as noise.
        warnings.simplefilter("ignore", UserWarning)
        return chain_order(pkcs7.load_der_pkcs7_certificates(der))


def chain_order(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """``certs`` as a chain: the one that issued none of the others first, then
    each issuer in turn; certificates outside that chain keep their place after.

    A PKCS#7 bundle is an unordered set, so this is the only order it has.
    """
    issuers = {c.subject for c in certs if c.subject != c.issuer}
    leaves = [
        c for c in certs if c.subject not in {o.issuer for o in certs if o is not c}
    ]
    if not leaves or not issuers:
        return list(certs)
    ordered = [leaves[0]]
    remaining = [c for c in certs if c is not leaves[0]]
    while remaining:
        parent = next((c for c in remaining if c.subject == ordered[-1].issuer), None)
        if parent is None or parent.subject == ordered[-1].subject:
            break
        ordered.append(parent)
        remaining.remove(parent)
    return ordered + remaining


def _is_private_key_der(raw: bytes) -> bool:
    try:
        serialization.load_der_private_key(raw, password=None)
    except TypeError:
        # Raised only for an encrypted key given no password: still a key.
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _starts_like_certificate(raw: bytes) -> bool:
    """Whether ``raw`` opens the way a DER certificate or PKCS#7 bundle does.

    Both are a SEQUENCE whose first element is a SEQUENCE (the to-be-signed
    part of a certificate or request) or the signedData content type.
    """
    if len(raw) < 4 or raw[0] != 0x30:
        return False
    if raw[1] < 0x80:
        header = 2
    elif 1 <= raw[1] & 0x7F <= 4:
        header = 2 + (raw[1] & 0x7F)
    else:
        return False
    rest = raw[header:]
    return rest[:1] == b"\x30" or rest.startswith(_SIGNED_DATA_OID)
