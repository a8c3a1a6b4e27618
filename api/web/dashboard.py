"""The lab dashboard: the lab's own page on every node, and no part of CUCM.

It shows what a real lab would need other tools for (the simulated clock,
phone registration at a glance, the journal's latest events) and stands in
for the enterprise CA of a CA-signed procedure: paste a CSR or pick one
pending on this node, choose how the lab CA behaves, and take the signed
certificate and its chain away as files to upload. A behaviour other than
``faithful`` makes the CA misbehave the way real ones do, so the upload
fails the way CUCM fails it.

The signed files come back inside the answer page as ``data:`` links, so
the dashboard keeps nothing: the journal stays the lab's only history.
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web import registration
from api.web.render import LAB, Pages, Status, read_form
from emulator.journal import Event
from emulator.pki import encoding
from emulator.pki.ca import BEHAVIOURS, UnknownBehaviour
from emulator.pki.encoding import common_name
from emulator.pki.units import lookup_unit

RECENT_EVENTS = 25
PASTED = "pasted"


@dataclass(frozen=True)
class Download:
    """A file the answer page offers: its name, what it is and its bytes."""

    filename: str
    label: str
    body: bytes
    media_type: str = "application/x-pem-file"

    @property
    def href(self) -> str:
        encoded = base64.b64encode(self.body).decode()
        return f"data:{self.media_type};base64,{encoded}"

    @property
    def text(self) -> str:
        return self.body.decode("ascii", "replace")


def describe_event(event: Event) -> str:
    """One journal event's details as ``key=value`` words, lists comma-joined."""
    words = []
    for key, value in event.details.items():
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        words.append(f"{key}={value}")
    return " ".join(words)


def routes(pages: Pages) -> APIRouter:
    """The lab dashboard of ``pages.node``."""
    api = APIRouter(prefix="/lab", include_in_schema=False)
    lab, node = pages.lab, pages.node

    def dashboard(
        request: Request, status: Status | None = None, status_code: int = 200
    ) -> Response:
        # A deque keeps only the tail of a journal that may be long.
        events = list(reversed(deque(lab.journal, maxlen=RECENT_EVENTS)))
        phones = lab.phones
        return pages.render(
            request, LAB, "lab.html", title="Lab dashboard", status=status,
            status_code=status_code, clock=lab.clock, counts=phones.counts(),
            phone_total=len(phones.phones), locked=len(phones.locked()),
            events=events, describe=describe_event,
            pending=lab.certs.stores(node).csrs, behaviours=BEHAVIOURS,
            intermediate=lab.ca.intermediate is not None, nodes=lab.cluster.nodes,
            registration_chart=registration.chart(registration.history(lab)),
        )  # fmt: skip

    @api.get("/")
    async def home(request: Request) -> Response:
        if (refusal := pages.guard(request, LAB)) is not None:
            return refusal
        return dashboard(request)

    @api.post("/ca/sign")
    async def sign(request: Request) -> Response:
        if (refusal := pages.guard(request, LAB)) is not None:
            return refusal
        form = await read_form(request)
        if form.problem:
            return dashboard(request, Status("error", form.problem))
        source, behaviour = form.text("source", PASTED), form.text("behaviour")
        days = form.text("validity_days", "730")
        pending = lab.certs.stores(node).csrs

        if behaviour not in BEHAVIOURS:
            return dashboard(request, Status("error", str(UnknownBehaviour(behaviour))))
        if not days.isdigit() or not 1 <= int(days) <= 3650:
            return dashboard(
                request,
                Status("error", f"Validity must be 1 to 3650 days, not {days!r}"),
            )
        if source == PASTED:
            try:
                request_csr = encoding.parse_csr(form.text("csr"))
            except encoding.CertificateFileError as exc:
                return dashboard(request, Status("error", f"CSR: {exc.detail}"))
            stem = _stem(request_csr)
        elif source in pending:
            request_csr, stem = pending[source].request, source
        else:
            return dashboard(
                request,
                Status(
                    "error",
                    f"No CSR for {source} is pending on {node.hostname}",
                    hint="generate one under Certificate Management > Generate "
                    "CSR, or paste a CSR",
                ),
            )
        try:
            issued = lab.ca.sign(request_csr, behaviour, validity_days=int(days))
        except ValueError as exc:
            return dashboard(request, Status("error", f"CSR: {exc}"))

        leaf = issued.leaf
        unit = lookup_unit(source) if source in pending else None
        certificate = issued.pem(with_chain=False)
        files = [Download(f"{stem}-signed.pem", "The signed certificate", certificate)]
        for issuer in issued.chain:
            files.append(_issuer_file(issuer))
        files.append(
            Download(
                f"{stem}-chain.p7b",
                "The certificate and its issuers as one PKCS#7 bundle",
                issued.pkcs7_pem(),
                "application/x-pkcs7-certificates",
            )
        )
        done = Status(
            "success",
            f"The lab CA signed the CSR ({behaviour})",
            (BEHAVIOURS[behaviour],),
        )
        return pages.render(
            request, LAB, "lab_signed.html", title="Signed by the lab CA",
            status=done, files=files, subject=leaf.subject.rfc4514_string(),
            issuer=leaf.issuer.rfc4514_string(), serial=f"{leaf.serial_number:x}",
            not_before=leaf.not_valid_before_utc, not_after=leaf.not_valid_after_utc,
            sans=encoding.san_names(leaf), unit=unit.name if unit else "",
            trust_store=unit.trust_store if unit else "",
        )  # fmt: skip

    @api.get("/ca/root.pem")
    async def root(request: Request) -> Response:
        if (refusal := pages.guard(request, LAB)) is not None:
            return refusal
        body = lab.ca.root.public_bytes(Encoding.PEM)
        return pages.download(
            request, body, "cucm-lab-root.pem", "application/x-pem-file"
        )

    @api.get("/ca/intermediate.pem")
    async def intermediate(request: Request) -> Response:
        if (refusal := pages.guard(request, LAB)) is not None:
            return refusal
        if lab.ca.intermediate is None:
            missing = Status(
                "error",
                "This lab's CA has no intermediate: it issues from its root",
                hint="download the root and upload it alone",
            )
            return dashboard(request, missing, status_code=404)
        body = lab.ca.intermediate.public_bytes(Encoding.PEM)
        return pages.download(
            request, body, "cucm-lab-intermediate.pem", "application/x-pem-file"
        )

    return api


def _stem(request: x509.CertificateSigningRequest) -> str:
    """A file name stem for a pasted CSR's certificate: its common name."""
    name = common_name(request.subject)
    safe = "".join(c if c.isalnum() or c in ".-_" else "_" for c in name)
    return safe.strip("._") or "certificate"


def _issuer_file(issuer: x509.Certificate) -> Download:
    if encoding.is_self_signed(issuer):
        filename, label = "cucm-lab-root.pem", "The root CA certificate"
    else:
        filename, label = (
            "cucm-lab-intermediate.pem",
            "The intermediate (issuing) CA certificate",
        )
    return Download(filename, label, issuer.public_bytes(Encoding.PEM))
