"""The state one scenario run carries from step to step: its lab, the node
apps REST steps use, what the CA signed, and the refusals seen on the way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from api.node_app import create_node_app
from api.runtime import LabRuntime
from api.scenarios import model as m
from api.scenarios.outcomes import StepFailure
from emulator import CucmError, Lab
from emulator.cluster import Node
from emulator.phones.model import Phone
from emulator.pki.ca import LabCA, SignedCertificate
from emulator.pki.encoding import common_name, to_pem

_PLACEHOLDER = re.compile(r"\{(publisher|subscriber\d+|imp\d+)(?:\.(host|fqdn|ip))?\}")
_SIGNED = ("signed", "last-signed", "reversed-chain")


class Run:
    """The state one scenario's steps share: the lab, what the CA issued, and
    where the journal stood when the scenario and the current step began."""

    def __init__(self, lab: Lab, folder: Path) -> None:
        self.lab, self.folder = lab, folder
        self.runtime = LabRuntime(lab)
        self.ca: LabCA = lab.ca
        self.previous_ca: LabCA | None = None
        self.signed: dict[tuple[str, str], SignedCertificate] = {}
        self.named: dict[str, SignedCertificate] = {}
        self.last_signed: SignedCertificate | None = None
        self.baseline = {
            (node.hostname, unit): identity.certificate.serial_number
            for node in lab.cluster.nodes
            for unit, identity in lab.certs.stores(node).identities.items()
        }
        self.start_seq = self.step_seq = len(lab.journal) - 1
        self.output = ""
        self.status: int | None = None
        self._apps: dict[str, FastAPI] = {}
        #: The CUCM errors behind the REST replies of the current request.
        self.rest_refusals: list[CucmError] = []

    def begin_step(self) -> None:
        self.step_seq = len(self.lab.journal) - 1
        self.output, self.status = "", None

    # -- names ----------------------------------------------------------------------
    def nodes(self, ref: str) -> list[Node]:
        """Nodes by role (publisher, subscriber2, imp1, subscribers, all,
        all-cucm) or by host name; an unknown host is CUCM's NODE_NOT_FOUND."""
        cluster = self.lab.cluster
        groups = {
            "all": cluster.nodes,
            "all-cucm": cluster.cucm_nodes,
            "subscribers": cluster.subscribers,
            "imps": cluster.imp_nodes,
        }
        if ref in groups:
            if not groups[ref]:
                raise StepFailure(f"{ref}: the lab has no such nodes")
            return list(groups[ref])
        if ref == "publisher":
            return [cluster.publisher]
        match = re.fullmatch(r"(subscriber|imp)(\d+)", ref)
        if match is not None:
            pool = (
                cluster.subscribers if match[1] == "subscriber" else cluster.imp_nodes
            )
            number = int(match[2])
            if not 1 <= number <= len(pool):
                raise StepFailure(
                    f"{ref}: the lab has {len(pool)} {match[1]} node(s)",
                    f"raise lab.{match[1] if match[1] == 'imp' else 'subscribers'}"
                    " or name an existing node",
                )
            return [pool[number - 1]]
        return [self.lab.node(ref)]

    def rendered(self, text: str) -> str:
        """``{publisher}`` is the node's FQDN, ``{subscriber1.host}`` its host
        name, ``{imp1.ip}`` its address, ``{domain}`` the cluster's domain."""
        text = text.replace("{domain}", self.lab.cluster.domain)

        def name(match: re.Match[str]) -> str:
            node = self.nodes(match[1])[0]
            return {"host": node.hostname, "ip": node.ip_address}.get(
                match[2] or "", node.fqdn
            )

        return _PLACEHOLDER.sub(name, text)

    def phones(self, chosen: int | str | list[str]) -> list[Phone]:
        fleet = self.lab.phones
        if isinstance(chosen, int):
            return fleet.phones[:chosen]
        if isinstance(chosen, list):
            return fleet.select(names=chosen)
        return [
            p
            for p in fleet.phones
            if chosen == "all"
            or (chosen == "powered-off" and not p.powered)
            or ((chosen == "secure") == p.secure and chosen != "powered-off")
        ]

    def trusting(self, phone: Phone) -> bool:
        """Holds the ITL its TFTP serves and the latest configuration."""
        tftp = self.lab.services.find(phone.tftp, "Cisco Tftp")
        served = getattr(tftp.loaded if tftp else None, "itl", None)
        current = phone.config_generation == self.lab.phones.config_generation
        return phone.itl is served and current

    # -- certificates ------------------------------------------------------------------
    def ca_files(self, name: str) -> list[x509.Certificate]:
        """``ca-root``, ``ca-intermediate`` or ``ca-chain`` (issuer first), of
        the current CA or, with ``previous-``, of the one ``ca-renew`` replaced."""
        ca = self.previous_ca if name.startswith("previous-") else self.ca
        if ca is None:
            raise StepFailure(f"{name}: the lab CA was never renewed", "add ca-renew")
        part = name.rsplit("-", 1)[1]
        found = {"root": [ca.root], "chain": ca.chain()}.get(part, [ca.intermediate])
        if None in found:
            raise StepFailure(
                f"{name}: the lab CA has no intermediate",
                "set lab.ca_intermediate: true",
            )
        return [c for c in found if c is not None]

    def issuer_of(self, certificate: x509.Certificate, wanted: str) -> str:
        """``self``, ``lab-ca`` or ``previous-ca`` when ``wanted`` is one of
        those, else the issuer's common name."""
        if certificate.issuer == certificate.subject:
            return "self"
        symbolic = wanted in ("lab-ca", "previous-ca", "self")
        for label, ca in (("lab-ca", self.ca), ("previous-ca", self.previous_ca)):
            if symbolic and ca and certificate.issuer == ca.chain()[0].subject:
                return label
        return common_name(certificate.issuer)

    def certificate_bytes(self, source: m.Source, node: Node, unit: str) -> bytes:
        """The file a step uploads or pastes, from a named source or the scenario."""
        if source.pem is not None:
            return source.pem.encode()
        if source.file is not None:
            return (self.folder / source.file).read_bytes()
        name = str(source.source)
        origin = self.nodes(source.from_node)[0] if source.from_node else node
        unit = source.from_unit or unit.removesuffix("-trust")
        stores = self.lab.certs.stores(origin)
        if name.startswith(("ca-", "previous-ca-")):
            return to_pem(self.ca_files(name))
        if name == "oversized":
            return b"A" * (10 * 1024 * 1024)
        if name == "csr":
            pending = stores.csrs.get(unit)
            if pending is None:
                raise StepFailure(f"no {unit} CSR pending on {origin.hostname}")
            return pending.pem.encode()
        if name == "private-key":
            identity = stores.identities.get(unit)
            if identity is None:
                raise StepFailure(f"{origin.hostname} has no {unit} certificate")
            return identity.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        issued = self._issued(name, origin, unit)
        if name == "reversed-chain":
            return to_pem([*reversed(issued.chain), issued.leaf])
        if source.format == "der":
            return issued.der()
        if source.format == "pkcs7":
            return issued.pkcs7_pem()
        return issued.pem(with_chain=source.chain)

    def _issued(self, name: str, origin: Node, unit: str) -> SignedCertificate:
        if name in ("signed", "reversed-chain"):
            found = self.signed.get((origin.hostname, unit))
        elif name == "last-signed":
            found = self.last_signed
        else:
            found = self.named.get(name)
        if found is None:
            raise StepFailure(
                f"no certificate {name!r} for {unit} on {origin.hostname}: the lab "
                f"CA has not signed one",
                f"add lab ca-sign for {unit} on "
                f"{origin.hostname} after its CSR"
                + (f" with as: {name}" if name not in _SIGNED else ""),
            )
        return found

    # -- REST -------------------------------------------------------------------------
    def app(self, node: Node) -> FastAPI:
        """The node's HTTPS application, on a lab view that notes CUCM's errors,
        since a REST reply carries the code and text but not the hint."""
        if node.hostname not in self._apps:
            tapped = cast(Lab, _Tap(self.lab, self.rest_refusals))
            runtime = LabRuntime(tapped, self.runtime.credentials)
            self._apps[node.hostname] = create_node_app(runtime, node)
        return self._apps[node.hostname]


class _Noting:
    """Calls through to ``target``, noting each CucmError on the way out."""

    def __init__(self, target: object, seen: list[CucmError]) -> None:
        self._target, self._seen = target, seen

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except CucmError as error:
                self._seen.append(error)
                raise

        return call


class _Tap:
    def __init__(self, lab: Lab, seen: list[CucmError]) -> None:
        self._lab = lab
        self.certs = _Noting(lab.certs, seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lab, name)
