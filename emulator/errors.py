"""The CUCM error catalogue.

Every error a CUCM node shows for certificate work is one
:class:`CatalogueEntry` here: a stable code, the text CUCM shows (per release
where it differs), the class it belongs to and the nearest valid step. The
model raises :class:`CucmError` carrying an entry; every surface (admin CLI,
REST, SOAP, web page) renders that one object, and an injected fault raises
the very same entry through the same code path.

The tree::

    CucmError
    ├── request        the input itself is unusable
    │   ├── INVALID_CERTIFICATE_FILE, FILE_TOO_LARGE, CSR_NOT_CERTIFICATE,
    │   │   PRIVATE_KEY_NOT_ACCEPTED, CHAIN_OUT_OF_ORDER
    │   └── INVALID_CERTIFICATE_PURPOSE, UNIT_NOT_ON_NODE, INVALID_DESCRIPTION,
    │       PUBLISHER_ONLY, NODE_NOT_FOUND
    ├── csr            Generate CSR refused
    │   └── CSR_KEY_TYPE_NOT_ALLOWED, CSR_KEY_LENGTH_NOT_ALLOWED,
    │       CSR_HASH_NOT_ALLOWED, CSR_MULTI_SERVER_NOT_SUPPORTED,
    │       CSR_INVALID_NAME, CSR_INCLUDE_OU_NOT_AVAILABLE
    ├── upload         a signed certificate refused (reference section 5)
    │   └── CA_CERT_NOT_IN_TRUST_STORE, CSR_MISSING, CSR_PUBLIC_KEY_MISMATCH,
    │       CSR_SAN_MISMATCH, WILDCARD_NOT_SUPPORTED, CERTIFICATE_EXPIRED,
    │       CERTIFICATE_NOT_YET_VALID, KEY_SIZE_NOT_SUPPORTED,
    │       MULTI_SAN_CLI_IMPORT
    ├── trust          trust store rules
    │   └── TRUST_SAME_CN_NEWER_EXISTS, TRUST_CERT_NOT_FOUND,
    │       IDENTITY_NOT_DELETABLE
    └── platform       node-wide settings
        └── REGEN_KEY_LENGTH_NOT_ALLOWED, WEB_SECURITY_COUNTRY_FIXED,
            SSO_SAML_RESPONSE, DRF_BUSY, DRF_NO_BACKUP

Texts the reference confirms are marked ``confirmed``; the others are the most
CUCM-like wording we could write and are listed in the approximations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from emulator.profile import ReleaseProfile


class ErrorClass(Enum):
    REQUEST = "request"
    CSR = "csr"
    UPLOAD = "upload"
    TRUST = "trust"
    PLATFORM = "platform"


@dataclass(frozen=True)
class CatalogueEntry:
    """One documented CUCM error."""

    code: str
    error_class: ErrorClass
    text: str
    hint: str
    confirmed: bool = False
    #: Texts other releases show instead of ``text``, keyed by variant name;
    #: a profile's ``message_variants`` says which one it uses.
    variants: Mapping[str, str] = field(default_factory=dict)

    def render(
        self, profile: ReleaseProfile | None, variant: str | None = None, **params: Any
    ) -> str:
        """The text a node of ``profile`` shows, with ``params`` filled in.

        ``variant`` forces one wording (an injected fault may ask for the text
        another release shows); a placeholder without a value renders empty.
        """
        template = self.text
        if variant is None and profile is not None:
            variant = profile.message_variants.get(self.code)
        if variant is not None:
            template = self.variants[variant]
        return template.format_map(_Blank(params))

    def texts(self) -> dict[str, str]:
        """Every wording of this entry, the default under "default"."""
        return {"default": self.text, **self.variants}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


class CucmError(Exception):
    """A refusal by a CUCM node, carrying its catalogue entry."""

    def __init__(
        self,
        entry: CatalogueEntry,
        profile: ReleaseProfile | None,
        *,
        injected: bool = False,
        variant: str | None = None,
        **params: Any,
    ) -> None:
        self.entry = entry
        self.params = params
        self.injected = injected
        self.message = entry.render(profile, variant, **params)
        self.hint = entry.hint.format_map(_Blank(params))
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.entry.code


CATALOGUE: dict[str, CatalogueEntry] = {}


def _entry(
    code: str,
    error_class: ErrorClass,
    text: str,
    hint: str,
    *,
    confirmed: bool = False,
    variants: Mapping[str, str] | None = None,
) -> CatalogueEntry:
    entry = CatalogueEntry(code, error_class, text, hint, confirmed, variants or {})
    CATALOGUE[code] = entry
    return entry


# -- request ---------------------------------------------------------------
INVALID_CERTIFICATE_FILE = _entry(
    "INVALID_CERTIFICATE_FILE",
    ErrorClass.REQUEST,
    "The uploaded file is not a valid certificate: {detail}",
    "upload a PEM, DER or PKCS#7 file that holds the certificate",
)
FILE_TOO_LARGE = _entry(
    "FILE_TOO_LARGE",
    ErrorClass.REQUEST,
    "The uploaded file is too large: {size} bytes (at most {limit})",
    "upload the certificate file itself, not an archive or a log",
)
CSR_NOT_CERTIFICATE = _entry(
    "CSR_NOT_CERTIFICATE",
    ErrorClass.REQUEST,
    "The uploaded file is a certificate signing request, not a certificate",
    "send the CSR to the CA and upload the certificate the CA issues for it",
)
PRIVATE_KEY_NOT_ACCEPTED = _entry(
    "PRIVATE_KEY_NOT_ACCEPTED",
    ErrorClass.REQUEST,
    "The uploaded file contains a private key; private keys cannot be uploaded",
    "upload only the certificate; the node keeps the key that made the CSR",
)
CHAIN_OUT_OF_ORDER = _entry(
    "CHAIN_OUT_OF_ORDER",
    ErrorClass.REQUEST,
    "The certificate chain is not in order: {detail}",
    "put the {unit} certificate first, then each issuer up to the root",
)
INVALID_CERTIFICATE_PURPOSE = _entry(
    "INVALID_CERTIFICATE_PURPOSE",
    ErrorClass.REQUEST,
    "Invalid certificate purpose: {unit}",
    "choose one of: {choices}",
)
UNIT_NOT_ON_NODE = _entry(
    "UNIT_NOT_ON_NODE",
    ErrorClass.REQUEST,
    "The {unit} certificate is not available on {node}",
    "{unit} lives on {placement}; act there",
)
INVALID_DESCRIPTION = _entry(
    "INVALID_DESCRIPTION",
    ErrorClass.REQUEST,
    "Description contains characters that are not allowed or is too long",
    "use at most {limit} printable characters without {forbidden}",
)
PUBLISHER_ONLY = _entry(
    "PUBLISHER_ONLY",
    ErrorClass.REQUEST,
    "This operation is allowed only on the publisher",
    "{action} on the publisher, {publisher}; it reaches the other nodes from there",
)
NODE_NOT_FOUND = _entry(
    "NODE_NOT_FOUND",
    ErrorClass.REQUEST,
    "Server {node} is not a member of this cluster",
    "choose one of: {choices}",
)

# -- csr --------------------------------------------------------------------
CSR_KEY_TYPE_NOT_ALLOWED = _entry(
    "CSR_KEY_TYPE_NOT_ALLOWED",
    ErrorClass.CSR,
    "Key Type {key_type} is not supported for {unit}",
    "{unit} uses Key Type {allowed}",
)
CSR_KEY_LENGTH_NOT_ALLOWED = _entry(
    "CSR_KEY_LENGTH_NOT_ALLOWED",
    ErrorClass.CSR,
    "Key Length {length} is not supported for {unit}",
    "choose a Key Length of {choices}",
)
CSR_HASH_NOT_ALLOWED = _entry(
    "CSR_HASH_NOT_ALLOWED",
    ErrorClass.CSR,
    "Hash Algorithm {hash} is not allowed with a {key_type} {length} key",
    "choose a Hash Algorithm of {choices}",
)
CSR_MULTI_SERVER_NOT_SUPPORTED = _entry(
    "CSR_MULTI_SERVER_NOT_SUPPORTED",
    ErrorClass.CSR,
    "Multi-server(SAN) distribution is not supported for {unit}",
    "generate a CSR for this server only, on each node",
)
CSR_INVALID_NAME = _entry(
    "CSR_INVALID_NAME",
    ErrorClass.CSR,
    "Invalid {field}: {value}",
    "{rule}",
)
CSR_INCLUDE_OU_NOT_AVAILABLE = _entry(
    "CSR_INCLUDE_OU_NOT_AVAILABLE",
    ErrorClass.CSR,
    "Include OU in CSR is not available in release {release}",
    "leave Include OU unset; this release always includes the OU",
)

# -- upload -----------------------------------------------------------------
CA_CERT_NOT_IN_TRUST_STORE = _entry(
    "CA_CERT_NOT_IN_TRUST_STORE",
    ErrorClass.UPLOAD,
    "CA certificate not available in the trust store",
    "the chain's {missing} is not in {store}: upload it as {store} first",
)
CSR_MISSING = _entry(
    "CSR_MISSING",
    ErrorClass.UPLOAD,
    "The file /usr/local/platform/.security/{unit}/keys/{unit}.csr does not exist",
    "generate a CSR for {unit} on this node, have it signed, then upload",
    confirmed=True,
    variants={
        "csr-path": (
            "The file /usr/local/platform/.security/{unit}/keys/{unit}.csr "
            "does not exist"
        ),
        "der-upload": (
            "The file /usr/local/platform/upload/certs//{unit}.der "
            "could not be uploaded."
        ),
    },
)
CSR_PUBLIC_KEY_MISMATCH = _entry(
    "CSR_PUBLIC_KEY_MISMATCH",
    ErrorClass.UPLOAD,
    "CSR Public Key and Certificate Public Key do not match",
    "upload the certificate issued for this node's current {unit} CSR "
    "(a newer CSR replaces the one the CA signed)",
)
CSR_SAN_MISMATCH = _entry(
    "CSR_SAN_MISMATCH",
    ErrorClass.UPLOAD,
    "CSR SAN and Certificate SAN does not match",
    "ask the CA for exactly the CSR's names ({expected}); the certificate has {actual}",
    confirmed=True,
)
WILDCARD_NOT_SUPPORTED = _entry(
    "WILDCARD_NOT_SUPPORTED",
    ErrorClass.UPLOAD,
    "Wildcard certificates are not supported",
    "ask the CA for a certificate that names each host instead of {name}",
)
CERTIFICATE_EXPIRED = _entry(
    "CERTIFICATE_EXPIRED",
    ErrorClass.UPLOAD,
    "The certificate has expired and cannot be uploaded",
    "the certificate expired on {not_after}; ask the CA for a current one",
)
CERTIFICATE_NOT_YET_VALID = _entry(
    "CERTIFICATE_NOT_YET_VALID",
    ErrorClass.UPLOAD,
    "The certificate is not yet valid and cannot be uploaded",
    "the certificate is valid from {not_before}; upload it then, "
    "or ask the CA for one valid now",
)
KEY_SIZE_NOT_SUPPORTED = _entry(
    "KEY_SIZE_NOT_SUPPORTED",
    ErrorClass.UPLOAD,
    "Certificate key size {bits} is not supported; the maximum is 4096 bits",
    "use a key of {choices} bits",
)
MULTI_SAN_CLI_IMPORT = _entry(
    "MULTI_SAN_CLI_IMPORT",
    ErrorClass.UPLOAD,
    "Multi-SAN certificates can only be uploaded through the OS Admin GUI",
    "upload the certificate under Security > Certificate Management",
)

# -- trust ------------------------------------------------------------------
TRUST_SAME_CN_NEWER_EXISTS = _entry(
    "TRUST_SAME_CN_NEWER_EXISTS",
    ErrorClass.TRUST,
    "A certificate with the same common name and a more recent validity start "
    "date already exists in {store}",
    "delete {existing} from {store} first if the older certificate is wanted",
)
TRUST_CERT_NOT_FOUND = _entry(
    "TRUST_CERT_NOT_FOUND",
    ErrorClass.TRUST,
    "Certificate {filename} does not exist in {store}",
    "list the store with 'show cert list trust' and use a file name from it",
)
IDENTITY_NOT_DELETABLE = _entry(
    "IDENTITY_NOT_DELETABLE",
    ErrorClass.TRUST,
    "System generated certificates cannot be deleted",
    "regenerate {unit} instead, or delete trust certificates only",
)

# -- platform ---------------------------------------------------------------
REGEN_KEY_LENGTH_NOT_ALLOWED = _entry(
    "REGEN_KEY_LENGTH_NOT_ALLOWED",
    ErrorClass.PLATFORM,
    "Key Length {length} is not supported for {unit}",
    "choose a Key Length of {choices}",
)
SSO_SAML_RESPONSE = _entry(
    "SSO_SAML_RESPONSE",
    ErrorClass.PLATFORM,
    "Error while processing saml response",
    "disable SAML SSO, restart Cisco Tomcat on every node, re-import the SP "
    "metadata on the IdP and enable SSO again",
    confirmed=True,
)
DRF_BUSY = _entry(
    "DRF_BUSY",
    ErrorClass.PLATFORM,
    "A backup or restore is already running",
    "wait for backup {name} to finish",
)
DRF_NO_BACKUP = _entry(
    "DRF_NO_BACKUP",
    ErrorClass.PLATFORM,
    "No completed backup named {name} is available",
    "restore from a backup whose status is completed",
)
WEB_SECURITY_COUNTRY_FIXED = _entry(
    "WEB_SECURITY_COUNTRY_FIXED",
    ErrorClass.PLATFORM,
    "Country cannot be changed after installation",
    "leave country as {country}",
)


def lookup(code: str) -> CatalogueEntry:
    """The catalogue entry with ``code``."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError(f"no catalogue entry {code!r}") from None
