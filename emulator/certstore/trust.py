"""Trust stores: one certificate per common name, and CUCM's replication.

Rules (reference section 1.2): ``tomcat-trust``, ``CallManager-trust`` and
``Phone-SAST-trust`` replicate to every node that has them; a ``CAPF-trust``
upload stays on its node but its CA certificates also land in
``CallManager-trust``; deletes from those four stores reach every node. A
store holds one certificate per common name: a newer "not before" replaces
the stored one, an older (or equal) one is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

from emulator import errors
from emulator.certstore.models import TrustCertificate, trust_filename
from emulator.certstore.upload import check_key_size
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.pki.encoding import common_name
from emulator.pki.units import DELETE_EVERYWHERE_STORES, REPLICATED_STORES

if TYPE_CHECKING:
    from emulator.certstore.manager import CertificateManager


@dataclass(frozen=True)
class _Change:
    node: str
    store: str
    entry: TrustCertificate
    replaces: str | None


def targets(mgr: CertificateManager, node: Node, store: str) -> list[tuple[Node, str]]:
    """Every (node, store) an upload to ``store`` on ``node`` lands in."""
    found = [(node, store)]
    if store in REPLICATED_STORES and mgr.replication_healthy:
        found = [(n, store) for n in mgr.cluster.nodes if store in mgr.stores(n).trust]
    if store == "CAPF-trust":
        found += targets(mgr, node, "CallManager-trust")
    return found


def plan_upload(
    mgr: CertificateManager,
    node: Node,
    store: str,
    certificates: Sequence[x509.Certificate],
) -> list[_Change]:
    """Check every certificate against every target store; change nothing."""
    now = mgr.clock.now
    for certificate in certificates:
        check_key_size(mgr, node, certificate, store)
        mgr.refuse_if(
            certificate.not_valid_after_utc < now,
            errors.CERTIFICATE_EXPIRED,
            node,
            store,
            not_after=certificate.not_valid_after_utc.isoformat(),
        )

    changes: list[_Change] = []
    for target, target_store in targets(mgr, node, store):
        entries = mgr.stores(target).trust[target_store]
        for certificate in certificates:
            copied_from_capf = target_store != store
            if copied_from_capf and not _is_ca(certificate):
                continue
            change = _plan_one(mgr, target, target_store, entries, certificate)
            if change is not None:
                changes.append(_Change(target.hostname, target_store, *change))
    return changes


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        ext = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return ext.value.ca


def _plan_one(
    mgr: CertificateManager,
    node: Node,
    store: str,
    entries: dict[str, TrustCertificate],
    certificate: x509.Certificate,
) -> tuple[TrustCertificate, str | None] | None:
    cn = common_name(certificate.subject)
    filename = trust_filename(certificate, mgr.profile)
    new = TrustCertificate(store, filename, certificate, "")
    same = next((e for e in entries.values() if e.common_name == cn), None)
    if same is not None and same.certificate == certificate:
        return None
    newer = same is not None and (
        certificate.not_valid_before_utc <= same.certificate.not_valid_before_utc
    )
    mgr.refuse_if(
        newer,
        errors.TRUST_SAME_CN_NEWER_EXISTS,
        node,
        store,
        store=store,
        existing=same.filename if same is not None else filename,
    )
    return new, same.filename if same is not None else None


def apply_upload(
    mgr: CertificateManager, changes: Sequence[_Change], description: str
) -> list[TrustCertificate]:
    """Write planned changes into the stores and journal each one."""
    written = []
    for change in changes:
        entries = mgr.stores_by_name[change.node].trust[change.store]
        if change.replaces is not None:
            entries.pop(change.replaces, None)
        entry = TrustCertificate(
            change.store, change.entry.filename, change.entry.certificate, description
        )
        entries[entry.filename] = entry
        written.append(entry)
        mgr.journal.emit(
            "certificate.trust.added",
            node=change.node,
            subject=change.store,
            filename=entry.filename,
            replaced=change.replaces,
        )
    return written


def delete(mgr: CertificateManager, node: Node, store: str, filename: str) -> list[str]:
    """Remove ``filename`` from ``store``; returns the nodes it was removed from."""
    entries = mgr.stores(node).trust[store]
    if filename not in entries:
        raise CucmError(
            errors.TRUST_CERT_NOT_FOUND, mgr.profile, filename=filename, store=store
        )
    nodes = [node]
    if store in DELETE_EVERYWHERE_STORES and mgr.replication_healthy:
        nodes = list(mgr.cluster.nodes)
    removed = []
    for target in nodes:
        target_entries = mgr.stores(target).trust.get(store, {})
        if target_entries.pop(filename, None) is not None:
            removed.append(target.hostname)
            mgr.journal.emit(
                "certificate.trust.deleted",
                node=target.hostname,
                subject=store,
                filename=filename,
            )
    return removed
