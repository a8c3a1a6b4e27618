"""Bad input gets a clear CUCM-style error and leaves every store as it was."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from flows import csr, pem, signed, upload_ca_chain

from emulator import CucmError


def _pem_cert(lab):
    return pem(lab.ca.root).decode()


BAD_FILES = {
    "empty": lambda lab: b"",
    "whitespace": lambda lab: b"   \r\n\t ",
    "garbage text": lambda lab: b"hello, this is not a certificate",
    "binary junk": lambda lab: os.urandom(4000),
    "truncated": lambda lab: _pem_cert(lab)[:300].encode(),
    "no END line": lambda lab: _pem_cert(lab).replace("-----END CERTIFICATE-----", ""),
    "ten megabytes": lambda lab: os.urandom(10 * 1024 * 1024),
    "a CSR": lambda lab: csr(lab, lab.cluster.subscribers[0], "ipsec").pem.encode(),
    "a private key": lambda lab: (
        lab.certs.stores(lab.publisher)
        .identities["ipsec"]
        .key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    ),
    "certificate and key": lambda lab: (
        pem(lab.ca.root)
        + lab.certs.stores(lab.publisher)
        .identities["ipsec"]
        .key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize("target", ["trust", "identity"])
def test_bad_files_are_refused_without_change(lab, kind, target):
    """CUCM refuses files that hold no usable certificate and changes nothing."""
    data = BAD_FILES[kind](lab)
    before = lab.certs.state()
    with pytest.raises(CucmError) as refused:
        if target == "trust":
            lab.certs.upload_trust(lab.publisher, "tomcat-trust", data)
        else:
            lab.certs.upload_identity(lab.publisher, "tomcat", data)
    assert refused.value.message
    assert refused.value.entry.error_class.value == "request"
    assert lab.certs.state() == before


def test_chain_in_wrong_order_leaves_stores_unchanged(lab):
    """A chain listed root first is refused and nothing is installed."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat")
    data = pem(lab.ca.root) + pem(lab.ca.intermediate) + pem(issued.leaf)
    before = lab.certs.state()
    with pytest.raises(CucmError) as refused:
        lab.certs.upload_identity(lab.publisher, "tomcat", data)
    assert refused.value.code == "CHAIN_OUT_OF_ORDER"
    assert "did not issue" in refused.value.message
    assert lab.certs.state() == before


@pytest.mark.parametrize("unit", ["", "tomcat2", "../../etc/passwd", "TOMCAT-TRUSTED"])
def test_unknown_units(lab, unit):
    """An unknown certificate purpose is refused, with the valid ones listed."""
    before = lab.certs.state()
    with pytest.raises(CucmError) as refused:
        lab.certs.upload_trust(lab.publisher, unit, pem(lab.ca.root))
    assert refused.value.code == "INVALID_CERTIFICATE_PURPOSE"
    assert "tomcat-trust" in refused.value.hint
    with pytest.raises(CucmError):
        csr(lab, lab.publisher, unit)
    assert lab.certs.state() == before


@pytest.mark.parametrize(
    "description",
    [
        "<img src=x onerror=alert(1)>",
        'quote " here',
        "line\nbreak",
        "x" * 300,
        "nul\x00",
    ],
)
def test_hostile_descriptions(lab, description):
    """Descriptions with markup, control characters or excess length are refused."""
    before = lab.certs.state()
    with pytest.raises(CucmError) as refused:
        lab.certs.upload_trust(
            lab.publisher, "tomcat-trust", pem(lab.ca.root), description
        )
    assert refused.value.code == "INVALID_DESCRIPTION"
    assert lab.certs.state() == before


def test_unicode_description_is_kept(lab):
    """Ordinary text, accents included, is a valid description."""
    lab.certs.upload_trust(
        lab.publisher, "tomcat-trust", pem(lab.ca.root), "Zürich CA's root"
    )
    stored = lab.certs.stores(lab.publisher).trust["tomcat-trust"].values()
    assert "Zürich CA's root" in {t.description for t in stored}


def test_case_insensitive_purpose(lab):
    """Certificate purposes are matched without regard to case, as the CLI does."""
    lab.certs.upload_trust(lab.publisher, "TOMCAT-TRUST", pem(lab.ca.root))
    assert any(
        "cucm-lab" in f for f in lab.certs.stores(lab.publisher).trust["tomcat-trust"]
    )
