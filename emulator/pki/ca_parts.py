"""Building blocks of the lab CA's certificates: names and extensions.

What a CSR asks for is read here, and the extensions of the CA's own
certificates are made here, so :mod:`emulator.pki.ca` reads as the CA's
behaviours only.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

Extension = x509.Extension[x509.ExtensionType]

# Only these parts of a CSR's extension request are honoured; anything else a
# CSR asks for is dropped, as enterprise CA templates do.
_COPIED_EXTENSIONS = (
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.KEY_USAGE,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
)


def requested_extensions(
    request: x509.CertificateSigningRequest,
) -> dict[x509.ObjectIdentifier, Extension]:
    """The extensions a faithful CA copies from ``request``, or its defaults."""
    requested = {
        extension.oid: extension
        for extension in request.extensions
        if extension.oid in _COPIED_EXTENSIONS
    }
    if requested:
        return requested

    # Nothing requested: issue what a web-server template would.
    defaults: list[Extension] = [
        x509.Extension(
            ExtensionOID.KEY_USAGE,
            True,
            key_usage(digital_signature=True, key_encipherment=True),
        ),
        x509.Extension(
            ExtensionOID.EXTENDED_KEY_USAGE,
            False,
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
        ),
    ]
    return {extension.oid: extension for extension in defaults}


def ca_extensions(*, path_length: int | None) -> list[Extension]:
    return [
        x509.Extension(
            ExtensionOID.BASIC_CONSTRAINTS,
            True,
            x509.BasicConstraints(ca=True, path_length=path_length),
        ),
        x509.Extension(
            ExtensionOID.KEY_USAGE,
            True,
            key_usage(key_cert_sign=True, crl_sign=True),
        ),
    ]


def key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def ca_name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def intermediate_cn(root_cn: str) -> str:
    """The issuing CA's CN: "cucm-lab Root CA" gives "cucm-lab Issuing CA G1"."""
    stem = root_cn.removesuffix(" Root CA")
    return f"{stem} Issuing CA G1"


def with_common_name(subject: x509.Name, cn: str) -> x509.Name:
    """``subject`` with every CN replaced by ``cn``, other attributes untouched."""
    return x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, cn)
                    if attribute.oid == NameOID.COMMON_NAME
                    else attribute
                    for attribute in rdn
                ]
            )
            for rdn in subject.rdns
        ]
    )
