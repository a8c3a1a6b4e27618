"""The administration pages in a real browser: the newcomer's Tomcat renewal.

Playwright drives the Chromium Debian packages (``apt-get install chromium``);
the test is skipped, saying why, when either is missing. Screenshots of each
step go to ``test-artifacts/screenshots/`` at the top of the checkout for a
person to look at (the folder is made by the tests and kept out of git).
"""

from __future__ import annotations

import shutil
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from served import ServedLab

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Chromium not found at /usr/bin/chromium: apt-get install chromium",
        allow_module_level=True,
    )


@pytest.fixture
def served(make_lab) -> Iterator[ServedLab]:
    lab = make_lab("15", subscribers=1, imp=0, phones=4, service_scale=0.05)
    with ServedLab(lab) as running:
        yield running


@pytest.fixture
def page(served: ServedLab) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            ignore_https_errors=True,
            accept_downloads=True,
            viewport={"width": 1366, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def presented(served: ServedLab) -> x509.Certificate:
    """The certificate the publisher's HTTPS listener presents now."""
    endpoint = served.endpoint()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((endpoint.address, endpoint.ports["https"])) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def sign_in(page: object, user: str, password: str) -> None:
    """Fill the login page the browser was sent to; it returns to the page."""
    page.get_by_label("Username").fill(user)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Login").click()  # type: ignore[attr-defined]


def test_newcomer_renews_tomcat_with_the_lab_ca_in_the_browser(served, page, tmp_path):
    """CUCM renews Tomcat with a CA in this order: Generate CSR, upload the root
    and intermediate as tomcat-trust, upload the signed leaf as tomcat, then
    restart Cisco Tomcat, after which HTTPS presents the new certificate."""
    expect = sync_api.expect
    lab = served.lab
    self_signed = presented(served)

    # The printed address: the landing page and its walkthrough.
    page.goto(served.url())
    page.get_by_role("link", name="Certificate List").first.click()
    expect(page.locator("h1")).to_have_text(
        "Cisco Unified Operating System Administration"
    )
    shot(page, "tomcat-0-login")
    sign_in(page, *served.platform_auth)
    expect(page.locator("h1")).to_have_text("Certificate List")
    expect(page.locator("#certificates")).to_contain_text("tomcat")
    expect(page.locator(".banner")).to_contain_text(lab.publisher.hostname)
    shot(page, "tomcat-1-certificate-list")

    # Generate CSR for tomcat.
    page.get_by_role("link", name="Generate CSR", exact=True).first.click()
    expect(page.locator("#status")).to_contain_text(
        "Generating a new CSR for a specific certificate type will overwrite"
    )
    page.get_by_label("Certificate Purpose**").select_option("tomcat")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status .message")).to_have_text(
        "Success: Certificate Signing Request Generated"
    )
    shot(page, "tomcat-2-generate-csr")

    # The lab dashboard signs the pending CSR; keep the files it hands back.
    page.get_by_role(
        "link", name="cucm-lab dashboard (lab only, not part of CUCM)"
    ).click()
    expect(page.locator(".lab-banner")).to_contain_text("Lab only")
    page.get_by_label("CSR", exact=True).select_option("tomcat")
    page.get_by_label("CA behaviour").select_option("faithful")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#status .message")).to_have_text(
        "The lab CA signed the CSR (faithful)"
    )
    shot(page, "tomcat-3-signed")
    files = {}
    for name in ("cucm-lab-root.pem", "cucm-lab-intermediate.pem", "tomcat-signed.pem"):
        with page.expect_download() as download:
            page.get_by_role("link", name=name, exact=True).click()
        files[name] = tmp_path / name
        download.value.save_as(files[name])

    # Upload the root and the intermediate as tomcat-trust, then the leaf.
    page.get_by_role("link", name="Upload the CA certificates as tomcat-trust").click()
    for name in ("cucm-lab-root.pem", "cucm-lab-intermediate.pem"):
        page.get_by_label("Certificate Purpose*").select_option("tomcat-trust")
        page.get_by_label("Description(friendly name)").fill(f"Lab CA {name}")
        page.get_by_label("Upload File").set_input_files(files[name])
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.locator("#status .message")).to_have_text(
            "Success: Certificate Uploaded"
        )
    page.get_by_label("Certificate Purpose*").select_option("tomcat")
    page.get_by_label("Upload File").set_input_files(files["tomcat-signed.pem"])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#status .message")).to_have_text(
        "Success: Certificate Uploaded"
    )
    expect(page.locator("#status")).to_contain_text(
        "utils service restart Cisco Tomcat"
    )
    shot(page, "tomcat-4-uploaded")
    assert presented(served) == self_signed

    # Restart Cisco Tomcat in Serviceability; the page comes back once started.
    page.get_by_role("link", name="Cisco Unified Serviceability").first.click()
    page.get_by_role("link", name="Control Center - Network Services").first.click()
    page.get_by_label("Cisco Tomcat", exact=True).check()
    page.get_by_role("button", name="Restart", exact=True).click()
    expect(page.locator("#status .message")).to_contain_text(
        "Restart Operation Successful for Cisco Tomcat"
    )
    expect(page.locator("#status")).to_contain_text("will take some time")
    # Tomcat is stopping, so the page must not depend on fetching its styles.
    display = page.locator("header.banner").evaluate("e => getComputedStyle(e).display")
    assert display == "flex"
    shot(page, "tomcat-5-tomcat-restarting")

    page.get_by_role("link", name="Refresh").click()
    expect(page.locator("body")).to_contain_text("503")
    tomcat = lab.services.get(lab.publisher, "Cisco Tomcat")
    assert served.call(lambda: lab.clock.run_until(lambda: tomcat.running, limit=3600))
    page.goto(served.url(path="/ccmservice/networkServices"))
    row = page.locator("#services tr", has_text="Cisco Tomcat").first
    expect(row.locator("td.state")).to_have_text("Started")
    shot(page, "tomcat-6-tomcat-started")

    now = presented(served)
    installed = served.call(
        lambda: lab.certs.stores(lab.publisher).identities["tomcat"]
    )
    assert now == installed.certificate
    assert now.issuer == lab.ca.intermediate.subject

    page.goto(served.url(path="/cmplatform/certificateFindList.do?text=tomcat"))
    tomcat_row = page.locator("#certificates tr", has_text="Identity").first
    expect(tomcat_row).to_contain_text("CA-signed")
    shot(page, "tomcat-7-ca-signed")


def test_callmanager_and_tvs_trap_locks_phones_on_11_5(shared_keys, tmp_path):
    """On 11.5 the ITL is signed by CallManager, so regenerating CallManager and
    TVS together and resetting the phones leaves them with "Trust List Update
    Failed"."""
    from conftest import RotatingKeys

    from api.mgmt.background import BackgroundControlPlane
    from api.mgmt.registry import LabTemplate

    expect = sync_api.expect
    template = LabTemplate(version="11.5", subscribers=1, imp=0, phones=6,
                           clock="stepped", seed=4)  # fmt: skip
    with (
        BackgroundControlPlane(lambda: RotatingKeys(shared_keys, 17)) as plane,
        sync_api.sync_playwright() as playwright,
    ):
        hosted = plane.create("trap", template)
        c = hosted.runtime.credentials
        lab = hosted.lab
        cucm = [n for n in lab.cluster.nodes if n.role != "imp"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(ignore_https_errors=True).new_page()
        dashboard = f"{plane.url}/labs/trap/dashboard"

        def node_url(node: object, path: str) -> str:
            endpoint = hosted.host.endpoints[node.hostname]  # type: ignore[attr-defined]
            return f"https://{endpoint.address}:{endpoint.ports['https']}{path}"

        def visit(url: str, user: str, password: str) -> None:
            page.goto(url)
            if "/login" in page.url:
                sign_in(page, user, password)

        for node in cucm:
            for unit in ("CallManager", "TVS"):
                path = f"/cmplatform/certificateGenerateNew.do?purpose={unit}"
                visit(node_url(node, path), c.platform_user, c.platform_password)
                page.get_by_role("button", name="Generate", exact=True).click()
                expect(page.locator("#status .message")).to_have_text(
                    "Success: Certificate Regenerated"
                )
            shot(page, f"trap-1-regenerated-{node.hostname}")
        page.goto(dashboard)
        expect(page.locator("tr.differs").first).to_be_visible()
        shot(page, "trap-2-dashboard-restart-owed")

        for node in cucm:
            for path, service in (
                ("/ccmservice/featureServices", "Cisco CallManager"),
                ("/ccmservice/featureServices", "Cisco Tftp"),
                ("/ccmservice/networkServices", "Cisco Trust Verification Service"),
            ):
                found = plane.call(lambda n=node, s=service: lab.services.find(n, s))
                if found is None or not found.activated:
                    continue
                visit(node_url(node, path), c.platform_user, c.platform_password)
                page.get_by_label(service, exact=True).check()
                page.get_by_role("button", name="Restart", exact=True).click()
                expect(page.locator("#status .message")).to_contain_text(
                    f"Restart Operation Successful for {service}"
                )
            page.goto(dashboard)
            page.get_by_role("button", name="+10 minutes").click()
        shot(page, "trap-3-restarted")

        visit(
            node_url(lab.publisher, "/ccmadmin/enterpriseParamReset.do"),
            c.application_user, c.application_password,
        )  # fmt: skip
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.locator("#status .message")).to_contain_text("Reset sent to 6")
        shot(page, "trap-4-reset")

        page.goto(dashboard)
        page.get_by_role("button", name="+1 hour").click()
        expect(page.locator("#locked-count")).to_have_text("6")
        expect(page.locator("#trust-counts")).to_contain_text(
            "Locked (Trust List Update Failed)"
        )
        expect(page.locator("#registration svg")).to_be_visible()
        shot(page, "trap-5-dashboard-locked")
        visit(
            node_url(lab.publisher, "/ccmadmin/phoneFindList.do"),
            c.application_user, c.application_password,
        )  # fmt: skip
        expect(page.locator("#phones")).to_contain_text("Trust List Update Failed")
        shot(page, "trap-6-phone-list")
        browser.close()
