"""Signed files TFTP serves besides the trust lists: ``SEP<MAC>.cnf.xml.sgn``.

A signed configuration file is the trust-file header (signer, signature,
file name, time stamp) followed by the XML; the signature covers the header
and the XML, and phones check it against the TFTP or CCM+TFTP record of
their ITL or CTL (reference section 3.2).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from emulator.trustfiles.build import build_trust_file
from emulator.trustfiles.tlv import (
    TrustFileError,
    parse_header,
    signable_bytes,
)

_DIGESTS: dict[int, hashes.HashAlgorithm] = {
    1: hashes.SHA1(),
    2: hashes.SHA256(),
    3: hashes.SHA512(),
}


def sign_file(
    filename: str,
    content: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    timestamp: int,
) -> bytes:
    """``content`` behind a header signed by ``key``."""
    return build_trust_file(filename, (), certificate, key, timestamp, body=content)


def signed_content(data: bytes) -> bytes:
    """The content of a signed file, without its header."""
    return bytes(data)[parse_header(data).header_length :]


def verify_signed_file(data: bytes, certificate: x509.Certificate) -> bool:
    """Whether the file's signature verifies with ``certificate``'s key."""
    try:
        header = parse_header(data)
        digest = _DIGESTS[header.hash_algorithm]
    except (TrustFileError, KeyError):
        return False
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(header.signature, signable_bytes(data), padding.PKCS1v15(), digest)
    except InvalidSignature:
        return False
    return True
