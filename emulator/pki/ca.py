"""The lab's own certificate authority, which can misbehave the way real ones do.

Every CA-signed procedure in the reference (§2.1) needs a CA to send the CSR
to. The lab brings one: a root and, by default, an issuing intermediate, so
that an administrator rehearses uploading the whole chain into ``*-trust``
before the leaf, exactly as with an enterprise CA.

Real CAs do not always issue what the CSR asked for, and CUCM refuses the
result at upload time (reference §5). Each such habit is a named
*behaviour* of :meth:`LabCA.sign`, listed in :data:`BEHAVIOURS`; the SAN
mismatch of the seed TAC note, where the CA added the common name and an IP
address, is ``extra-sans``.

Everything the CA draws by chance (serial numbers, the stray IP address of
``extra-sans``) comes from the lab's ``rng`` and every instant from the
lab's clock, so a lab rebuilt from its seed issues the same certificates.

Known gaps: the CA publishes no CRL or OCSP responder, and it does not cap a
leaf's lifetime at its issuer's as most real CAs do.
"""

from __future__ import annotations

import difflib
import ipaddress
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import ExtensionOID

from emulator.pki import encoding
from emulator.pki.ca_parts import (
    Extension,
    ca_extensions,
    ca_name,
    intermediate_cn,
    requested_extensions,
    with_common_name,
)
from emulator.pki.keys import KeySource

BEHAVIOURS: dict[str, str] = {
    "faithful": (
        "Issues exactly what the CSR asks for: its subject, its key and its "
        "requested extensions."
    ),
    "extra-sans": (
        "Adds the common name and an IP address to the requested SANs, which "
        "CUCM refuses as a SAN mismatch."
    ),
    "drop-sans": (
        "Leaves out the last requested SAN, which CUCM refuses as a SAN mismatch."
    ),
    "ignore-extensions": (
        "Ignores the CSR's extension request: no key usages, and the common "
        "name as the only SAN."
    ),
    "wrong-key": (
        "Certifies a public key other than the CSR's, which CUCM refuses "
        "because the keys do not match."
    ),
    "expired": "Issues a certificate whose validity ended yesterday.",
    "not-yet-valid": "Issues a certificate that becomes valid in 30 days.",
    "wildcard": (
        "Replaces the common name with a wildcard for its parent domain, which "
        "CUCM does not support."
    ),
    "no-intermediate": (
        "Issues a faithful certificate but hands out a chain that lacks the "
        "intermediate CA."
    ),
}


_ROOT_LIFETIME = timedelta(days=3652)
# CA certificates start a month before the CA is set up, so a leaf the CA
# backdates (or issues already expired) still falls inside its issuers' lives.
_BACKDATE = timedelta(days=30)
_INTERMEDIATE_LIFETIME = timedelta(days=1826)


class UnknownBehaviour(ValueError):
    """A behaviour name the lab CA does not have."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        close = difflib.get_close_matches(behaviour, list(BEHAVIOURS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(
            f"unknown CA behaviour {behaviour!r}{hint}; "
            f"choose one of: {', '.join(BEHAVIOURS)}"
        )


@dataclass(frozen=True)
class SignedCertificate:
    """What the CA hands back: the leaf and the issuers it chose to include."""

    leaf: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def pem(self, *, with_chain: bool = True) -> bytes:
        """The leaf, then its issuers up to the root, as PEM."""
        return encoding.to_pem(self._bundle() if with_chain else (self.leaf,))

    def der(self) -> bytes:
        """The leaf alone as DER."""
        return encoding.to_der(self.leaf)

    def pkcs7_pem(self) -> bytes:
        """The leaf and its issuers as a PEM PKCS#7 bundle."""
        return encoding.to_pkcs7_pem(self._bundle())

    def pkcs7_der(self) -> bytes:
        """The leaf and its issuers as a DER PKCS#7 bundle."""
        return encoding.to_pkcs7_der(self._bundle())

    def _bundle(self) -> tuple[x509.Certificate, ...]:
        return (self.leaf, *self.chain)


@dataclass
class _Issue:
    """The leaf the CA is about to sign, before a behaviour bends it."""

    subject: x509.Name
    public_key: CertificatePublicKeyTypes
    extensions: dict[x509.ObjectIdentifier, Extension]
    not_before: datetime
    not_after: datetime
    chain: tuple[x509.Certificate, ...]

    @property
    def sans(self) -> list[x509.GeneralName]:
        extension = self.extensions.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        if extension is None:
            return []
        assert isinstance(extension.value, x509.SubjectAlternativeName)
        return list(extension.value)

    def set_sans(self, names: list[x509.GeneralName]) -> None:
        oid = ExtensionOID.SUBJECT_ALTERNATIVE_NAME
        if not names:
            self.extensions.pop(oid, None)
            return
        critical = oid in self.extensions and self.extensions[oid].critical
        value = x509.SubjectAlternativeName(names)
        self.extensions[oid] = x509.Extension(oid, critical, value)


class LabCA:
    """A root CA and, unless told otherwise, an issuing CA below it."""

    def __init__(
        self,
        *,
        keys: KeySource,
        now: Callable[[], datetime],
        rng: random.Random,
        name: str = "cucm-lab Root CA",
        with_intermediate: bool = True,
        organisation: str = "cucm-lab",
    ) -> None:
        self._keys = keys
        self._now = now
        self._rng = rng
        start = self._current_time()

        root_key = keys.rsa(2048)
        root_name = ca_name(name, organisation)
        self.root = self._certificate(
            subject=root_name,
            public_key=root_key.public_key(),
            issuer=root_name,
            issuer_key=root_key,
            not_before=start - _BACKDATE,
            not_after=start + _ROOT_LIFETIME,
            extensions=ca_extensions(path_length=None),
        )
        self._issuer = self.root
        self._issuer_key = root_key

        self.intermediate: x509.Certificate | None = None
        if with_intermediate:
            intermediate_key = keys.rsa(2048)
            self.intermediate = self._certificate(
                subject=ca_name(intermediate_cn(name), organisation),
                public_key=intermediate_key.public_key(),
                issuer=root_name,
                issuer_key=root_key,
                not_before=start - _BACKDATE,
                not_after=start + _INTERMEDIATE_LIFETIME,
                extensions=ca_extensions(path_length=0),
            )
            self._issuer = self.intermediate
            self._issuer_key = intermediate_key

    def chain(self) -> list[x509.Certificate]:
        """The issuing chain of every leaf: the issuer first, the root last."""
        if self.intermediate is None:
            return [self.root]
        return [self.intermediate, self.root]

    def sign(
        self,
        csr: x509.CertificateSigningRequest | bytes | str,
        behaviour: str = "faithful",
        *,
        validity_days: int = 730,
        other_csr: x509.CertificateSigningRequest | None = None,
    ) -> SignedCertificate:
        """Issue a certificate for ``csr`` the way ``behaviour`` says.

        ``other_csr`` only serves ``wrong-key``: the certificate then carries
        that CSR's key, as when the CA returns another node's certificate.
        """
        if isinstance(csr, x509.CertificateSigningRequest):
            request = csr
        else:
            request = encoding.parse_csr(csr)
        if not request.is_signature_valid:
            raise ValueError(
                "the CSR's signature does not verify: it was altered after it "
                "was generated; generate a new CSR and sign that"
            )
        if behaviour not in BEHAVIOURS:
            raise UnknownBehaviour(behaviour)
        if validity_days < 1:
            raise ValueError(f"validity_days must be at least 1, not {validity_days}")
        if other_csr is not None and behaviour != "wrong-key":
            raise ValueError(
                f"other_csr only applies to the 'wrong-key' behaviour, "
                f"not {behaviour!r}"
            )

        now = self._current_time()
        issue = _Issue(
            subject=request.subject,
            public_key=request.public_key(),
            extensions=requested_extensions(request),
            not_before=now - timedelta(hours=1),
            not_after=now + timedelta(days=validity_days),
            chain=tuple(self.chain()),
        )
        self._misbehave(issue, behaviour, request, now, validity_days, other_csr)

        leaf = self._certificate(
            subject=issue.subject,
            public_key=issue.public_key,
            issuer=self._issuer.subject,
            issuer_key=self._issuer_key,
            not_before=issue.not_before,
            not_after=issue.not_after,
            extensions=issue.extensions.values(),
        )
        return SignedCertificate(leaf=leaf, chain=issue.chain)

    def _misbehave(
        self,
        issue: _Issue,
        behaviour: str,
        request: x509.CertificateSigningRequest,
        now: datetime,
        validity_days: int,
        other_csr: x509.CertificateSigningRequest | None,
    ) -> None:
        """Bend a faithful issue the way ``behaviour`` says."""
        cn = encoding.common_name(request.subject)
        match behaviour:
            case "extra-sans":
                names = issue.sans
                if cn and x509.DNSName(cn) not in names:
                    names.append(x509.DNSName(cn))
                names.append(x509.IPAddress(self._stray_address()))
                issue.set_sans(names)
            case "drop-sans":
                issue.set_sans(issue.sans[:-1])
            case "ignore-extensions":
                issue.extensions.clear()
                issue.set_sans([x509.DNSName(cn)] if cn else [])
            case "wrong-key":
                issue.public_key = self._other_key(request, other_csr)
            case "expired":
                issue.not_before = now - timedelta(days=validity_days + 30)
                issue.not_after = now - timedelta(days=1)
            case "not-yet-valid":
                issue.not_before = now + timedelta(days=30)
                issue.not_after = issue.not_before + timedelta(days=validity_days)
            case "wildcard":
                if not cn:
                    raise ValueError("the wildcard behaviour needs a CSR with a CN")
                wildcard = "*." + (cn.split(".", 1)[1] if "." in cn else cn)
                issue.subject = with_common_name(issue.subject, wildcard)
            case "no-intermediate":
                issue.chain = (self.root,)

    def _other_key(
        self,
        request: x509.CertificateSigningRequest,
        other_csr: x509.CertificateSigningRequest | None,
    ) -> CertificatePublicKeyTypes:
        if other_csr is None:
            return self._keys.rsa(2048).public_key()
        key = other_csr.public_key()
        if key == request.public_key():
            raise ValueError(
                "other_csr has the same key as the CSR being signed; give a CSR "
                "from another node or unit, or none for a fresh key"
            )
        return key

    def _stray_address(self) -> ipaddress.IPv4Address:
        """A private address no node of the lab asked for."""
        octets = (self._rng.randrange(256), self._rng.randrange(256))
        host = self._rng.randrange(1, 255)
        return ipaddress.IPv4Address(f"10.{octets[0]}.{octets[1]}.{host}")

    def _current_time(self) -> datetime:
        now = self._now()
        if now.tzinfo is None:
            raise ValueError("the lab CA needs a timezone-aware clock")
        return now.astimezone(UTC)

    def _certificate(
        self,
        *,
        subject: x509.Name,
        public_key: CertificatePublicKeyTypes,
        issuer: x509.Name,
        issuer_key: rsa.RSAPrivateKey,
        not_before: datetime,
        not_after: datetime,
        extensions: Iterable[Extension],
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(self._rng.getrandbits(63) | 1 << 62)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        for extension in extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        return builder.sign(issuer_key, hashes.SHA256())
