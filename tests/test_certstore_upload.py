"""Uploading CA-signed identity certificates (reference sections 2.1 and 5)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from flows import csr, pem, renew, signed, upload_ca_chain

from emulator.pki.encoding import common_name, san_names


@pytest.mark.parametrize("version", ["11.5", "12.5", "15"])
def test_ca_signed_tomcat_renewal(make_lab, version):
    """With the chain in tomcat-trust and a pending CSR, the signed leaf replaces the
    self-signed certificate and the CSR disappears."""
    lab = make_lab(version, subscribers=1, imp=0)
    pub = lab.publisher
    renew(lab, pub, "tomcat", "tomcat-trust")
    identity = lab.certs.stores(pub).identities["tomcat"]
    assert not identity.self_signed
    assert identity.certificate.issuer == lab.ca.intermediate.subject
    assert identity.description.startswith("Certificate Signed by ")
    assert "tomcat" not in lab.certs.stores(pub).csrs
    sub_tomcat = lab.certs.stores(lab.cluster.subscribers[0]).identities["tomcat"]
    assert sub_tomcat.self_signed


@pytest.mark.parametrize("form", ["pem-chain", "der", "pkcs7-pem", "pkcs7-der"])
def test_upload_formats(lab, form):
    """CUCM takes the leaf as PEM, DER or a PKCS#7 chain."""
    pub = lab.publisher
    upload_ca_chain(lab, pub, "CallManager-trust")
    issued = signed(lab, pub, "CallManager")
    data = {
        "pem-chain": issued.pem,
        "der": issued.der,
        "pkcs7-pem": issued.pkcs7_pem,
        "pkcs7-der": issued.pkcs7_der,
    }[form]()
    lab.certs.upload_identity(pub, "CallManager", data)
    assert lab.certs.stores(pub).identities["CallManager"].certificate == issued.leaf


def test_multi_san_certificate_reaches_every_node(lab):
    """A multi-SAN tomcat certificate uploaded on one node is installed, with the
    same key, on every node it names, and the CSR is gone everywhere."""
    pub, sub = lab.publisher, lab.cluster.subscribers[0]
    upload_ca_chain(lab, pub, "tomcat-trust")
    issued = signed(lab, pub, "tomcat", distribution="multi-server")
    lab.certs.upload_identity(sub, "tomcat", issued.pem())
    keys = set()
    for node in lab.cluster.nodes:
        stores = lab.certs.stores(node)
        assert stores.identities["tomcat"].certificate == issued.leaf
        assert "tomcat" not in stores.csrs
        keys.add(id(stores.identities["tomcat"].key))
    assert len(keys) == 1
    assert common_name(issued.leaf.subject) == f"{pub.hostname}-ms.{pub.domain}"


def test_chain_upload_replicates_tomcat_trust_to_imp(lab):
    """tomcat-trust is synchronised between CUCM and IM&P nodes."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    imp = lab.cluster.imp_nodes[0]
    trusted = {
        t.certificate for t in lab.certs.stores(imp).trust["tomcat-trust"].values()
    }
    assert lab.ca.root in trusted and lab.ca.intermediate in trusted


def test_capf_ca_signed(make_lab):
    """The CAPF leaf is itself a CA (CA:TRUE, pathlen 0) and uploads as CAPF."""
    lab = make_lab("15", subscribers=0, imp=0)
    renew(lab, lab.publisher, "CAPF", "CAPF-trust")
    capf = lab.certs.stores(lab.publisher).identities["CAPF"].certificate
    assert capf.issuer == lab.ca.intermediate.subject


def test_itlrecovery_ca_signed_reaches_every_cucm_node(lab):
    """From 12.5 the single ITLRecovery certificate is shared by every CUCM node."""
    renew(lab, lab.publisher, "ITLRecovery", "Phone-SAST-trust")
    new = lab.certs.stores(lab.publisher).identities["ITLRecovery"].certificate
    for node in lab.cluster.cucm_nodes:
        assert lab.certs.stores(node).identities["ITLRecovery"].certificate == new


def test_issued_certificate_passes_openssl_verify(lab, tmp_path):
    """A leaf from the lab CA for a node's CSR chains to the CA (openssl verify)."""
    issued = signed(lab, lab.publisher, "tomcat", distribution="multi-server")
    (tmp_path / "root.pem").write_bytes(pem(lab.ca.root))
    (tmp_path / "inter.pem").write_bytes(pem(lab.ca.intermediate))
    (tmp_path / "leaf.pem").write_bytes(issued.pem(with_chain=False))
    at = int(lab.clock.now.timestamp())
    done = subprocess.run(
        ["openssl", "verify", "-attime", str(at), "-CAfile", str(tmp_path / "root.pem"),
         "-untrusted", str(tmp_path / "inter.pem"), str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert san_names(issued.leaf) == san_names(
        csr(lab, lab.publisher, "ipsec").request
    )[:0] + list(san_names(issued.leaf))


def test_openssl_made_ca_and_leaf(make_lab, tmp_path):
    """A chain made with the openssl command line, not the lab CA, is accepted."""
    # openssl stamps its certificates with the wall clock, so this lab starts
    # an hour after it.
    lab = make_lab(
        "15", subscribers=0, imp=0, start=datetime.now(UTC) + timedelta(hours=1)
    )
    pub = lab.publisher
    pending = csr(lab, pub, "tomcat")
    (tmp_path / "node.csr").write_text(pending.pem)

    def run(*args: str) -> None:
        done = subprocess.run(
            args, capture_output=True, text=True, check=False, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-subj", "/CN=Corp Root CA", "-days", "3650")  # fmt: skip
    (tmp_path / "ext.cnf").write_text(
        f"subjectAltName=DNS:{pub.fqdn}\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
    )
    run("openssl", "x509", "-req", "-in", "node.csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-set_serial", "4242", "-out", "leaf.pem",
        "-extfile", "ext.cnf", "-days", "730")  # fmt: skip
    lab.certs.upload_trust(pub, "tomcat-trust", (tmp_path / "ca.pem").read_bytes())
    lab.certs.upload_identity(pub, "tomcat", (tmp_path / "leaf.pem").read_bytes())
    assert lab.certs.stores(pub).identities["tomcat"].certificate.serial_number == 4242
