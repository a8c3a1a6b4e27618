"""The Certificate Management dialogs: Generate CSR, Download CSR, Upload, Generate
Self-signed.

Each dialog is a page with its form; the form posts back to the same address
and the answer is the dialog again with its status area filled in. A dialog
needs no JavaScript: where CUCM redraws the dialog when the Certificate
Purpose changes, here a "Show fields for this purpose" button asks for the
dialog again with the chosen purpose (reference section 1.5 for the fields).

Every field goes to the model as typed; what is allowed (key lengths, hash
algorithms, names, distributions, the CSR and chain an upload needs) is the
model's to decide.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.certificates import find, render_details, restart_notes
from api.web.render import OS_ADMIN, Form, Pages, Status, read_form
from emulator import errors
from emulator.certstore.csr import CsrRequest, covered_nodes
from emulator.certstore.models import MULTI_SERVER, THIS_SERVER
from emulator.errors import CucmError
from emulator.pki import builder
from emulator.pki.encoding import MAX_FILE_BYTES
from emulator.pki.units import Unit

CSR_WARNING = (
    "Warning: Generating a new CSR for a specific certificate type will overwrite "
    "the existing CSR for that type"
)
#: How much of an uploaded file is read. The model refuses anything over
#: MAX_FILE_BYTES and names the size; past this bound the size it names stops
#: growing, which spares memory when a body arrives without a length.
READ_LIMIT = 4 * MAX_FILE_BYTES + 1
SELF_SIGNED_WARNING = (
    "Warning: Generating a self-signed certificate overwrites the current "
    "certificate of that purpose, including one signed by a certificate authority"
)


def routes(pages: Pages) -> APIRouter:
    """The dialogs of ``pages.node``'s Certificate Management."""
    api = APIRouter(prefix="/cmplatform", include_in_schema=False)
    lab, node = pages.lab, pages.node
    certs, profile = lab.certs, lab.profile

    def unit_or_default(purpose: str) -> tuple[Unit, Status | None]:
        try:
            return certs.unit_on(node, purpose or "tomcat"), None
        except CucmError as error:
            return certs.unit_on(node, "tomcat"), Status.refused(error)

    def key_length(text: str, unit: Unit) -> int | None:
        if not text:
            return None
        if not text.isdigit():
            raise CucmError(
                errors.CSR_KEY_LENGTH_NOT_ALLOWED, profile, length=text,
                unit=unit.name,
                choices=", ".join(map(str, profile.key_lengths(unit.key_type))),
            )  # fmt: skip
        return int(text)

    # -- Generate CSR --------------------------------------------------------
    def csr_dialog(
        request: Request, unit: Unit, distribution: str, status: Status | None
    ) -> Response:
        multi = distribution == MULTI_SERVER and unit.multi_server
        if multi:
            common_name = builder.common_name(unit, node, multi_server=True)
            automatic = [n.fqdn for n in covered_nodes(certs, unit)]
        else:
            common_name = certs.default_common_name(node, unit)
            automatic = [node.fqdn]
        distributions = [(THIS_SERVER, node.hostname)]
        if unit.multi_server:
            distributions.append((MULTI_SERVER, "Multi-server(SAN)"))
        return pages.render(
            request, OS_ADMIN, "generate_csr.html",
            title="Generate Certificate Signing Request",
            status=status or Status("warning", CSR_WARNING),
            purposes=[u.name for u in certs.units_on(node)], unit=unit,
            distributions=distributions,
            distribution=MULTI_SERVER if multi else THIS_SERVER,
            common_name=common_name, automatic=automatic, parent=node.domain,
            key_lengths=profile.key_lengths(unit.key_type),
            hashes=profile.hash_algorithms,
            include_ou=profile.include_ou_option,
            pending=certs.stores(node).csrs.get(unit.name),
        )  # fmt: skip

    @api.get("/certificateGenerateCsr.do")
    async def generate_csr_page(
        request: Request, purpose: str = "", distribution: str = THIS_SERVER
    ) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        unit, status = unit_or_default(purpose)
        return csr_dialog(request, unit, distribution, status)

    @api.post("/certificateGenerateCsr.do")
    async def generate_csr(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        form = await read_form(request)
        unit, _ = unit_or_default(form.text("purpose"))
        distribution = form.text("distribution", THIS_SERVER)
        if form.problem:
            return csr_dialog(
                request, unit, distribution, Status("error", form.problem)
            )
        try:
            chosen = certs.unit_on(node, form.text("purpose"))
            length = key_length(form.text("key_length"), chosen)
            pending = certs.generate_csr(node, _csr_request(form, length))
        except CucmError as error:
            return csr_dialog(request, unit, distribution, Status.refused(error))
        done = Status(
            "success",
            "Success: Certificate Signing Request Generated",
            (
                f"The {pending.unit} CSR is stored on {', '.join(pending.nodes)}. "
                "Download it with Download CSR and send it to your certificate "
                "authority.",
            ),
        )
        unit = certs.unit_on(node, pending.unit)
        return csr_dialog(request, unit, pending.distribution, done)

    # -- Download CSR --------------------------------------------------------
    def download_dialog(
        request: Request, purpose: str, status: Status | None = None
    ) -> Response:
        pending = certs.stores(node).csrs
        chosen = purpose or next(iter(pending), "tomcat")
        return pages.render(
            request, OS_ADMIN, "download_csr.html",
            title="Download Certificate Signing Request", status=status,
            purposes=[u.name for u in certs.units_on(node)], chosen=chosen,
            pending=pending,
        )  # fmt: skip

    @api.get("/certificateDownloadCsr.do")
    async def download_csr_page(request: Request, purpose: str = "") -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        return download_dialog(request, purpose)

    @api.post("/certificateDownloadCsr.do")
    async def download_csr(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        form = await read_form(request)
        purpose = form.text("purpose")
        if form.problem:
            return download_dialog(request, purpose, Status("error", form.problem))
        try:
            unit = certs.unit_on(node, purpose)
            pending = certs.stores(node).csrs.get(unit.name)
            if pending is None:
                # The download reads the CSR file the refusal names.
                raise CucmError(
                    errors.CSR_MISSING, profile, variant="csr-path", unit=unit.name
                )
        except CucmError as error:
            return download_dialog(request, purpose, Status.refused(error))
        return pages.download(
            request, pending.pem.encode(), pending.filename, "application/pkcs10"
        )

    # -- Upload Certificate/Certificate chain --------------------------------
    def upload_dialog(
        request: Request, purpose: str, status: Status | None = None
    ) -> Response:
        identities = [u.name for u in certs.units_on(node)]
        stores = list(certs.stores(node).trust)
        return pages.render(
            request, OS_ADMIN, "upload.html",
            title="Upload Certificate/Certificate chain", status=status,
            purposes=identities + stores, chosen=purpose or "tomcat-trust",
        )  # fmt: skip

    @api.get("/certificateUpload.do")
    async def upload_page(request: Request, purpose: str = "") -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        return upload_dialog(request, purpose)

    @api.post("/certificateUpload.do")
    async def upload(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        form = await read_form(request, files=1)
        purpose, description = form.text("purpose"), form.fields.get("description", "")
        if form.problem:
            return upload_dialog(request, purpose, Status("error", form.problem))
        data = await form.file.read(READ_LIMIT) if form.file is not None else b""
        mark = len(lab.journal)
        try:
            if purpose.casefold().endswith("-trust"):
                written = certs.upload_trust(node, purpose, data, description)
                notes = [
                    f"{name} is now in {store}."
                    for store, name in dict.fromkeys(
                        (t.store, t.filename) for t in written
                    )
                ]
            else:
                identity = certs.upload_identity(node, purpose, data, description)
                notes = restart_notes(pages, identity.unit, identity.distribution, mark)
        except CucmError as error:
            return upload_dialog(request, purpose, Status.refused(error))
        done = Status("success", "Success: Certificate Uploaded", tuple(notes))
        return upload_dialog(request, purpose, done)

    # -- Generate Self-signed ------------------------------------------------
    def self_signed_dialog(
        request: Request, unit: Unit, status: Status | None = None
    ) -> Response:
        return pages.render(
            request, OS_ADMIN, "generate_self_signed.html",
            title="Generate New Self-signed Certificate",
            status=status or Status("warning", SELF_SIGNED_WARNING),
            purposes=[u.name for u in certs.units_on(node)], unit=unit,
            key_lengths=profile.key_lengths(unit.key_type),
            validities=profile.itlrecovery_validity_years,
        )  # fmt: skip

    @api.get("/certificateGenerateNew.do")
    async def self_signed_page(request: Request, purpose: str = "") -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        unit, status = unit_or_default(purpose)
        return self_signed_dialog(request, unit, status)

    @api.post("/certificateGenerateNew.do")
    async def self_signed(request: Request) -> Response:
        if (refusal := pages.guard(request, OS_ADMIN)) is not None:
            return refusal
        form = await read_form(request)
        unit, _ = unit_or_default(form.text("purpose"))
        if form.problem:
            return self_signed_dialog(request, unit, Status("error", form.problem))
        validity = form.text("validity")
        mark = len(lab.journal)
        try:
            chosen = certs.unit_on(node, form.text("purpose"))
            identity = certs.regenerate(
                node,
                chosen.name,
                key_length=key_length(form.text("key_length"), chosen),
                # Anything but a number of years is refused by the model as 0.
                validity_years=(int(validity) if validity.isdigit() else 0)
                if validity
                else None,
            )
        except CucmError as error:
            return self_signed_dialog(request, unit, Status.refused(error))
        notes = restart_notes(pages, identity.unit, identity.distribution, mark)
        done = Status("success", "Success: Certificate Regenerated", tuple(notes))
        row = find(pages, identity.unit, identity.filename)
        return render_details(pages, request, row, done)

    return api


_SEPARATORS = re.compile(r"[\s,;]+")


def _csr_request(form: Form, key_length: int | None) -> CsrRequest:
    """The Generate CSR form as the model's request."""
    purpose = form.text("purpose")
    include_ou: bool | None = None
    if form.text("include_ou_offered"):
        include_ou = bool(form.text("include_ou"))
    return CsrRequest(
        unit=purpose,
        distribution=form.text("distribution", THIS_SERVER),
        common_name=form.text("common_name") or None,
        key_type=form.text("key_type") or None,
        key_length=key_length,
        hash_algorithm=form.text("hash") or None,
        other_domains=tuple(n for n in _SEPARATORS.split(form.text("other")) if n),
        parent_domain=form.text("parent_domain") or None,
        include_ou=include_ou,
    )
