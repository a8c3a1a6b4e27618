"""Trust stores: one certificate per CN, replication, deletes (reference 1.2)."""

from __future__ import annotations

import random

import pytest
from flows import pem

from emulator import CucmError
from emulator.pki.ca import LabCA


def _filenames(lab, node, store):
    return set(lab.certs.stores(node).trust[store])


def _renewed_root(lab, seed=9):
    """A new root with the lab CA's common name, made a day later."""
    lab.clock.advance(86400)
    return LabCA(keys=lab.keys, now=lambda: lab.clock.now, rng=random.Random(seed)).root


def test_newer_certificate_with_same_cn_replaces_the_stored_one(lab):
    """When a certificate with the same CN and a newer not-before arrives, CUCM
    replaces the stored one."""
    pub = lab.publisher
    lab.certs.upload_trust(pub, "tomcat-trust", pem(lab.ca.root))
    renewed = _renewed_root(lab)
    lab.certs.upload_trust(pub, "tomcat-trust", pem(renewed))
    stored = [
        t.certificate for t in lab.certs.stores(pub).trust["tomcat-trust"].values()
    ]
    assert renewed in stored and lab.ca.root not in stored


def test_replication_of_tomcat_and_callmanager_trust(lab):
    """tomcat-trust reaches every node; CallManager-trust every CUCM node."""
    sub = lab.cluster.subscribers[0]
    written = lab.certs.upload_trust(sub, "CallManager-trust", pem(lab.ca.root))
    filename = written[0].filename
    for node in lab.cluster.cucm_nodes:
        assert filename in _filenames(lab, node, "CallManager-trust")
    assert "CallManager-trust" not in lab.certs.stores(lab.cluster.imp_nodes[0]).trust


def test_capf_trust_stays_on_its_node_and_lands_in_callmanager_trust(lab):
    """A CAPF-trust upload is enabled only on that node, and a CA root uploaded as
    CAPF-trust is also copied into CallManager-trust."""
    pub, sub = lab.publisher, lab.cluster.subscribers[0]
    written = lab.certs.upload_trust(pub, "CAPF-trust", pem(lab.ca.root))
    filename = written[0].filename
    assert filename in _filenames(lab, pub, "CAPF-trust")
    assert filename not in _filenames(lab, sub, "CAPF-trust")
    assert filename in _filenames(lab, sub, "CallManager-trust")


def test_node_local_store_does_not_replicate(lab):
    """ipsec-trust uploads stay on the node they were made on."""
    pub, sub = lab.publisher, lab.cluster.subscribers[0]
    written = lab.certs.upload_trust(sub, "ipsec-trust", pem(lab.ca.root))
    assert written[0].filename not in _filenames(lab, pub, "ipsec-trust")


def test_delete_from_replicated_store_reaches_every_node(lab):
    """Deleting from tomcat-trust deletes the certificate on all servers."""
    written = lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))
    removed = lab.certs.delete_certificate(
        lab.cluster.subscribers[1], "tomcat-trust", written[0].filename
    )
    assert set(removed) == {n.hostname for n in lab.cluster.nodes}
    for node in lab.cluster.nodes:
        assert written[0].filename not in _filenames(lab, node, "tomcat-trust")


def test_delete_from_capf_trust_reaches_every_node(make_lab):
    """Deleting from CAPF-trust deletes it everywhere, although uploads stay local."""
    lab = make_lab("11.5", imp=0)
    for node in lab.cluster.cucm_nodes:
        written = lab.certs.upload_trust(node, "CAPF-trust", pem(lab.ca.root))
    name = next(t.filename for t in written if t.store == "CAPF-trust")
    removed = lab.certs.delete_certificate(lab.publisher, "CAPF-trust", name)
    assert set(removed) == {n.hostname for n in lab.cluster.cucm_nodes}


def test_delete_from_local_store_stays_local(lab):
    """Deleting from ipsec-trust removes only that node's copy."""
    pub = lab.publisher
    for node in lab.cluster.nodes:
        lab.certs.upload_trust(node, "ipsec-trust", pem(lab.ca.root))
    name = next(f for f in _filenames(lab, pub, "ipsec-trust") if "cucm-lab" in f)
    assert lab.certs.delete_certificate(pub, "ipsec-trust", name) == [pub.hostname]
    assert name in _filenames(lab, lab.cluster.subscribers[0], "ipsec-trust")


def test_same_certificate_twice_changes_nothing(lab):
    """Uploading a certificate the store already holds leaves the store as it is."""
    lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))
    before = lab.certs.state()
    assert lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root)) == []
    assert lab.certs.state() == before


def test_expired_trust_certificate_refused(lab):
    """CUCM refuses to upload an expired certificate into a trust store."""
    lab.clock.advance(11 * 365 * 86400)
    with pytest.raises(CucmError) as refused:
        lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))
    assert refused.value.code == "CERTIFICATE_EXPIRED"


def test_broken_replication_keeps_uploads_local(lab):
    """With database replication broken, a tomcat-trust upload stays on its node."""
    lab.certs.replication_healthy = False
    written = lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))
    assert written[0].filename not in _filenames(
        lab, lab.cluster.subscribers[0], "tomcat-trust"
    )


def test_trust_upload_is_journalled(lab):
    """Every trust change is an event in the journal."""
    lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root), "Corp root")
    events = lab.journal.query(kind="certificate.trust.added")
    assert {e.node for e in events} == {n.hostname for n in lab.cluster.nodes}
    stored = lab.certs.stores(lab.publisher).trust["tomcat-trust"].values()
    assert "Corp root" in {t.description for t in stored}
