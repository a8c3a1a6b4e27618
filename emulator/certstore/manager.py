"""The certificate operations of a cluster, as OS Administration offers them.

:class:`CertificateManager` owns every node's stores and is the only way the
surfaces change them: Generate CSR, Upload Certificate/Certificate chain,
Regenerate, Delete, ``set web-security``. Each operation either succeeds
completely or raises a :class:`~emulator.errors.CucmError` having changed
nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from emulator import errors
from emulator.certstore import csr as csr_rules
from emulator.certstore import trust, upload
from emulator.certstore.checks import CSR_CODES, FILE_CODES, Checks, FaultSource
from emulator.certstore.install import TRUST_DESCRIPTION, Installer
from emulator.certstore.models import (
    IdentityCertificate,
    NodeCertificates,
    PendingCsr,
    TrustCertificate,
)
from emulator.clock import LabClock
from emulator.cluster import Cluster, Node, Organisation
from emulator.errors import CucmError
from emulator.journal import Journal
from emulator.pki.encoding import (
    MAX_FILE_BYTES,
    CertificateFileError,
    FileProblem,
    parse_certificates,
)
from emulator.pki.keys import KeySource
from emulator.pki.units import (
    Unit,
    lookup_unit,
    unit_on_node,
)
from emulator.profile import ReleaseProfile

DESCRIPTION_LIMIT = 255
_FORBIDDEN = '<>"\\'


class CertificateManager(Installer, Checks):
    """Every node's installed certificates and the operations on them."""

    def __init__(
        self,
        *,
        profile: ReleaseProfile,
        cluster: Cluster,
        clock: LabClock,
        journal: Journal,
        keys: KeySource,
        rng: random.Random,
    ) -> None:
        self.profile = profile
        self.cluster = cluster
        self.clock = clock
        self.journal = journal
        self.keys = keys
        self.rng = rng
        #: False while database replication is broken: uploads and deletes
        #: then stay on the node they were made on.
        self.replication_healthy = True
        self.stores_by_name: dict[str, NodeCertificates] = {}
        self._capf_tags: dict[str, str] = {}
        self._listeners: list[Callable[[list[str], str], None]] = []
        self._installing = True
        #: The lab's fault plan, consulted by every check (set by the lab).
        self.faults: FaultSource | None = None

    def on_identity_changed(self, listener: Callable[[list[str], str], None]) -> None:
        """Call ``listener(hostnames, unit)`` after an identity is replaced."""
        self._listeners.append(listener)

    # -- lookups --------------------------------------------------------------
    def cluster_node(self, name: str) -> Node:
        node = self.cluster.find(name)
        if node is None:
            raise CucmError(
                errors.NODE_NOT_FOUND,
                self.profile,
                node=name,
                choices=", ".join(n.hostname for n in self.cluster.nodes),
            )
        return node

    def unit_on(self, node: Node, name: str) -> Unit:
        """The unit called ``name`` if ``node`` holds it, else CUCM's refusal."""
        unit = lookup_unit(name)
        if unit is None:
            raise CucmError(
                errors.INVALID_CERTIFICATE_PURPOSE,
                self.profile,
                unit=name,
                choices=", ".join(u.name for u in self.units_on(node)),
            )
        if not unit_on_node(unit, role=node.role, profile=self.profile):
            raise CucmError(
                errors.UNIT_NOT_ON_NODE,
                self.profile,
                unit=unit.name,
                node=node.hostname,
                placement=unit.placement.value,
            )
        return unit

    def trust_store_on(self, node: Node, name: str) -> str:
        """The trust store called ``name`` (any case) on ``node``."""
        for store in self.stores(node).trust:
            if store.casefold() == name.casefold():
                return store
        raise CucmError(
            errors.INVALID_CERTIFICATE_PURPOSE,
            self.profile,
            unit=name,
            choices=", ".join(self.stores(node).trust),
        )

    def state(self) -> tuple[object, ...]:
        """Equal before and after any operation that changed nothing."""
        return tuple(
            self.stores_by_name[n.hostname].state() for n in self.cluster.nodes
        )

    # -- operations -----------------------------------------------------------
    def parse(self, data: bytes | str) -> list[x509.Certificate]:
        """Read an uploaded file, refusing what CUCM refuses."""
        try:
            return parse_certificates(data)
        except CertificateFileError as problem:
            raise self._file_error(problem, len(data)) from None

    def _file_error(self, problem: CertificateFileError, size: int) -> CucmError:
        kind = problem.problem
        if kind is FileProblem.TOO_LARGE:
            return CucmError(
                errors.FILE_TOO_LARGE, self.profile, size=size, limit=MAX_FILE_BYTES
            )
        if kind is FileProblem.CSR_NOT_CERTIFICATE:
            return CucmError(errors.CSR_NOT_CERTIFICATE, self.profile)
        if kind is FileProblem.PRIVATE_KEY:
            return CucmError(errors.PRIVATE_KEY_NOT_ACCEPTED, self.profile)
        return CucmError(
            errors.INVALID_CERTIFICATE_FILE, self.profile, detail=problem.detail
        )

    def _file_faults(self, node: Node, scope: str, size: int) -> None:
        self.refuse_injected(
            FILE_CODES, node, scope, size=size, limit=MAX_FILE_BYTES,
            detail="The file is not a certificate in PEM, DER or PKCS#7 format.",
            unit=scope, limit_description=DESCRIPTION_LIMIT,
        )  # fmt: skip

    def check_description(self, description: str) -> str:
        bad = [c for c in description if c in _FORBIDDEN or not c.isprintable()]
        if bad or len(description) > DESCRIPTION_LIMIT:
            raise CucmError(
                errors.INVALID_DESCRIPTION,
                self.profile,
                limit=DESCRIPTION_LIMIT,
                forbidden=" ".join(_FORBIDDEN),
            )
        return description.strip()

    def generate_csr(self, node: Node, request: csr_rules.CsrRequest) -> PendingCsr:
        """Generate CSR; replaces any CSR pending for the unit on the node(s)."""
        unit = self.unit_on(node, request.unit)
        self._publisher_only(node, unit, "generate the ITLRecovery CSR")
        self.refuse_injected(
            CSR_CODES, node, unit.name, unit=unit.name, key_type=unit.key_type,
            length=request.key_length or 2048, hash=request.hash_algorithm or "SHA256",
            release=self.profile.name, field="Common Name", value=request.common_name,
            rule="use a host or domain name", allowed=unit.key_type,
            choices=", ".join(map(str, self.profile.key_lengths(unit.key_type))),
        )  # fmt: skip
        return csr_rules.generate(self, node, request)

    def upload_identity(
        self,
        node: Node,
        unit_name: str,
        data: bytes | str,
        description: str = "",
        *,
        channel: str = "gui",
    ) -> IdentityCertificate:
        """Upload Certificate/Certificate chain with an identity purpose."""
        unit = self.unit_on(node, unit_name)
        description = self.check_description(description)
        certificates = self.parse(data)
        self._file_faults(node, unit.name, len(data))
        identity = upload.upload_identity(
            self, node, unit, certificates, description, channel=channel
        )
        self.journal.emit(
            "certificate.identity.uploaded",
            node=node.hostname,
            subject=unit.name,
            serial=f"{identity.certificate.serial_number:x}",
            issuer=identity.certificate.issuer.rfc4514_string(),
            distribution=identity.distribution,
        )
        return identity

    def upload_trust(
        self,
        node: Node,
        store_name: str | Sequence[str],
        data: bytes | str,
        description: str = "",
    ) -> list[TrustCertificate]:
        """Upload Certificate/Certificate chain with a ``-trust`` purpose (or
        several at once, as the REST API allows: all or nothing)."""
        names = [store_name] if isinstance(store_name, str) else list(store_name)
        stores = [self.trust_store_on(node, name) for name in names]
        description = self.check_description(description) or TRUST_DESCRIPTION
        certificates = self.parse(data)
        self._file_faults(node, stores[0], len(data))
        changes = [
            change
            for store in stores
            for change in trust.plan_upload(self, node, store, certificates)
        ]
        return trust.apply_upload(self, changes, description)

    def delete_certificate(
        self, node: Node, store_name: str, filename: str
    ) -> list[str]:
        """Delete a trust certificate; identity certificates cannot be deleted."""
        unit = lookup_unit(store_name)
        self.refuse_if(
            unit is not None,
            errors.IDENTITY_NOT_DELETABLE,
            node,
            store_name,
            unit=unit.name if unit is not None else store_name,
        )
        store = self.trust_store_on(node, store_name)
        self.refuse_if(
            filename not in self.stores(node).trust[store],
            errors.TRUST_CERT_NOT_FOUND,
            node,
            store,
            filename=filename,
            store=store,
        )
        return trust.delete(self, node, store, filename)

    def regenerate(
        self,
        node: Node,
        unit_name: str,
        *,
        key_length: int | None = None,
        validity_years: int | None = None,
    ) -> IdentityCertificate:
        """Regenerate a self-signed certificate, keeping its key length by default."""
        unit = self.unit_on(node, unit_name)
        self._publisher_only(node, unit, "regenerate ITLRecovery")
        current = self.stores(node).identities[unit.name]
        length = key_length or _key_size(current)
        lengths = self.profile.key_lengths(unit.key_type)
        self.refuse_if(
            length not in lengths,
            errors.REGEN_KEY_LENGTH_NOT_ALLOWED,
            node,
            unit.name,
            length=length,
            unit=unit.name,
            choices=", ".join(map(str, lengths)),
        )
        allowed_years = self.profile.itlrecovery_validity_years
        if validity_years is not None and (
            unit.name != "ITLRecovery" or validity_years not in allowed_years
        ):
            raise CucmError(
                errors.CSR_INVALID_NAME,
                self.profile,
                field="Validity",
                value=validity_years,
                rule="only ITLRecovery takes a validity, of "
                + ", ".join(map(str, allowed_years))
                + " years",
            )
        identity = self._install_self_signed(
            node,
            unit,
            not_before=self.clock.now,
            key_length=length,
            validity_years=validity_years,
        )
        self.journal.emit(
            "certificate.identity.regenerated",
            node=node.hostname,
            subject=unit.name,
            serial=f"{identity.certificate.serial_number:x}",
            holders=[n.hostname for n in self.holders(node, unit)],
        )
        return identity

    def set_web_security(
        self,
        node: Node,
        *,
        orgunit: str,
        orgname: str,
        locality: str,
        state: str,
        country: str | None = None,
        alternatehostname: str | None = None,
    ) -> IdentityCertificate:
        """``set web-security``: new subject fields, tomcat regenerated at once."""
        web = self.stores(node).web_security
        current = web.organisation
        self.refuse_if(
            country is not None and country != current.country,
            errors.WEB_SECURITY_COUNTRY_FIXED,
            node,
            "tomcat",
            country=current.country,
        )
        unit_, name_, town, region = (
            self.check_description(v) for v in (orgunit, orgname, locality, state)
        )
        if alternatehostname is not None and not (
            csr_rules.valid_dns_name(alternatehostname)
            or csr_rules.is_ip(alternatehostname)
        ):
            raise CucmError(
                errors.CSR_INVALID_NAME,
                self.profile,
                field="alternatehostname",
                value=alternatehostname,
                rule="use a host name, domain name or IP address",
            )
        web.organisation = Organisation(unit_, name_, town, region, current.country)
        web.alternate_hostname = alternatehostname
        self.journal.emit("platform.web_security.changed", node=node.hostname)
        return self.regenerate(node, "tomcat")

    def _publisher_only(self, node: Node, unit: Unit, action: str) -> None:
        self.refuse_if(
            self._copied_from_publisher(node, unit),
            errors.PUBLISHER_ONLY,
            node,
            unit.name,
            action=action,
            publisher=self.cluster.publisher.hostname,
        )


def _key_size(identity: IdentityCertificate) -> int:
    key = identity.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.curve.key_size
    return key.key_size
