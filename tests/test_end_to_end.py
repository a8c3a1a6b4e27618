"""A complete CA-signed Tomcat renewal on 15 through REST and SSH, as an engineer
would script it against a real node, with a CA built by the openssl command."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paramiko
import pytest
from cryptography import x509
from served import SHARED_WSDL as WSDL
from served import ServedLab

PREFIX = "/platformcom/api/v1/certmgr/config"


def _openssl(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["openssl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        input="",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _presented_serial(served: ServedLab, tmp: Path) -> int:
    endpoint = served.endpoint()
    shown = _openssl(
        tmp, "s_client", "-connect", f"{endpoint.address}:{endpoint.ports['https']}"
    )
    start = shown.index("-----BEGIN CERTIFICATE-----")
    end = shown.index("-----END CERTIFICATE-----") + 25
    return x509.load_pem_x509_certificate(shown[start:end].encode()).serial_number


class AdminSession:
    """An interactive ``admin:`` session, read until the prompt comes back."""

    def __init__(self, served: ServedLab) -> None:
        endpoint = served.endpoint()
        user, password = served.platform_auth
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            endpoint.address, port=endpoint.ports["ssh"], username=user,
            password=password, look_for_keys=False, allow_agent=False,
        )  # fmt: skip
        self.channel = self.client.invoke_shell()
        self.read_until("admin:")

    def read_until(self, marker: str, timeout: float = 60) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while marker not in seen:
            assert time.monotonic() < deadline, seen
            if self.channel.recv_ready():
                seen += self.channel.recv(65536).decode()
            else:
                time.sleep(0.02)
        return seen

    def run(self, command: str) -> str:
        self.channel.send(command + "\n")
        return self.read_until("admin:")

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def served(make_lab):
    # openssl stamps certificates with the wall clock, so the lab starts then.
    start = datetime.now(UTC) + timedelta(hours=1)
    lab = make_lab("15", subscribers=1, imp=0, phones=4, start=start)
    with ServedLab(lab) as running:
        yield running


def test_tomcat_renewal_through_rest_and_ssh(served, tmp_path):
    """Generate the CSR by REST, sign it with an openssl CA, upload root and leaf by
    REST, restart Cisco Tomcat over SSH: HTTPS presents the new certificate only
    after the restart."""
    lab = served.lab
    fqdn = lab.publisher.fqdn
    with httpx.Client(
        base_url=served.url(path=PREFIX), auth=served.platform_auth, verify=False
    ) as rest:
        answer = rest.post(
            "/csr",
            json={"service": "tomcat", "distribution": "this-server",
                  "commonName": fqdn, "keyType": "rsa", "keyLength": 2048,
                  "hashAlgorithm": "sha256"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        (tmp_path / "tomcat.csr").write_text(answer.json()["csr"])

        _openssl(tmp_path, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", "ca.key", "-out", "ca.pem",
                 "-subj", "/CN=Rehearsal Root CA", "-days", "3650")  # fmt: skip
        (tmp_path / "ext.cnf").write_text(
            f"subjectAltName=DNS:{fqdn}\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth,clientAuth\n"
        )
        _openssl(tmp_path, "x509", "-req", "-in", "tomcat.csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-set_serial", "31337", "-days", "730",
                 "-extfile", "ext.cnf", "-out", "tomcat.pem")  # fmt: skip

        root = (tmp_path / "ca.pem").read_text()
        leaf = (tmp_path / "tomcat.pem").read_text()
        answer = rest.post(
            "/trust/certificates",
            json={"service": ["tomcat"], "certificates": [root],
                  "description": "Rehearsal Root CA"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        answer = rest.post(
            "/identity/certificates", json={"service": "tomcat", "certificates": [leaf]}
        )
        assert answer.status_code == 200, answer.text

    assert _presented_serial(served, tmp_path) != 31337
    session = AdminSession(served)
    try:
        listing = session.run("show cert list own")
        assert (
            "tomcat/tomcat.pem: Rehearsal Root CA" in listing
            or "tomcat/tomcat.pem" in listing
        )
        output = session.run("utils service restart Cisco Tomcat")
    finally:
        session.close()
    assert output.index("Cisco Tomcat[STOPPING]") < output.index(
        "Cisco Tomcat[STARTING]"
    )
    assert "Cisco Tomcat[STARTED]" in output
    assert _presented_serial(served, tmp_path) == 31337


def test_control_center_over_https_with_ciscos_wsdl(served):
    """A zeep client built from Cisco's WSDL reads service status from the node."""
    zeep = pytest.importorskip("zeep")
    from requests import Session
    from zeep.transports import Transport

    session = Session()
    # A CA bundle named in the environment would otherwise win over verify=False.
    session.trust_env = False
    session.verify = False
    session.auth = served.application_auth
    client = zeep.Client(
        str(WSDL / "ControlCenterServices.wsdl"), transport=Transport(session=session)
    )
    service = client.create_service(
        "{http://schemas.cisco.com/ast/soap}ControlCenterServicesBinding",
        served.url(path="/controlcenterservice2/services/ControlCenterServices"),
    )
    try:
        reply = service.soapGetServiceStatus(["Cisco Tomcat"])
    finally:
        session.close()
    (item,) = reply.ServiceInfoList.item
    assert (item.ServiceName, item.ServiceStatus) == ("Cisco Tomcat", "Started")
