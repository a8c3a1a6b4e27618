"""The administration web pages, driven by posting their forms over HTTPS."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from served import ServedLab, restart_service

REST = "/platformcom/api/v1/certmgr/config"
RESET_TEXT = (
    "You are about to reset all devices in the system. This action cannot be "
    "undone. Continue?"
)


@pytest.fixture
def served(make_lab) -> Iterator[ServedLab]:
    lab = make_lab("15", subscribers=1, imp=0, phones=4, service_scale=0.05)
    with ServedLab(lab) as running:
        yield running


def client(
    served: ServedLab, node: str | None = None, *, account: str = "platform"
) -> httpx.Client:
    auth = served.platform_auth if account == "platform" else served.application_auth
    return httpx.Client(base_url=served.url(node), auth=auth, verify=False)


def status(page: httpx.Response) -> str:
    """The status area's message."""
    found = re.search(r'<p class="message">(.*?)</p>', page.text, re.S)
    assert found, page.text[:2000]
    return unescape(found.group(1))


def notes(page: httpx.Response) -> list[str]:
    return [unescape(n) for n in re.findall(r'<p class="note">(.*?)</p>', page.text)]


class _Table(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows = table_id, False, []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(page: httpx.Response, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id``, heading first, as cell texts."""
    parser = _Table(table_id)
    parser.feed(page.text)
    return parser.rows


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def signed_files(page: httpx.Response) -> dict[str, bytes]:
    """The files the lab CA's answer page offers, by file name."""
    links = re.findall(
        r'href="data:[^;]+;base64,([^"]+)" download="([^"]+)"', page.text
    )
    return {name: base64.b64decode(body) for body, name in links}


def generate_tomcat_csr(web_client: httpx.Client) -> httpx.Response:
    return web_client.post(
        "/cmplatform/certificateGenerateCsr.do",
        data={"purpose": "tomcat", "distribution": "this-server",
              "key_length": "2048", "hash": "SHA256"},
    )  # fmt: skip


def upload(
    web_client: httpx.Client, purpose: str, body: bytes, description: str = ""
) -> httpx.Response:
    return web_client.post(
        "/cmplatform/certificateUpload.do",
        data={"purpose": purpose, "description": description},
        files={"file": ("certificate.pem", body, "application/x-pem-file")},
    )


def test_landing_is_open_and_each_application_takes_its_own_account(served):
    """CUCM's landing page is public; OS Administration takes the platform
    administrator and CM Administration an application user."""
    with httpx.Client(base_url=served.url(), verify=False) as anonymous:
        landing = anonymous.get("/")
        refused = anonymous.get("/cmplatform/certificateFindList.do")
    assert landing.status_code == 200
    assert "Cisco Unified Operating System Administration" in landing.text
    assert served.lab.publisher.hostname in landing.text
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")

    with client(served, account="application") as application:
        assert application.get("/cmplatform/").status_code == 401
        assert application.get("/ccmadmin/").status_code == 200
    with client(served) as platform:
        assert platform.get("/ccmadmin/").status_code == 401
        assert platform.get("/ccmservice/").status_code == 200
        assert platform.get("/lab/").status_code == 200


def test_certificate_list_columns_find_and_usage_filters(served):
    """The Certificate List shows every identity and trust certificate and
    filters on any column with "begins with" or "contains" and on Usage."""
    with client(served) as web_client:
        everything = table(
            web_client.get("/cmplatform/certificateFindList.do"), "certificates"
        )
        trust_only = table(
            web_client.get(
                "/cmplatform/certificateFindList.do",
                params={"column": "certificate", "mode": "begins", "text": "tomcat-tr"},
            ),
            "certificates",
        )
        identities = table(
            web_client.get(
                "/cmplatform/certificateFindList.do",
                params={"column": "issued_by", "mode": "contains", "text": "",
                        "usage": "identity"},
            ),
            "certificates",
        )  # fmt: skip

    assert everything[0] == [
        "Certificate", "Common Name / Common Name_SerialNumber", "Usage", "Type",
        "Key Type", "Distribution", "Issued By", "Expiration", "Description",
    ]  # fmt: skip
    tomcat = next(r for r in everything[1:] if r[0] == "tomcat")
    fqdn = served.lab.publisher.fqdn
    assert tomcat[1].startswith(fqdn + "_")
    assert tomcat[2:6] == [
        "Identity",
        "Self-signed",
        "RSA",
        served.lab.publisher.hostname,
    ]
    assert tomcat[8] == "Self-signed certificate generated by system"
    assert {r[0] for r in trust_only[1:]} == {"tomcat-trust"}
    assert {r[2] for r in identities[1:]} == {"Identity"}
    assert len(everything) > len(identities) > 5


def test_generate_csr_then_download_it(served):
    """Generate CSR stores one CSR for the purpose and Download CSR hands it out
    as <unit>.csr."""
    with client(served) as web_client:
        generated = generate_tomcat_csr(web_client)
        download = web_client.post(
            "/cmplatform/certificateDownloadCsr.do", data={"purpose": "tomcat"}
        )

    assert status(generated) == "Success: Certificate Signing Request Generated"
    pending = served.call(
        lambda: served.lab.certs.stores(served.lab.publisher).csrs["tomcat"]
    )
    assert download.status_code == 200
    assert 'filename="tomcat.csr"' in download.headers["content-disposition"]
    assert download.text == pending.pem


def test_download_csr_without_a_csr_names_the_missing_file(served):
    """Without a CSR there is nothing to download: the CSR file does not exist."""
    with client(served) as web_client:
        page = web_client.post(
            "/cmplatform/certificateDownloadCsr.do", data={"purpose": "ipsec"}
        )
    assert status(page) == (
        "The file /usr/local/platform/.security/ipsec/keys/ipsec.csr does not exist"
    )


@pytest.mark.parametrize(
    ("fields", "rest"),
    [
        ({"purpose": "ipsec", "distribution": "multi-server"},
         {"service": "ipsec", "distribution": "multi-server"}),
        ({"purpose": "tomcat", "key_length": "1000"},
         {"service": "tomcat", "keyLength": 1000}),
        ({"purpose": "tomcat", "key_length": "2048", "hash": "MD5"},
         {"service": "tomcat", "hashAlgorithm": "MD5"}),
        ({"purpose": "nonsense"}, {"service": "nonsense"}),
        ({"purpose": "tomcat", "common_name": "*.example.com"},
         {"service": "tomcat", "commonName": "*.example.com"}),
    ],
)  # fmt: skip
def test_generate_csr_refusals_read_as_the_rest_api_reads_them(served, fields, rest):
    """Generate CSR refuses the request with one text, whichever surface asked,
    and leaves the node as it was."""
    before = served.call(served.lab.certs.state)
    with client(served) as web_client:
        page = web_client.post("/cmplatform/certificateGenerateCsr.do", data=fields)
        answer = web_client.post(REST + "/csr", json=rest)
    assert answer.status_code == 400
    assert status(page) == answer.json()["message"]
    assert 'class="status error"' in page.text
    assert served.call(served.lab.certs.state) == before


@pytest.mark.parametrize(
    ("purpose", "body"),
    [
        ("nonsense", b"-----BEGIN CERTIFICATE-----\n"),
        ("tomcat", b""),
        ("tomcat", b"this is not a certificate at all"),
        ("tomcat-trust", b"\x00\x01garbage\xff" * 10),
        ("tomcat", b"A" * (2 * 1024 * 1024)),
        ("nonsense-trust", b"whatever"),
    ],
    ids=["unknown-purpose", "empty", "garbage", "binary-garbage", "huge", "no-store"],
)
def test_bad_uploads_show_the_cucm_text_and_change_nothing(served, purpose, body):
    """CUCM refuses an unusable upload with its error text and installs nothing;
    the web page, the REST API and the admin CLI show the same text."""
    before = served.call(served.lab.certs.state)
    with client(served) as web_client:
        page = upload(web_client, purpose, body)
        if purpose.endswith("-trust"):
            answer = web_client.post(
                REST + "/trust/certificates",
                json={"service": [purpose], "certificates": [body.decode("latin-1")]},
            )
        else:
            answer = web_client.post(
                REST + "/identity/certificates",
                json={"service": purpose, "certificates": [body.decode("latin-1")]},
            )
    assert page.status_code == 200
    assert 'class="status error"' in page.text
    assert status(page) == answer.json()["message"]
    assert served.call(served.lab.certs.state) == before


def test_ca_signed_tomcat_chain_then_leaf_is_uploaded_with_restart_guidance(served):
    """Root and intermediate go to tomcat-trust, then the leaf signed for the
    pending CSR replaces tomcat and CUCM asks for a Cisco Tomcat restart."""
    lab = served.lab
    with client(served) as web_client:
        generate_tomcat_csr(web_client)
        signed = web_client.post(
            "/lab/ca/sign", data={"source": "tomcat", "behaviour": "faithful"}
        )
        files = signed_files(signed)
        root = upload(
            web_client, "tomcat-trust", files["cucm-lab-root.pem"], "Lab root"
        )
        middle = upload(web_client, "tomcat-trust", files["cucm-lab-intermediate.pem"])
        leaf = upload(web_client, "tomcat", files["tomcat-signed.pem"], "Lab signed")
        listing = table(
            web_client.get(
                "/cmplatform/certificateFindList.do",
                params={"column": "certificate", "text": "tomcat", "usage": "identity"},
            ),
            "certificates",
        )

    assert status(signed) == "The lab CA signed the CSR (faithful)"
    assert set(files) == {
        "tomcat-signed.pem", "cucm-lab-intermediate.pem", "cucm-lab-root.pem",
        "tomcat-chain.p7b",
    }  # fmt: skip
    assert status(root) == status(middle) == "Success: Certificate Uploaded"
    assert status(leaf) == "Success: Certificate Uploaded"
    assert any(
        "Cisco Tomcat" in n and "utils service restart Cisco Tomcat" in n
        for n in notes(leaf)
    )
    identity = served.call(lambda: lab.certs.stores(lab.publisher).identities["tomcat"])
    assert pem(identity.certificate) == files["tomcat-signed.pem"]
    assert identity.description == "Lab signed"
    assert "tomcat" not in served.call(lambda: lab.certs.stores(lab.publisher).csrs)
    assert next(r for r in listing[1:] if r[0] == "tomcat")[3] == "CA-signed"


def test_leaf_before_its_chain_is_refused(served):
    """A leaf whose issuers are not yet in the trust store is refused and the
    CSR stays pending."""
    with client(served) as web_client:
        generate_tomcat_csr(web_client)
        files = signed_files(
            web_client.post(
                "/lab/ca/sign", data={"source": "tomcat", "behaviour": "faithful"}
            )
        )
        before = served.call(served.lab.certs.state)
        page = upload(web_client, "tomcat", files["tomcat-signed.pem"])
    assert status(page) == "CA certificate not available in the trust store"
    assert served.call(served.lab.certs.state) == before


def test_certificate_details_show_file_data_and_download_pem_and_der(served):
    """A certificate's page shows its file data; .PEM and .DER download it."""
    lab = served.lab
    identity = served.call(lambda: lab.certs.stores(lab.publisher).identities["tomcat"])
    query = {"purpose": "tomcat", "file": "tomcat.pem"}
    with client(served) as web_client:
        details = web_client.get("/cmplatform/certificateEdit.do", params=query)
        as_pem = web_client.get(
            "/cmplatform/certificateDownload.do", params={**query, "format": "pem"}
        )
        as_der = web_client.get(
            "/cmplatform/certificateDownload.do", params={**query, "format": "der"}
        )
        missing = web_client.get(
            "/cmplatform/certificateEdit.do",
            params={"purpose": "tomcat-trust", "file": "nothing.pem"},
        )
    assert "Certificate File Data" in details.text
    assert "-----BEGIN CERTIFICATE-----" in details.text
    assert "Regenerate" in details.text and ">Delete<" not in details.text
    assert as_pem.content == pem(identity.certificate)
    assert 'filename="tomcat.pem"' in as_pem.headers["content-disposition"]
    assert as_der.content == identity.certificate.public_bytes(
        serialization.Encoding.DER
    )
    assert 'filename="tomcat.der"' in as_der.headers["content-disposition"]
    assert status(missing) == "Certificate nothing.pem does not exist in tomcat-trust"


def test_delete_asks_first_and_only_trust_certificates_can_go(served):
    """Delete asks for confirmation, removes a trust certificate, and refuses to
    delete a system generated identity certificate."""
    lab = served.lab
    root = pem(lab.ca.root)
    with client(served) as web_client:
        upload(web_client, "tomcat-trust", root)
        filename = next(
            name
            for name in served.call(
                lambda: list(lab.certs.stores(lab.publisher).trust["tomcat-trust"])
            )
            if name.startswith("cucm-lab_Root_CA")
        )
        before = served.call(lab.certs.state)
        confirm = web_client.get(
            "/cmplatform/certificateDelete.do",
            params={"purpose": "tomcat-trust", "file": filename},
        )
        unchanged = served.call(lab.certs.state)
        deleted = web_client.post(
            "/cmplatform/certificateDelete.do",
            data={"purpose": "tomcat-trust", "file": filename},
        )
        identity = web_client.post(
            "/cmplatform/certificateDelete.do",
            data={"purpose": "tomcat", "file": "tomcat.pem"},
        )
    assert "You are about to permanently delete this certificate" in status(confirm)
    assert unchanged == before
    assert status(deleted) == "Success: Certificate Deleted"
    assert filename not in served.call(
        lambda: lab.certs.stores(lab.publisher).trust["tomcat-trust"]
    )
    assert status(identity) == "System generated certificates cannot be deleted"


def test_generate_self_signed_regenerates_and_names_the_services(served):
    """Regenerating a self-signed certificate replaces it at once and lists the
    services to restart; a key length the release lacks is refused."""
    lab = served.lab
    old = served.call(lambda: lab.certs.stores(lab.publisher).identities["ipsec"])
    with client(served) as web_client:
        done = web_client.post(
            "/cmplatform/certificateGenerateNew.do", data={"purpose": "ipsec"}
        )
        before = served.call(lab.certs.state)
        refused = web_client.post(
            "/cmplatform/certificateGenerateNew.do",
            data={"purpose": "ipsec", "key_length": "abc"},
        )
    new = served.call(lambda: lab.certs.stores(lab.publisher).identities["ipsec"])
    assert status(done) == "Success: Certificate Regenerated"
    assert any("Cisco DRF Master" in n for n in notes(done))
    assert new.certificate.serial_number != old.certificate.serial_number
    assert status(refused) == "Key Length abc is not supported for ipsec"
    assert served.call(lab.certs.state) == before


def test_control_center_restart_shows_the_state_right_after_the_command(served):
    """Control Center accepts a restart at once, shows the service on its way
    and says the restart takes time; commands that change nothing are refused."""
    lab = served.lab
    tvs = "Cisco Trust Verification Service"
    with client(served) as web_client:
        restarted = web_client.post(
            "/ccmservice/networkServices", data={"service": tvs, "action": "Restart"}
        )
        rows = {r[1]: r for r in table(restarted, "services")[1:]}
        served.call(
            lambda: lab.clock.run_until(
                lambda: lab.services.get(lab.publisher, tvs).running, limit=600
            )
        )
        refreshed = {
            r[1]: r
            for r in table(web_client.get("/ccmservice/networkServices"), "services")
        }
        already = web_client.post(
            "/ccmservice/featureServices",
            data={"service": "Cisco Tftp", "action": "Start"},
        )
        unknown = web_client.post(
            "/ccmservice/featureServices",
            data={"service": "Cisco Nothing", "action": "Start"},
        )
        unselected = web_client.post(
            "/ccmservice/featureServices", data={"action": "Stop"}
        )

    assert status(restarted).startswith("Restart Operation Successful for " + tvs)
    assert rows[tvs][2] in ("Stopping", "Starting")
    assert any("will take some time" in n for n in notes(restarted))
    assert refreshed[tvs][2] == "Started"
    assert status(already) == "Cisco Tftp: Component already started"
    assert status(unknown) == "Cisco Nothing: No such service"
    assert status(unselected) == "No service selected"


def test_enterprise_parameters_reset_confirms_with_cucm_text_then_resets(served):
    """Enterprise Parameters shows the security parameters; Reset asks with
    CUCM's words and only the confirmation resets every device."""
    lab = served.lab
    resets = lambda: len(lab.journal.query(kind="phones.reboot"))  # noqa: E731
    with client(served, account="application") as web_client:
        parameters = web_client.get("/ccmadmin/enterpriseParamEdit.do")
        before = served.call(resets)
        confirm = web_client.get("/ccmadmin/enterpriseParamReset.do")
        after_confirm_page = served.call(resets)
        done = web_client.post(
            "/ccmadmin/enterpriseParamReset.do", data={"action": "reset"}
        )
        invalid = web_client.post(
            "/ccmadmin/enterpriseParamEdit.do",
            data={"rollback": "Maybe", "phone_interaction": "True"},
        )
    for label in (
        "Cluster Security Mode",
        "Prepare Cluster for Rollback to pre-8.0",
        "Phone Interaction on Certificate Update",
    ):
        assert label in parameters.text
    assert status(confirm) == RESET_TEXT
    assert after_confirm_page == before
    assert status(done) == "Reset sent to 4 devices"
    event = served.call(lambda: lab.journal.query(kind="phones.reboot")[-1])
    assert event.details == {"action": "reset", "count": 4}
    assert (
        status(invalid)
        == "Invalid value for Prepare Cluster for Rollback to pre-8.0: Maybe"
    )
    assert not served.call(lambda: lab.security.parameters.prepare_cluster_for_rollback)


def test_phone_list_and_cm_administration_belong_to_the_publisher(served):
    """Device > Phone lists every phone with its status; a subscriber sends CM
    Administration users to the publisher."""
    lab = served.lab
    subscriber = lab.cluster.subscribers[0].hostname
    with client(served, account="application") as web_client:
        phones = table(web_client.get("/ccmadmin/phoneFindList.do"), "phones")
    with client(served, subscriber, account="application") as web_client:
        elsewhere = web_client.get("/ccmadmin/enterpriseParamEdit.do")
    assert phones[0][:4] == ["Device Name", "Description", "Model", "Status"]
    assert len(phones) == 5
    assert {row[3] for row in phones[1:]} == {"Registered"}
    assert elsewhere.status_code == 404
    assert lab.publisher.fqdn in elsewhere.text


def test_lab_ca_refuses_unknown_behaviours_and_garbage_csrs(served):
    """The lab CA names its behaviours and refuses a CSR it cannot read."""
    with client(served) as web_client:
        unknown = web_client.post(
            "/lab/ca/sign", data={"source": "pasted", "behaviour": "faithfull"}
        )
        garbage = web_client.post(
            "/lab/ca/sign",
            data={"source": "pasted", "behaviour": "faithful", "csr": "garbage"},
        )
        root = web_client.get("/lab/ca/root.pem")
    assert "did you mean 'faithful'?" in status(unknown)
    assert status(garbage).startswith("CSR: ")
    assert root.content == pem(served.lab.ca.root)


def test_pages_follow_the_release_profile(make_lab):
    """Release 10.5 names trust files by common name only and has no Include OU
    option and no Phone Interaction on Certificate Update parameter."""
    lab = make_lab("10.5", subscribers=0, imp=0, phones=0, service_scale=0.05)
    with ServedLab(lab) as served:
        with client(served) as web_client:
            listing = table(
                web_client.get("/cmplatform/certificateFindList.do"), "certificates"
            )
            dialog = web_client.get("/cmplatform/certificateGenerateCsr.do")
        with client(served, account="application") as web_client:
            parameters = web_client.get("/ccmadmin/enterpriseParamEdit.do")
    assert listing[0][1] == "Common Name"
    assert "Include OU" not in dialog.text
    assert "Phone Interaction on Certificate Update" not in parameters.text


def test_login_page_signs_a_browser_in_with_a_session_cookie(served):
    """CUCM sends a browser without a session to the login page and back to the
    page it asked for once the right account signs in."""
    html = {"accept": "text/html"}
    with httpx.Client(base_url=served.url(), verify=False) as browser:
        sent = browser.get("/cmplatform/certificateFindList.do", headers=html)
        assert sent.status_code == 303
        assert sent.headers["location"].startswith("/cmplatform/login?next=")
        user, password = served.platform_auth
        wrong = browser.post(
            "/cmplatform/login", data={"j_username": user, "j_password": "nope"}
        )
        assert wrong.status_code == 401
        assert "Invalid username or password" in status(wrong)
        signed = browser.post(
            "/cmplatform/login",
            data={"j_username": user, "j_password": password,
                  "next": "/cmplatform/certificateFindList.do"},
        )  # fmt: skip
        assert signed.status_code == 303
        assert browser.get(signed.headers["location"]).status_code == 200
        assert browser.get("/ccmservice/networkServices").status_code == 200
        assert browser.get("/ccmadmin/", headers=html).status_code == 303
        browser.get("/cmplatform/logout")
        assert browser.get("/cmplatform/").status_code == 401


def test_saml_sso_enable_test_and_disable(served):
    """CUCM's SSO test fails once Tomcat presents a certificate other than the
    one in the SP metadata, until SSO is disabled and enabled again."""
    lab = served.lab
    with client(served, account="application") as admin:
        enabled = admin.post("/ccmadmin/ssoConfig.do", data={"action": "enable"})
        assert status(enabled) == "SAML SSO enabled successfully"
        assert served.call(lambda: lab.sso.enabled)
        tomcat = served.call(lambda: lab.services.get(lab.publisher, "Cisco Tomcat"))
        served.call(lambda: lab.clock.run_until(lambda: tomcat.running, limit=3600))
        host = lab.publisher.hostname
        passed = admin.post(
            "/ccmadmin/ssoConfig.do", data={"action": "test", "node": host}
        )
        assert status(passed) == f"SSO Test Succeeded on {host}"

        served.call(lambda: lab.certs.regenerate(lab.publisher, "tomcat"))
        restart_service(served, host, "Cisco Tomcat")
        failed = admin.post(
            "/ccmadmin/ssoConfig.do", data={"action": "test", "node": host}
        )
        assert "saml" in status(failed).lower()
        disabled = admin.post("/ccmadmin/ssoConfig.do", data={"action": "disable"})
        assert status(disabled) == "SAML SSO is disabled"


def test_itl_file_status_lists_phones_whose_itl_differs_from_tftp(served):
    """After the TFTP ITL changes, CUCM's phones keep their old ITL until they
    reset and accept the new one."""
    lab = served.lab
    with client(served, account="application") as admin:
        before = table(admin.get("/ccmadmin/itlFileStatus.do"), "itl-status")
        assert before[1] == ["No phones found"]
        served.call(lambda: lab.certs.regenerate(lab.publisher, "ITLRecovery"))
        for node in [n.hostname for n in lab.cluster.nodes]:
            if served.call(lambda n=node: lab.services.find(n, "Cisco Tftp")):
                restart_service(served, node, "Cisco Tftp")
        after = table(admin.get("/ccmadmin/itlFileStatus.do"), "itl-status")
        listed = after[1:]
        assert listed and all(row[5] == "Different" for row in listed)
        assert all(row[3] != row[4] for row in listed)
        phones = table(admin.get("/ccmadmin/phoneFindList.do"), "phones")
        assert phones[1][3] in ("Registered", "UnRegistered")
        assert phones[1][5].count(".") == 3
