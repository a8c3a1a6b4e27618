"""Generate CSR (reference sections 1.5 to 1.7)."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from flows import csr

from emulator import CucmError
from emulator.pki.encoding import common_name, san_names


def test_new_csr_replaces_the_old(lab):
    """Only one CSR exists per server and certificate type: a new one overwrites it."""
    pub = lab.publisher
    first = csr(lab, pub, "tomcat")
    second = csr(lab, pub, "tomcat")
    assert lab.certs.stores(pub).csrs["tomcat"] is second
    assert first.request.public_key() != second.request.public_key()


def test_single_server_csr_names_the_node(lab):
    """A this-server CSR has the node's conventional CN and its FQDN as SAN."""
    sub = lab.cluster.subscribers[0]
    pending = csr(lab, sub, "tomcat")
    assert common_name(pending.request.subject) == sub.fqdn
    assert san_names(pending.request) == [sub.fqdn]
    assert pending.nodes == (sub.hostname,)
    assert "tomcat" not in lab.certs.stores(lab.publisher).csrs


def test_multi_server_csr_covers_every_node(lab):
    """A Multi-server(SAN) tomcat CSR gets <host>-ms.<domain>, names every CUCM and
    IM&P node plus the parent domain, and is present on every node with one key."""
    pub = lab.publisher
    pending = csr(lab, pub, "tomcat", distribution="multi-server")
    assert common_name(pending.request.subject) == f"{pub.hostname}-ms.{pub.domain}"
    expected = {n.fqdn for n in lab.cluster.nodes} | {pub.domain}
    assert set(san_names(pending.request)) == expected
    for node in lab.cluster.nodes:
        assert lab.certs.stores(node).csrs["tomcat"] is pending


def test_multi_server_callmanager_covers_cucm_nodes_only(lab):
    """CallManager is multi-server on CUCM nodes only; the EC variant gets -EC-ms."""
    pub = lab.publisher
    pending = csr(lab, pub, "CallManager", distribution="multi-server")
    assert set(pending.nodes) == {n.hostname for n in lab.cluster.cucm_nodes}
    ec_csr = csr(lab, pub, "CallManager-ECDSA", distribution="Multi-server(SAN)")
    assert common_name(ec_csr.request.subject) == f"{pub.hostname}-EC-ms.{pub.domain}"


def test_other_domains_are_added_and_ips_refused_for_multi_server(lab):
    """Multi-SAN CSRs may add FQDNs but not IP addresses."""
    pub = lab.publisher
    pending = csr(
        lab,
        pub,
        "tomcat",
        distribution="multi-server",
        other_domains=("extra.example",),
    )
    assert "extra.example" in san_names(pending.request)
    with pytest.raises(CucmError) as refused:
        csr(
            lab, pub, "tomcat", distribution="multi-server", other_domains=("10.0.0.9",)
        )
    assert refused.value.code == "CSR_INVALID_NAME"


@pytest.mark.parametrize("unit", ["CAPF", "ipsec", "TVS", "ITLRecovery"])
def test_units_that_are_not_multi_server(lab, unit):
    """CAPF, ipsec, TVS and ITLRecovery have no Multi-server(SAN) distribution."""
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.publisher, unit, distribution="multi-server")
    assert refused.value.code == "CSR_MULTI_SERVER_NOT_SUPPORTED"


def test_key_lengths_per_release(make_lab):
    """RSA 3072 and 4096 are selectable from 14; 11.5 offers 1024 and 2048."""
    old = make_lab("11.5", subscribers=0, imp=0)
    with pytest.raises(CucmError) as refused:
        csr(old, old.publisher, "tomcat", key_length=3072)
    assert refused.value.code == "CSR_KEY_LENGTH_NOT_ALLOWED"
    assert "1024, 2048" in refused.value.hint
    new = make_lab("15", subscribers=0, imp=0)
    pending = csr(new, new.publisher, "CallManager", key_length=3072)
    assert pending.request.public_key().key_size == 3072


def test_key_type_is_forced_per_unit(lab):
    """Key Type is RSA for tomcat and EC for tomcat-ECDSA."""
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.publisher, "tomcat", key_type="EC")
    assert refused.value.code == "CSR_KEY_TYPE_NOT_ALLOWED"
    pending = csr(lab, lab.publisher, "tomcat-ECDSA", key_length=384)
    assert pending.request.public_key().curve.key_size == 384
    assert isinstance(pending.request.signature_hash_algorithm, hashes.SHA384)


def test_hash_must_be_as_strong_as_an_ec_key(lab):
    """EC-384 allows SHA384 and SHA512 only."""
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.publisher, "tomcat-ECDSA", key_length=384, hash_algorithm="SHA256")
    assert refused.value.code == "CSR_HASH_NOT_ALLOWED"
    assert refused.value.hint == "choose a Hash Algorithm of SHA384, SHA512"


def test_include_ou_is_off_by_default_from_14(make_lab):
    """From 14SU1 the OU is left out of the CSR unless Include OU is chosen."""
    lab = make_lab("15", subscribers=0, imp=0)
    plain = csr(lab, lab.publisher, "tomcat")
    assert not plain.request.subject.get_attributes_for_oid(
        NameOID.ORGANIZATIONAL_UNIT_NAME
    )
    with_ou = csr(lab, lab.publisher, "tomcat", include_ou=True)
    assert with_ou.request.subject.get_attributes_for_oid(
        NameOID.ORGANIZATIONAL_UNIT_NAME
    )


def test_include_ou_does_not_exist_before_14(make_lab):
    """12.5 always includes the OU and has no Include OU option."""
    lab = make_lab("12.5", subscribers=0, imp=0)
    assert csr(lab, lab.publisher, "tomcat").request.subject.get_attributes_for_oid(
        NameOID.ORGANIZATIONAL_UNIT_NAME
    )
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.publisher, "tomcat", include_ou=False)
    assert refused.value.code == "CSR_INCLUDE_OU_NOT_AVAILABLE"


def test_csr_requests_the_units_extensions(lab):
    """The CSR's extension request carries the unit's key usages and SANs."""
    request = csr(lab, lab.publisher, "CAPF").request
    constraints = request.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca
    assert request.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign


def test_itlrecovery_csr_only_on_the_publisher(lab):
    """From 12.5 ITLRecovery is one cluster certificate managed on the publisher."""
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.cluster.subscribers[0], "ITLRecovery")
    assert refused.value.code == "PUBLISHER_ONLY"


def test_capf_csr_refused_on_subscriber_from_14(lab):
    """From 14 the CAPF certificate exists only on the publisher."""
    with pytest.raises(CucmError) as refused:
        csr(lab, lab.cluster.subscribers[0], "CAPF")
    assert refused.value.code == "UNIT_NOT_ON_NODE"


def test_node_csr_passes_openssl_req_verify(lab, tmp_path):
    """A CSR made by a node is a valid PKCS#10 request (openssl req -verify)."""
    path = tmp_path / "tomcat.csr"
    path.write_text(csr(lab, lab.publisher, "tomcat", distribution="multi-server").pem)
    done = subprocess.run(
        ["openssl", "req", "-verify", "-noout", "-in", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "verify OK" in (done.stdout + done.stderr)
