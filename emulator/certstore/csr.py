"""Generate CSR: the checks of the dialog and the CSR it leaves on the node(s).

One CSR exists per node and unit; a new one replaces the old (reference
section 1.5). A Multi-server(SAN) CSR is made once, with one key, and left on
every node its SAN list covers, so the signed certificate can be uploaded on
any of them (section 1.6).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator import errors
from emulator.certstore.models import MULTI_SERVER, THIS_SERVER, PendingCsr
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.pki import builder
from emulator.pki.keys import new_key
from emulator.pki.units import Placement, Unit

if TYPE_CHECKING:
    from emulator.certstore.manager import CertificateManager

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
#: Minimum digest per EC key size, so the hash is at least as strong as the key.
_EC_MIN_HASH = {256: "SHA256", 384: "SHA384", 521: "SHA512"}
_HASH_BITS = {"SHA256": 256, "SHA384": 384, "SHA512": 512}


@dataclass(frozen=True)
class CsrRequest:
    """What the Generate CSR dialog (or ``set csr gen``) asks for."""

    unit: str
    distribution: str = THIS_SERVER
    common_name: str | None = None
    key_type: str | None = None
    key_length: int | None = None
    hash_algorithm: str | None = None
    other_domains: tuple[str, ...] = ()
    parent_domain: str | None = None
    include_ou: bool | None = None


def valid_dns_name(name: str) -> bool:
    """A host or domain name CUCM accepts in a CSR (no wildcard)."""
    if not name or len(name) > 253 or name.endswith("."):
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def covered_nodes(mgr: CertificateManager, unit: Unit) -> list[Node]:
    """The nodes a Multi-server(SAN) CSR for ``unit`` names."""
    if unit.placement is Placement.IMP:
        return list(mgr.cluster.imp_nodes)
    if unit.placement is Placement.ALL:
        return list(mgr.cluster.nodes)
    return list(mgr.cluster.cucm_nodes)


def generate(mgr: CertificateManager, node: Node, request: CsrRequest) -> PendingCsr:
    """Check ``request`` as CUCM does and store the new CSR."""
    profile = mgr.profile
    unit = mgr.unit_on(node, request.unit)
    multi = _distribution(mgr, unit, request.distribution)

    key_type = unit.key_type
    if request.key_type is not None and request.key_type.upper() != key_type:
        raise CucmError(
            errors.CSR_KEY_TYPE_NOT_ALLOWED,
            profile,
            key_type=request.key_type,
            unit=unit.name,
            allowed=key_type,
        )
    lengths = profile.key_lengths(key_type)
    length = request.key_length or (2048 if key_type == "RSA" else 256)
    if length not in lengths:
        raise CucmError(
            errors.CSR_KEY_LENGTH_NOT_ALLOWED,
            profile,
            length=length,
            unit=unit.name,
            choices=", ".join(map(str, lengths)),
        )
    hash_name = _hash(mgr, key_type, length, request.hash_algorithm)
    include_ou = _include_ou(mgr, request.include_ou)

    if multi:
        nodes = covered_nodes(mgr, unit)
        cn = request.common_name or builder.common_name(unit, node, multi_server=True)
        parent = request.parent_domain or node.domain
        sans = [n.fqdn for n in nodes] + [parent]
    else:
        nodes = [node]
        cn = request.common_name or mgr.default_common_name(node, unit)
        sans = [node.fqdn]
        alternate = mgr.stores(node).web_security.alternate_hostname
        if unit.name == "tomcat" and alternate:
            sans.append(alternate)
    _check_name(mgr, "Common Name", cn, allow_ip=False)
    for name in request.other_domains:
        _check_name(mgr, "Subject Alternate Name", name, allow_ip=not multi)
    sans = _unique([*sans, *request.other_domains])

    org = mgr.stores(node).web_security.organisation
    key = new_key(key_type, length, mgr.keys)
    subject = builder.subject(cn, org, include_ou=include_ou)
    request_obj = builder.csr(unit, key, subject, sans, hash_algorithm=hash_name)
    pending = PendingCsr(
        unit=unit.name,
        request=request_obj,
        key=key,
        distribution=MULTI_SERVER if multi else THIS_SERVER,
        sans=tuple(sans),
        nodes=tuple(n.hostname for n in nodes),
    )
    for covered in nodes:
        mgr.stores(covered).csrs[unit.name] = pending
        mgr.journal.emit(
            "certificate.csr.generated",
            node=covered.hostname,
            subject=unit.name,
            distribution=pending.distribution,
            common_name=cn,
            key_length=length,
        )
    return pending


def _distribution(mgr: CertificateManager, unit: Unit, distribution: str) -> bool:
    folded = distribution.casefold().replace("(san)", "").strip()
    if folded in (THIS_SERVER, "single", "single-server", ""):
        return False
    if folded not in (MULTI_SERVER, "multi", "multi-server"):
        raise CucmError(
            errors.CSR_INVALID_NAME,
            mgr.profile,
            field="Distribution",
            value=distribution,
            rule="choose this-server or Multi-server(SAN)",
        )
    if not unit.multi_server:
        raise CucmError(
            errors.CSR_MULTI_SERVER_NOT_SUPPORTED, mgr.profile, unit=unit.name
        )
    return True


def _hash(
    mgr: CertificateManager, key_type: str, length: int, requested: str | None
) -> str:
    allowed = list(mgr.profile.hash_algorithms)
    if key_type == "EC":
        floor = _HASH_BITS[_EC_MIN_HASH[length]]
        allowed = [h for h in allowed if _HASH_BITS[h] >= floor]
    default = allowed[0] if key_type == "EC" else "SHA256"
    chosen = (requested or default).upper().replace("-", "")
    if chosen not in allowed:
        raise CucmError(
            errors.CSR_HASH_NOT_ALLOWED,
            mgr.profile,
            hash=requested,
            key_type=key_type,
            length=length,
            choices=", ".join(allowed),
        )
    return chosen


def _include_ou(mgr: CertificateManager, requested: bool | None) -> bool:
    if not mgr.profile.include_ou_option:
        if requested is False:
            raise CucmError(
                errors.CSR_INCLUDE_OU_NOT_AVAILABLE,
                mgr.profile,
                release=mgr.profile.name,
            )
        return True
    return bool(requested)


def _check_name(
    mgr: CertificateManager, field: str, value: str, *, allow_ip: bool
) -> None:
    if is_ip(value):
        if allow_ip:
            return
    elif valid_dns_name(value) or (field == "Common Name" and _plain_cn(value)):
        return
    rule = "use a host or domain name"
    if value.startswith("*"):
        rule = "wildcard names are not supported; name each host"
    elif is_ip(value):
        rule = "IP addresses are not allowed in a Multi-server(SAN) CSR"
    raise CucmError(
        errors.CSR_INVALID_NAME, mgr.profile, field=field, value=value, rule=rule
    )


def _plain_cn(value: str) -> bool:
    # CAPF-1a2b3c4d and ITLRECOVERY_host.domain are common names, not host names.
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value))


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return list(seen.values())
