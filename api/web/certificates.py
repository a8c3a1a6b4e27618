"""OS Administration > Security > Certificate Management: the list and one certificate.

The Certificate List shows a node's identity certificates and every trust
store entry, one row each, with a Find filter on any column (reference
section 5). Clicking a row opens the certificate: its settings, the
"Certificate File Data" dump the admin CLI's ``show cert`` prints, the PEM
and DER downloads, Regenerate for an identity and Delete for a trust entry.
Nothing here decides what may be deleted or regenerated; the model does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.admincli.commands_cert import describe
from api.web.render import OS_ADMIN, Pages, Status, read_form
from emulator import errors
from emulator.certstore.models import MULTI_SERVER, trust_filename
from emulator.errors import CucmError
from emulator.pki.encoding import common_name, is_self_signed
from emulator.profile import TrustFileNaming
from emulator.services import BY_NAME

#: The Find filter's columns, in the list's order: (field, heading).
COLUMNS = (
    ("certificate", "Certificate"),
    ("name", "Common Name"),
    ("usage", "Usage"),
    ("type", "Type"),
    ("key_type", "Key Type"),
    ("distribution", "Distribution"),
    ("issued_by", "Issued By"),
    ("expiration", "Expiration"),
    ("description", "Description"),
)
MODES = (("begins", "begins with"), ("contains", "contains"))
USAGES = (("", "Any"), ("identity", "Identity"), ("trust", "Trust"))
DELETE_WARNING = (
    "You are about to permanently delete this certificate. If the certificate "
    "is replicated, it is deleted on every node of the cluster. Continue?"
)


@dataclass(frozen=True)
class Listed:
    """One row of the Certificate List."""

    purpose: str
    filename: str
    certificate: x509.Certificate
    description: str
    usage: str
    distribution: str
    name: str

    @property
    def is_trust(self) -> bool:
        return self.usage == "Trust"

    def value(self, column: str) -> str:
        """The row's text in ``column``, as the page shows it."""
        cert = self.certificate
        match column:
            case "certificate":
                return self.purpose
            case "name":
                return self.name
            case "usage":
                return self.usage
            case "type":
                return "Self-signed" if is_self_signed(cert) else "CA-signed"
            case "key_type":
                key = cert.public_key()
                return "EC" if isinstance(key, ec.EllipticCurvePublicKey) else "RSA"
            case "distribution":
                return self.distribution
            case "issued_by":
                return common_name(cert.issuer) or cert.issuer.rfc4514_string()
            case "expiration":
                return cert.not_valid_after_utc.strftime("%m/%d/%Y")
            case "description":
                return self.description
        raise KeyError(column)


def listed(pages: Pages) -> Iterator[Listed]:
    """Every certificate installed on the node: identities first, then trust."""
    certs, node, profile = pages.lab.certs, pages.node, pages.lab.profile
    stores = certs.stores(node)
    for unit, identity in stores.identities.items():
        distribution = (
            "Multi-server(SAN)"
            if identity.distribution == MULTI_SERVER
            else node.hostname
        )
        name = trust_filename(identity.certificate, profile).removesuffix(".pem")
        yield Listed(
            unit, identity.filename, identity.certificate, identity.description,
            "Identity", distribution, name,
        )  # fmt: skip
    for store, entries in stores.trust.items():
        for filename, entry in entries.items():
            yield Listed(
                store, filename, entry.certificate, entry.description,
                "Trust", node.hostname, filename.removesuffix(".pem"),
            )  # fmt: skip


def find(pages: Pages, purpose: str, filename: str) -> Listed:
    """The certificate ``filename`` of ``purpose``, else CUCM's refusal."""
    certs, node = pages.lab.certs, pages.node
    if purpose.casefold().endswith("-trust"):
        store = certs.trust_store_on(node, purpose)
    else:
        store = certs.unit_on(node, purpose).name
    for row in listed(pages):
        if row.purpose == store and row.filename.casefold() == filename.casefold():
            return row
    raise CucmError(
        errors.TRUST_CERT_NOT_FOUND, pages.lab.profile, filename=filename, store=store
    )


def name_heading(pages: Pages) -> str:
    if pages.lab.profile.trust_file_naming is TrustFileNaming.COMMON_NAME_SERIAL:
        return "Common Name / Common Name_SerialNumber"
    return "Common Name"


def restart_notes(pages: Pages, unit: str, distribution: str, mark: int) -> list[str]:
    """What to restart after ``unit`` changed, from the model's restart matrix.

    ``mark`` is the journal's length before the change: services the model
    restarted by itself since then (TVS, CAPF and ITLRecovery on 14 and
    later) are named as already restarting instead.
    """
    lab, node = pages.lab, pages.node
    try:
        names = lab.services.restart_matrix(unit)
    except ValueError:
        return []
    restarted = {
        event.subject
        for event in lab.journal.query(kind="service.state", after_seq=mark - 1)
        if event.details.get("state") == "Stopping"
    }
    where = (
        "on every node that holds this certificate"
        if distribution == MULTI_SERVER
        else f"on {node.hostname}"
    )
    notes = []
    for name in names:
        if name in restarted:
            notes.append(f"{name} is restarting by itself to load the new certificate.")
            continue
        kind = "Feature" if BY_NAME[name].is_feature else "Network"
        notes.append(
            f"Restart {name} {where} for the new certificate to become active: "
            f"Cisco Unified Serviceability > Tools > Control Center - {kind} "
            f"Services, or the CLI command 'utils service restart {name}'."
        )
    return notes


def render_list(
    pages: Pages, request: Request, status: Status | None = None
) -> Response:
    """The Certificate List, filtered by the query's Find and Usage fields."""
    query = request.query_params
    column = query.get("column", "certificate")
    column = column if column in dict(COLUMNS) else "certificate"
    mode = "contains" if query.get("mode") == "contains" else "begins"
    text = query.get("text", "").strip()[:256]
    usage = query.get("usage", "").casefold()
    usage = usage if usage in dict(USAGES) else ""

    rows = list(listed(pages))
    if usage:
        rows = [r for r in rows if r.usage.casefold() == usage]
    if text:
        wanted = text.casefold()
        rows = [
            r
            for r in rows
            if (
                wanted in r.value(column).casefold()
                if mode == "contains"
                else r.value(column).casefold().startswith(wanted)
            )
        ]
    headings = [(c, name_heading(pages) if c == "name" else h) for c, h in COLUMNS]
    return pages.render(
        request, OS_ADMIN, "certificate_list.html",
        title="Certificate List", status=status, rows=rows, columns=headings,
        modes=MODES, usages=USAGES, column=column, mode=mode, text=text,
        usage=usage,
    )  # fmt: skip


def render_details(
    pages: Pages, request: Request, row: Listed, status: Status | None = None
) -> Response:
    """One certificate: its settings, its file data and what can be done to it."""
    return pages.render(
        request, OS_ADMIN, "certificate_details.html",
        title=f"Certificate Details for {row.name}, {row.purpose}",
        status=status, row=row, dump="\n".join(describe(row.certificate)),
    )  # fmt: skip


def routes(pages: Pages) -> APIRouter:
    """The Certificate List and the certificate pages of ``pages.node``."""
    api = APIRouter(prefix="/cmplatform", include_in_schema=False)

    @api.get("/")
    async def home(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        return pages.render(
            request, OS_ADMIN, "os_home.html", title="Cisco Unified OS Administration"
        )

    @api.get("/certificateFindList.do")
    async def certificate_list(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        return render_list(pages, request)

    @api.get("/certificateEdit.do")
    async def details(request: Request, purpose: str = "", file: str = "") -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        try:
            row = find(pages, purpose, file)
        except CucmError as error:
            return render_list(pages, request, Status.refused(error))
        return render_details(pages, request, row)

    @api.get("/certificateDownload.do")
    async def download(
        request: Request, purpose: str = "", file: str = "", format: str = "pem"
    ) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        try:
            row = find(pages, purpose, file)
        except CucmError as error:
            return render_list(pages, request, Status.refused(error))
        if format.casefold() == "der":
            body = row.certificate.public_bytes(serialization.Encoding.DER)
            name = row.filename.removesuffix(".pem") + ".der"
            return pages.download(request, body, name, "application/pkix-cert")
        body = row.certificate.public_bytes(serialization.Encoding.PEM)
        return pages.download(request, body, row.filename, "application/x-pem-file")

    @api.get("/certificateDelete.do")
    async def confirm_delete(
        request: Request, purpose: str = "", file: str = ""
    ) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        try:
            row = find(pages, purpose, file)
        except CucmError as error:
            return render_list(pages, request, Status.refused(error))
        return pages.render(
            request, OS_ADMIN, "certificate_delete.html",
            title="Delete Certificate", status=Status("warning", DELETE_WARNING),
            row=row,
        )  # fmt: skip

    @api.post("/certificateDelete.do")
    async def delete(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        form = await read_form(request)
        if form.problem:
            return render_list(pages, request, Status("error", form.problem))
        purpose, filename = form.text("purpose"), form.text("file")
        try:
            removed = pages.lab.certs.delete_certificate(pages.node, purpose, filename)
        except CucmError as error:
            return render_list(pages, request, Status.refused(error))
        return render_list(
            pages,
            request,
            Status(
                "success",
                "Success: Certificate Deleted",
                (f"{filename} was deleted from {purpose} on {', '.join(removed)}.",),
            ),
        )

    return api
