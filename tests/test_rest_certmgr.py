"""The certificate REST API and HTTPS on the loaded tomcat certificate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from served import ServedLab, restart_service

PREFIX = "/platformcom/api/v1/certmgr/config"


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def served(make_lab):
    lab = make_lab("15", subscribers=1, imp=0, phones=4, service_scale=0.05)
    with ServedLab(lab) as running:
        yield running


def _client(served: ServedLab, node: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=served.url(node, PREFIX), auth=served.platform_auth, verify=False
    )


def _presented(served: ServedLab, node: str | None = None) -> x509.Certificate:
    endpoint = served.endpoint(node)
    target = f"{endpoint.address}:{endpoint.ports['https']}"
    done = subprocess.run(
        ["openssl", "s_client", "-connect", target, "-showcerts"],
        input="", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    start = done.stdout.index("-----BEGIN CERTIFICATE-----")
    end = done.stdout.index("-----END CERTIFICATE-----") + len(
        "-----END CERTIFICATE-----"
    )
    return x509.load_pem_x509_certificate(done.stdout[start:end].encode())


def test_snapshot_lists_identities_and_trusts(served):
    """GET snapshot/server answers the node's identities and trust stores."""
    with _client(served) as client:
        body = client.get("/snapshot/server").json()
    assert body["server"] == served.lab.publisher.hostname
    services = {i["service"] for i in body["identities"]}
    assert {"tomcat", "CallManager", "ITLRecovery"} <= services
    stores = {t["service"] for t in body["trusts"]}
    assert "tomcat-trust" in stores
    assert body["revokedCertificates"] == []


def test_wrong_credentials_get_401_and_nothing_else(served):
    """Wrong platform credentials get Tomcat's 401 with a Basic challenge."""
    before = served.call(served.lab.certs.state)
    with httpx.Client(verify=False) as client:
        answer = client.post(
            served.url(path=PREFIX + "/csr"),
            json={"service": "tomcat"},
            auth=("admin", "x"),
        )
    assert answer.status_code == 401
    assert "HTTP Status 401" in answer.text
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert served.call(served.lab.certs.state) == before


def test_ca_signed_tomcat_renewal_over_rest_and_tls(served):
    """CSR, CA chain as tomcat-trust, leaf as tomcat: the node presents the new
    certificate over HTTPS only once Cisco Tomcat has restarted."""
    lab = served.lab
    old = _presented(served)
    with _client(served) as client:
        csr_pem = client.post(
            "/csr",
            json={"service": "tomcat", "distribution": "this-server",
                  "commonName": lab.publisher.fqdn, "keyType": "rsa",
                  "keyLength": 2048, "hashAlgorithm": "sha256"},
        ).json()["csr"]  # fmt: skip
        issued = served.call(lambda: lab.ca.sign(csr_pem.encode()))
        ca_chain = [pem(c) for c in served.call(lab.ca.chain)]
        answer = client.post(
            "/trust/certificates",
            json={"service": ["tomcat"], "certificates": ca_chain, "description": "CA"},
        )
        assert answer.status_code == 200, answer.text
        answer = client.post(
            "/identity/certificates",
            json={"service": "tomcat", "certificates": [pem(issued.leaf), *ca_chain]},
        )
        assert answer.status_code == 200, answer.text
        assert "Cisco Tomcat" in answer.json()["restartServices"]
        installed = client.get("/identity/certificate", params={"service": "tomcat"})
    assert int(installed.json()["serialNumber"], 16) == issued.leaf.serial_number
    assert _presented(served) == old
    restart_service(served, lab.publisher.hostname, "Cisco Tomcat")
    assert _presented(served) == issued.leaf


def test_refusals_carry_the_catalogue_text(served):
    """Uploading the same leaf twice: the CSR is gone, and CUCM's text comes back in
    both message and messages."""
    lab = served.lab
    ca_chain = [pem(c) for c in served.call(lab.ca.chain)]
    with _client(served) as client:
        csr_pem = client.post("/csr", json={"service": "ipsec"}).json()["csr"]
        issued = served.call(lambda: lab.ca.sign(csr_pem.encode()))
        client.post(
            "/trust/certificates", json={"service": ["ipsec"], "certificates": ca_chain}
        )
        ok = client.post(
            "/identity/certificates",
            json={"service": "ipsec", "certificates": [pem(issued.leaf)]},
        )
        assert ok.status_code == 200, ok.text
        again = client.post(
            "/identity/certificates",
            json={"service": "ipsec", "certificates": [pem(issued.leaf)]},
        )
    assert again.status_code == 400
    body = again.json()
    assert body["code"] == "CSR_MISSING"
    assert body["message"] == body["messages"][0]
    assert body["message"] == (
        "The file /usr/local/platform/upload/certs//ipsec.der could not be uploaded."
    )


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        b'{"service": 7}',
        b'{"service": "tomcat", "certificates": "x"}',
    ],
)
def test_malformed_json_is_a_400_with_a_message(served, payload):
    """JSON of the wrong shape gets a 400 naming the problem; nothing changes."""
    before = served.call(served.lab.certs.state)
    with _client(served) as client:
        answer = client.post(
            "/identity/certificates",
            content=payload,
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 400
    assert answer.json()["message"]
    assert served.call(served.lab.certs.state) == before


def test_tomcat_restart_makes_web_surfaces_unavailable(served):
    """While Cisco Tomcat is stopping or starting the node answers 503."""
    lab = served.lab
    served.call(lambda: lab.services.get(lab.publisher, "Cisco Tomcat").stop())
    with _client(served) as client:
        assert client.get("/snapshot/server").status_code == 503
    served.call(lambda: lab.clock.run_until_idle(limit=3600))
    served.call(lambda: lab.services.get(lab.publisher, "Cisco Tomcat").start())
    served.call(lambda: lab.clock.run_until_idle(limit=3600))
    with _client(served) as client:
        assert client.get("/snapshot/server").status_code == 200


def test_tftp_serves_what_it_loaded(served):
    """ITLFile.tlv and SEP<MAC>.cnf.xml.sgn over HTTP verify with the signer TFTP
    loaded: ITLRecovery for the ITL, CallManager for configuration files."""
    from emulator.trustfiles import parse_trust_file
    from emulator.trustfiles.signed import signed_content, verify_signed_file

    lab = served.lab
    ids = served.call(lambda: dict(lab.certs.stores(lab.publisher).identities))
    phone = lab.phones.phones[0]
    with httpx.Client(base_url=served.tftp_url()) as client:
        itl = client.get("/ITLFile.tlv").content
        per_phone = client.get(f"/ITL{phone.name}.tlv").content
        sgn = client.get(f"/{phone.name}.cnf.xml.sgn").content
        assert client.get("/CTLFile.tlv").status_code == 404
    assert itl == per_phone
    assert parse_trust_file(itl).verify(ids["ITLRecovery"].certificate)
    assert verify_signed_file(sgn, ids["CallManager"].certificate)
    assert b"<device>" in signed_content(sgn)


def test_schemathesis_finds_no_server_error(served):
    """Generated requests against the REST API's own OpenAPI description never get
    a 500: every refusal is a clear 4xx."""
    schemathesis = Path(sys.executable).with_name("schemathesis")
    user, password = served.platform_auth
    done = subprocess.run(
        [str(schemathesis), "run", served.url(path="/openapi.json"),
         "--auth", f"{user}:{password}", "--tls-verify", "false",
         "--checks", "not_a_server_error", "--max-examples", "15",
         "--include-path-regex", "^/platformcom", "--seed", "7"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
