"""Writing ITL and CTL files (and the header of signed ``.sgn`` files).

The signature covers the whole file with its SIGNATURE TLV cut out. The
length of that TLV follows from the signer's key size, so the header is laid
out once with a zero-filled signature and HEADER_LENGTH never changes when
the real signature is written in. Reading is in :mod:`emulator.trustfiles.tlv`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from emulator.trustfiles.tlv import (
    _HASH_CODES,
    _HASHES,
    _MODULUS_CODES,
    _RSA_ALGORITHM,
    FILENAME,
    HASH_ALGORITHM,
    HEADER_LENGTH,
    ISSUER_NAME,
    PADDING,
    R_CERTIFICATE,
    R_DNS_NAME,
    R_FUNCTION,
    R_IP_ADDRESS,
    R_ISSUER,
    R_LENGTH,
    R_PUBLIC_KEY,
    R_SERIAL,
    R_SIGNATURE,
    R_SUBJECT,
    SERIAL_NUMBER,
    SIGNATURE,
    SIGNATURE_ALGO_INFO,
    SIGNATURE_ALGORITHM,
    SIGNATURE_INFO,
    SIGNATURE_MODULUS,
    SIGNER_INFO,
    SIGNER_NAME,
    TIMESTAMP,
    VERSION,
    TrustRecord,
    name_string,
    signable_bytes,
)


def build_trust_file(
    filename: str,
    records: Sequence[TrustRecord],
    signer_cert: x509.Certificate,
    signer_key: rsa.RSAPrivateKey,
    timestamp: int,
    hash_algorithm: Literal["SHA1", "SHA512"] = "SHA512",
    body: bytes = b"",
) -> bytes:
    """A signed ITL or CTL file holding ``records`` in the order given.

    ``body`` is content after the header that the signature also covers: a
    signed configuration file (``.cnf.xml.sgn``) is the same header followed
    by the XML instead of records.
    """
    if hash_algorithm not in _HASH_CODES:
        raise ValueError(f"hash algorithm must be SHA1 or SHA512, not {hash_algorithm}")
    if signer_cert.public_key() != signer_key.public_key():
        raise ValueError("the signer key does not belong to the signer certificate")
    signature_size = signer_key.key_size // 8
    if signer_key.key_size % 8 or signature_size not in _MODULUS_CODES:
        raise ValueError(
            f"a {signer_key.key_size}-bit signer key cannot be described by "
            "SIGNATUREMODULUS; use 512, 1024, 2048 or 4096 bits"
        )
    if not 0 <= timestamp < 2**32:
        raise ValueError(f"timestamp {timestamp} does not fit in four bytes")

    hash_code = _HASH_CODES[hash_algorithm]
    signer_info = _tlv(
        SIGNER_INFO,
        _tlv(SIGNER_NAME, _text(name_string(signer_cert.subject))),
        _tlv(SERIAL_NUMBER, _serial(signer_cert)),
        _tlv(ISSUER_NAME, _text(name_string(signer_cert.issuer))),
    )
    signature_info = _tlv(
        SIGNATURE_INFO,
        _tlv(HASH_ALGORITHM, bytes([hash_code])),
        _tlv(
            SIGNATURE_ALGO_INFO,
            _tlv(SIGNATURE_ALGORITHM, bytes([_RSA_ALGORITHM])),
            _tlv(SIGNATURE_MODULUS, bytes([_MODULUS_CODES[signature_size]])),
        ),
    )
    before_signature = signer_info + signature_info
    after_signature = _tlv(FILENAME, _text(filename)) + _tlv(
        TIMESTAMP, timestamp.to_bytes(4, "big")
    )

    # VERSION and HEADER_LENGTH take five bytes each, the SIGNATURE TLV three
    # more than the signature; PADDING then rounds up to a 4-byte boundary.
    unpadded = 10 + len(before_signature) + 3 + signature_size + len(after_signature)
    header_length = unpadded + (-unpadded % 4)
    signature_at = 10 + len(before_signature) + 3
    unsigned = b"".join(
        [
            _tlv(VERSION, bytes([1, 2])),
            _tlv(HEADER_LENGTH, header_length.to_bytes(2, "big")),
            before_signature,
            _tlv(SIGNATURE, bytes(signature_size)),
            after_signature,
            bytes([PADDING]) * (header_length - unpadded),
            *(_encode_record(record) for record in records),
            body,
        ]
    )

    # Signing what signable_bytes() returns keeps one definition of the
    # signed bytes for building and verifying alike.
    signature = signer_key.sign(
        signable_bytes(unsigned), padding.PKCS1v15(), _HASHES[hash_code]()
    )
    return (
        unsigned[:signature_at] + signature + unsigned[signature_at + signature_size :]
    )


def _encode_record(record: TrustRecord) -> bytes:
    cert = record.certificate
    body = (
        _tlv(R_DNS_NAME, _text(record.dns_name))
        + _tlv(R_SUBJECT, _text(name_string(cert.subject)))
        + _tlv(R_FUNCTION, int(record.role).to_bytes(2, "big"))
        + _tlv(R_ISSUER, _text(name_string(cert.issuer)))
        + _tlv(R_SERIAL, _serial(cert))
        + _tlv(R_PUBLIC_KEY, _public_key_bytes(cert))
        + _tlv(R_SIGNATURE, cert.signature)
        + _tlv(R_CERTIFICATE, cert.public_bytes(serialization.Encoding.DER))
    )
    if record.ip_address:
        body += _tlv(R_IP_ADDRESS, _text(record.ip_address))
    if len(body) + 5 > 0xFFFF:
        raise ValueError(
            f"the record for {cert.subject.rfc4514_string()} is over 64 KB"
        )
    return _tlv(R_LENGTH, (len(body) + 5).to_bytes(2, "big")) + body


def _public_key_bytes(cert: x509.Certificate) -> bytes:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    raise ValueError(f"trust files hold RSA or EC keys, not {type(key).__name__}")


def _tlv(tag: int, *parts: bytes) -> bytes:
    value = b"".join(parts)
    if len(value) > 0xFFFF:
        raise ValueError(f"tag {tag} would need {len(value)} bytes; 65535 is the most")
    return struct.pack(">BH", tag, len(value)) + value


def _text(text: str) -> bytes:
    return text.encode() + b"\0"


def _serial(cert: x509.Certificate) -> bytes:
    # Unsigned and minimal: DER's extra sign byte is not part of the serial.
    number = cert.serial_number
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")
