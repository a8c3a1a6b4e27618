"""The lab CA over HTTP: download its certificates, sign a CSR under a behaviour.

This is the enterprise CA of a CA-signed procedure: an administrator
downloads the root and intermediate to upload them as ``*-trust``, sends a
CSR generated on a node, and uploads what comes back. A behaviour other than
``faithful`` makes the CA misbehave the way real CAs do, so that the upload
fails the way CUCM fails it.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from api.mgmt.app import Hosted
from emulator.pki import encoding
from emulator.pki.ca import BEHAVIOURS, UnknownBehaviour

router = APIRouter(prefix="/labs/{lab}/ca", tags=["ca"])

Format = Annotated[
    Literal["pem", "der"], Query(description="pem (the default) or der.")
]


class SignBody(BaseModel):
    csr: str = Field(description="The CSR as PEM, as a node's Download CSR gives it.")
    behaviour: str = Field(
        default="faithful",
        description=f"How the CA misbehaves; one of {', '.join(BEHAVIOURS)}.",
    )
    format: Literal["pem", "der", "pkcs7"] = Field(
        default="pem",
        description="The encoding of `certificate`: PEM, DER (base64) or a "
        "PKCS#7 PEM bundle of the leaf and its issuers.",
    )
    validity_days: int = Field(default=730, ge=1, le=3650)


@router.get("/root")
async def root(hosted: Hosted, format: Format = "pem") -> Response:
    """The root CA certificate (upload it into ``*-trust`` first)."""
    return _download(hosted.lab.ca.root, "cucm-lab-root", format)


@router.get("/intermediate")
async def intermediate(hosted: Hosted, format: Format = "pem") -> Response:
    """The issuing intermediate CA certificate."""
    certificate = hosted.lab.ca.intermediate
    if certificate is None:
        raise HTTPException(
            404,
            "intermediate: this lab's CA issues from its root (template "
            "ca_intermediate false); download /ca/root instead",
        )
    return _download(certificate, "cucm-lab-intermediate", format)


@router.get("/behaviours")
async def behaviours() -> dict[str, str]:
    """Every behaviour the CA can sign under, with what it does."""
    return dict(BEHAVIOURS)


@router.post("/sign")
async def sign(hosted: Hosted, body: SignBody) -> dict[str, Any]:
    """Issue a certificate for the CSR the way ``behaviour`` says.

    Answers the certificate in the asked ``format``, the chain the CA chose
    to hand out (issuer first, as PEM) and the whole as a PKCS#7 bundle.
    """
    if body.behaviour not in BEHAVIOURS:
        raise UnknownBehaviour(body.behaviour)
    try:
        request = encoding.parse_csr(body.csr)
    except encoding.CertificateFileError as exc:
        raise HTTPException(400, f"csr: {exc}") from None
    try:
        issued = hosted.lab.ca.sign(
            request, body.behaviour, validity_days=body.validity_days
        )
    except ValueError as exc:
        raise HTTPException(400, f"csr: {exc}") from None

    leaf = issued.leaf
    if body.format == "der":
        certificate = base64.b64encode(issued.der()).decode()
    elif body.format == "pkcs7":
        certificate = issued.pkcs7_pem().decode()
    else:
        certificate = issued.pem(with_chain=False).decode()
    return {
        "behaviour": body.behaviour,
        "format": body.format,
        "certificate": certificate,
        "chain": [c.public_bytes(Encoding.PEM).decode() for c in issued.chain],
        "pkcs7": issued.pkcs7_pem().decode(),
        "subject": leaf.subject.rfc4514_string(),
        "serial": f"{leaf.serial_number:x}",
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
    }


def _download(certificate: x509.Certificate, stem: str, format: Format) -> Response:
    if format == "der":
        body, media, suffix = (
            certificate.public_bytes(Encoding.DER),
            "application/pkix-cert",
            "cer",
        )
    else:
        body, media, suffix = (
            certificate.public_bytes(Encoding.PEM),
            "application/x-pem-file",
            "pem",
        )
    disposition = f'attachment; filename="{stem}.{suffix}"'
    return Response(
        body, media_type=media, headers={"Content-Disposition": disposition}
    )
