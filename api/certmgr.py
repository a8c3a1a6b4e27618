"""The Platform Certificate Management REST API (release 14 and later).

``/platformcom/api/v1/certmgr/config/...`` on every node, HTTP Basic with the
platform administrator (reference: interfaces section 1). Each call is one
model operation; a refusal is the catalogue entry's text, as JSON carrying
both ``message`` and ``messages`` because clients read either.
"""

from __future__ import annotations

import itertools
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import authorised, unauthorised
from api.runtime import LabRuntime
from emulator.certstore.csr import CsrRequest
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.pki.encoding import common_name, san_names, serial_hex

PREFIX = "/platformcom/api/v1/certmgr/config"
REALM = "CMPlatform"
_tracking = itertools.count(1)


class CsrBody(BaseModel):
    service: str = Field(min_length=1, max_length=64)
    distribution: str = Field(default="this-server", max_length=64)
    commonName: str | None = Field(default=None, max_length=255)
    keyType: str | None = Field(default=None, max_length=8)
    keyLength: int | None = Field(default=None, ge=0, le=65536)
    hashAlgorithm: str | None = Field(default=None, max_length=16)
    altNames: list[str] = Field(default_factory=list, max_length=64)
    includeOU: bool | None = None


class IdentityBody(BaseModel):
    service: str = Field(min_length=1, max_length=64)
    certificates: list[str] = Field(min_length=1, max_length=16)
    description: str = Field(default="", max_length=1024)


class TrustBody(BaseModel):
    service: list[str] | str = Field(min_length=1)
    certificates: list[str] = Field(min_length=1, max_length=32)
    description: str = Field(default="", max_length=1024)


class RegenerateBody(BaseModel):
    service: str = Field(min_length=1, max_length=64)
    keyLength: int | None = Field(default=None, ge=0, le=65536)


def error(message: str, status: int = 400, code: str | None = None) -> JSONResponse:
    """A refusal in the shape every known client reads."""
    body: dict[str, Any] = {"message": message, "messages": [message]}
    if code is not None:
        body["code"] = code
    return JSONResponse(body, status_code=status)


def _refused(exc: CucmError) -> JSONResponse:
    return error(exc.message, 400, exc.code)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _describe(certificate: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "commonName": common_name(certificate.subject),
        "serialNumber": serial_hex(certificate),
        "notBefore": certificate.not_valid_before_utc.isoformat(),
        "notAfter": certificate.not_valid_after_utc.isoformat(),
        "subjectAltNames": san_names(certificate),
        "certificate": _pem(certificate),
    }


def router(runtime: LabRuntime, node: Node) -> APIRouter:
    """The certificate REST API of ``node``."""
    lab = runtime.lab
    certs = lab.certs
    api = APIRouter(prefix=PREFIX, tags=["Certificate Management"])

    def guard(request: Request) -> Response | None:
        if not lab.profile.certmgr_rest_api:
            return Response("Not Found", status_code=404, media_type="text/plain")
        credentials = runtime.credentials
        if not authorised(
            request, credentials.platform_user, credentials.platform_password
        ):
            return unauthorised(REALM)
        return None

    def tracking() -> str:
        return f"CMS-{next(_tracking):08d}"

    def trust_store(name: str) -> str:
        store = name if name.casefold().endswith("-trust") else f"{name}-trust"
        return certs.trust_store_on(node, store)

    @api.get("/snapshot/server", summary="Every identity and trust certificate")
    async def snapshot(request: Request) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        stores = certs.stores(node)
        identities = [
            {
                "service": unit,
                "certificate": _pem(identity.certificate),
                "csr": stores.csrs[unit].pem if unit in stores.csrs else None,
            }
            for unit, identity in sorted(stores.identities.items())
        ]
        trusts = [
            {
                "service": store,
                "certificate_data": [
                    {"filename": name, "certificate": _pem(entry.certificate)}
                    for name, entry in sorted(entries.items())
                ],
            }
            for store, entries in stores.trust.items()
        ]
        return JSONResponse(
            {
                "trackingId": tracking(),
                "server": node.hostname,
                "identities": identities,
                "trusts": trusts,
                "revokedCertificates": [],
            }
        )

    @api.get("/options", summary="What Generate CSR offers on this release")
    @api.get("/snapshot/options", include_in_schema=False)
    async def options(request: Request) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        profile = lab.profile
        return JSONResponse(
            {
                "services": [u.name for u in certs.units_on(node)],
                "trustServices": list(certs.stores(node).trust),
                "distributions": ["this-server", "multi-server"],
                "keyTypes": {
                    "rsa": list(profile.rsa_key_lengths),
                    "ec": list(profile.ec_key_lengths),
                },
                "hashAlgorithms": list(profile.hash_algorithms),
                "includeOU": profile.include_ou_option,
            }
        )

    @api.post("/csr", summary="Generate CSR")
    async def generate_csr(request: Request, body: CsrBody) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            pending = certs.generate_csr(
                node,
                CsrRequest(
                    unit=body.service,
                    distribution=body.distribution,
                    common_name=body.commonName,
                    key_type=body.keyType.upper() if body.keyType else None,
                    key_length=body.keyLength,
                    hash_algorithm=body.hashAlgorithm,
                    other_domains=tuple(
                        n for n in body.altNames if n not in _auto(node, lab)
                    ),
                    include_ou=body.includeOU,
                ),
            )
        except CucmError as exc:
            return _refused(exc)
        return JSONResponse({"trackingId": tracking(), "csr": pending.pem})

    @api.get("/csr", summary="Download CSR")
    async def download_csr(request: Request, service: str) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            unit = certs.unit_on(node, service)
        except CucmError as exc:
            return _refused(exc)
        pending = certs.stores(node).csrs.get(unit.name)
        if pending is None:
            return error(f"No CSR exists for {unit.name}", 404)
        return JSONResponse({"service": unit.name, "csr": pending.pem})

    @api.post("/identity/certificates", summary="Upload an identity certificate")
    async def upload_identity(request: Request, body: IdentityBody) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        data = "\n".join(c.strip() for c in body.certificates)
        try:
            identity = certs.upload_identity(node, body.service, data, body.description)
        except CucmError as exc:
            return _refused(exc)
        return JSONResponse(
            {
                "trackingId": tracking(),
                "message": "Success: Certificate Uploaded",
                "service": identity.unit,
                "restartServices": list(lab.services.restart_matrix(identity.unit)),
            }
        )

    @api.get("/identity/certificate", summary="An identity certificate")
    async def identity(request: Request, service: str) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            unit = certs.unit_on(node, service)
        except CucmError as exc:
            return _refused(exc)
        installed = certs.stores(node).identities[unit.name]
        return JSONResponse(
            {"service": unit.name, "filename": installed.filename,
             "description": installed.description, **_describe(installed.certificate)}
        )  # fmt: skip

    @api.post("/identity/regenerate", summary="Regenerate a self-signed certificate")
    async def regenerate(request: Request, body: RegenerateBody) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            identity = certs.regenerate(node, body.service, key_length=body.keyLength)
        except CucmError as exc:
            return _refused(exc)
        return JSONResponse(
            {"trackingId": tracking(), "message": "Success: Certificate Regenerated",
             "service": identity.unit, **_describe(identity.certificate)}
        )  # fmt: skip

    @api.post("/trust/certificates", summary="Upload trust certificates")
    async def upload_trust(request: Request, body: TrustBody) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        services = [body.service] if isinstance(body.service, str) else body.service
        data = "\n".join(c.strip() for c in body.certificates)
        try:
            stores = [trust_store(s) for s in services]
            written = certs.upload_trust(node, stores, data, body.description)
        except CucmError as exc:
            return _refused(exc)
        return JSONResponse(
            {
                "trackingId": tracking(),
                "message": "Success: Certificate Uploaded",
                "certificates": [
                    {"service": t.store, "filename": t.filename} for t in written
                ],
            }
        )

    @api.get("/trust/certificate", summary="The certificates of a trust store")
    async def trust(request: Request, service: str) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            store = trust_store(service)
        except CucmError as exc:
            return _refused(exc)
        entries = certs.stores(node).trust[store]
        return JSONResponse(
            {
                "service": store,
                "certificates": [
                    {"filename": name, "description": entry.description,
                     **_describe(entry.certificate)}
                    for name, entry in sorted(entries.items())
                ],
            }
        )  # fmt: skip

    @api.delete("/trust/certificate", summary="Delete a trust certificate")
    async def delete_trust(request: Request, service: str, filename: str) -> Response:
        if (refusal := guard(request)) is not None:
            return refusal
        try:
            removed = certs.delete_certificate(node, service, filename)
        except CucmError as exc:
            return _refused(exc)
        return JSONResponse(
            {"trackingId": tracking(), "message": "Success: Certificate Deleted",
             "servers": removed}
        )  # fmt: skip

    return api


def _auto(node: Node, lab: Any) -> set[str]:
    """Names Generate CSR fills in by itself, which clients often send back."""
    return {n.fqdn for n in lab.cluster.nodes} | {node.domain}
