"""The lab control plane: labs, nodes, clock, CA, phones, faults, journal and
snapshots over the management HTTP API, against a real server."""

from __future__ import annotations

import base64
import itertools
import json
import math
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from emulator import Lab
from emulator.pki.ca import BEHAVIOURS

_names = itertools.count(1)


@pytest.fixture
def lab(api: httpx.Client) -> Iterator[str]:
    """A small stepped lab of its own for each test: 15, one subscriber, 4 phones."""
    name = f"t{next(_names)}"
    created = api.post(
        "/labs",
        json={"name": name, "subscribers": 1, "imp": 0, "phones": 4,
              "clock": "stepped", "seed": 5},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    yield name
    api.delete(f"/labs/{name}")


def _csr(key: rsa.RSAPrivateKey, cn: str = "cucm.example.com") -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(Encoding.PEM).decode()


# -- labs ---------------------------------------------------------------------
def test_labs_are_created_listed_described_and_deleted(api):
    """A lab created from a template is listed, described with its release,
    seed, clock and credentials, refused a second time, and gone once deleted."""
    body = {"name": "workshop-a", "version": "12.5", "subscribers": 1, "imp": 0,
            "phones": 2, "seed": 42, "clock": "stepped"}  # fmt: skip
    created = api.post("/labs", json=body)
    assert created.status_code == 201
    assert created.headers["location"] == "/labs/workshop-a"
    assert "workshop-a" in [lab["name"] for lab in api.get("/labs").json()]

    described = api.get("/labs/workshop-a").json()
    assert described["version"] == "12.5" and described["seed"] == 42
    assert described["clock"]["mode"] == "stepped"
    assert described["clock"]["seconds"] == 0
    assert described["credentials"]["platform"] == {
        "user": "admin",
        "password": "Lab-42-Passw0rd",
    }
    assert described["phone_counts"] == {"Registered": 2}

    again = api.post("/labs", json=body)
    assert again.status_code == 409
    assert again.json()["detail"].startswith("name: a lab called 'workshop-a'")

    https = api.get("/labs/workshop-a/nodes").json()[0]["ports"]["https"]
    assert api.delete("/labs/workshop-a").json() == {"deleted": "workshop-a"}
    gone = api.get("/labs/workshop-a")
    assert gone.status_code == 404
    assert gone.json()["detail"].startswith("lab: no lab 'workshop-a'; labs:")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://127.0.0.1:{https}/", verify=False, timeout=5)


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"version": "9.1"}, "version", 422),
        ({"subscribers": 9}, "subscribers", 422),
        ({"secure_phones": 1.5}, "secure_phones", 422),
        ({"clock": "fast"}, "clock", 422),
        ({"speed": 0}, "speed", 422),
        ({"name": "Has Spaces"}, "name", 400),
    ],
)
def test_bad_templates_are_refused_naming_the_field(api, change, field, status):
    """A template no lab can be built from is refused with the field named, and
    no lab is created."""
    before = [lab["name"] for lab in api.get("/labs").json()]
    answer = api.post("/labs", json={"name": "bad", "phones": 0, **change})
    assert answer.status_code == status
    assert answer.json()["detail"].startswith(f"{field}: ")
    assert [lab["name"] for lab in api.get("/labs").json()] == before


def test_unknown_lab_is_404_naming_the_labs(api, lab):
    """Every path under an unknown lab answers 404 listing the labs there are."""
    for path in ("/labs/nope", "/labs/nope/clock", "/labs/nope/phones"):
        answer = api.get(path)
        assert answer.status_code == 404
        assert answer.json()["detail"].startswith("lab: no lab 'nope'; labs:")
        assert lab in answer.json()["detail"]


def test_reset_rebuilds_from_the_template_on_the_same_ports(api, lab):
    """A reset rebuilds the lab with the same seed, credentials and node ports,
    and its clock starts again."""
    nodes = api.get(f"/labs/{lab}/nodes").json()
    credentials = api.get(f"/labs/{lab}").json()["credentials"]
    api.post(f"/labs/{lab}/clock/advance", json={"seconds": 86400})
    api.post(f"/labs/{lab}/faults", json={"target": "SSO_ENABLED"})

    reset = api.post(f"/labs/{lab}/reset").json()
    assert reset["clock"]["seconds"] == 0
    assert reset["faults"] == 0 and reset["resets"] == 1
    assert reset["credentials"] == credentials
    assert api.get(f"/labs/{lab}/nodes").json() == nodes


def test_mixed_mode_template_registers_secure_phones(api):
    """A lab created in mixed mode has a CTL, and its TLS phones register."""
    created = api.post(
        "/labs",
        json={"name": "mixed", "subscribers": 1, "imp": 0, "phones": 6,
              "secure_phones": 0.5, "mixed_mode": True, "clock": "stepped"},
    )  # fmt: skip
    try:
        assert created.status_code == 201, created.text
        assert created.json()["security_mode"] == "mixed"
        phones = api.get("/labs/mixed/phones").json()["phones"]
        secure = [p for p in phones if p["secure"]]
        assert secure
        assert all(p["status"] == "Registered" and p["ctl"] for p in secure)
    finally:
        api.delete("/labs/mixed")


# -- nodes --------------------------------------------------------------------
def test_nodes_list_every_surface_port_and_the_ports_answer(api, lab):
    """Each node lists its role, names, address and ports, and the publisher's
    HTTPS port serves the certificate REST API."""
    nodes = api.get(f"/labs/{lab}/nodes").json()
    assert [n["role"] for n in nodes] == ["publisher", "subscriber"]
    for node in nodes:
        assert node["fqdn"].startswith(node["hostname"] + ".")
        assert set(node["ports"]) == {"https", "tftp_http", "ssh"}
        assert node["address"] == "127.0.0.1"

    publisher = nodes[0]
    password = api.get(f"/labs/{lab}").json()["credentials"]["platform"]["password"]
    answer = httpx.get(
        publisher["urls"]["https"]
        + "platformcom/api/v1/certmgr/config/snapshot/server",
        auth=("admin", password),
        verify=False,
    )
    assert answer.status_code == 200
    assert answer.json()["server"] == publisher["hostname"]
    itl = httpx.get(publisher["urls"]["tftp_http"] + "ITLFile.tlv")
    assert itl.status_code == 200 and itl.content


def test_one_node_with_its_services(api, lab):
    """A node found by FQDN lists its Control Center services; an unknown node is
    404 naming the nodes."""
    fqdn = api.get(f"/labs/{lab}/nodes").json()[0]["fqdn"]
    node = api.get(f"/labs/{lab}/nodes/{fqdn}").json()
    tomcat = [s for s in node["services"] if s["name"] == "Cisco Tomcat"]
    assert tomcat and tomcat[0]["state"] == "Started"

    unknown = api.get(f"/labs/{lab}/nodes/cucm99")
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("node: no node 'cucm99'; nodes: ")


# -- clock --------------------------------------------------------------------
def test_clock_advances_and_refuses_bad_jumps(api, lab):
    """The clock jumps by the seconds asked; negative, NaN and beyond twenty
    years are refused naming the field, and the clock stays where it was."""
    moved = api.post(f"/labs/{lab}/clock/advance", json={"seconds": 3600}).json()
    assert moved["seconds"] == 3600
    assert moved["instant"].startswith("2026-03-02T10:00:00")

    for bad in (-1, 21 * 365 * 86400, "soon"):
        answer = api.post(f"/labs/{lab}/clock/advance", json={"seconds": bad})
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("seconds: ")
    nan = api.post(
        f"/labs/{lab}/clock/advance",
        content=b'{"seconds": NaN}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert "finite" in nan.json()["detail"]
    assert api.get(f"/labs/{lab}/clock").json()["seconds"] == 3600


def test_run_until_a_condition(api, lab):
    """Run stops when all phones are registered again after a reset, or when a
    service has started; an unknown service is named with the node's services."""
    api.post(f"/labs/{lab}/phones/actions", json={"action": "reset", "phones": "all"})
    ran = api.post(
        f"/labs/{lab}/clock/run", json={"until": "all-phones-registered"}
    ).json()
    assert ran["reached"] and 30 < ran["clock"]["seconds"] < 600

    node = api.get(f"/labs/{lab}/nodes").json()[0]["hostname"]
    started = api.post(
        f"/labs/{lab}/clock/run",
        json={"until": "service-started", "node": node, "service": "Cisco Tomcat"},
    ).json()
    assert started["reached"]

    unknown = api.post(
        f"/labs/{lab}/clock/run",
        json={"until": "service-started", "node": node, "service": "Cisco Nothing"},
    )
    assert unknown.status_code == 404
    assert "Cisco Tomcat" in unknown.json()["detail"]
    assert api.post(f"/labs/{lab}/clock/run", json={"until": "idle"}).json()["reached"]
    missing = api.post(f"/labs/{lab}/clock/run", json={"until": "service-started"})
    assert missing.status_code == 400


def test_clock_mode_switches_between_paced_and_stepped(api, lab):
    """Paced mode follows wall time at the speed asked; stepped holds still; a
    mode or speed that does not exist is refused naming the choices."""
    paced = api.put(f"/labs/{lab}/clock/mode", json={"mode": "paced", "speed": 600})
    assert paced.json()["mode"] == "paced" and paced.json()["speed"] == 600
    time.sleep(0.3)
    stepped = api.put(f"/labs/{lab}/clock/mode", json={"mode": "stepped"}).json()
    assert stepped["mode"] == "stepped" and stepped["seconds"] > 60
    time.sleep(0.2)
    assert api.get(f"/labs/{lab}/clock").json()["seconds"] == stepped["seconds"]

    wrong = api.put(f"/labs/{lab}/clock/mode", json={"mode": "fast"})
    assert wrong.status_code == 422
    assert "'paced' or 'stepped'" in wrong.json()["detail"]
    zero = api.put(f"/labs/{lab}/clock/mode", json={"mode": "paced", "speed": 0})
    assert zero.status_code == 422 and zero.json()["detail"].startswith("speed: ")


# -- CA -----------------------------------------------------------------------
def test_ca_root_and_intermediate_download(api, lab):
    """The root and intermediate download as PEM or DER; the intermediate is
    issued by the root."""
    root = x509.load_pem_x509_certificate(api.get(f"/labs/{lab}/ca/root").content)
    der = api.get(f"/labs/{lab}/ca/intermediate", params={"format": "der"})
    assert der.headers["content-type"] == "application/pkix-cert"
    intermediate = x509.load_der_x509_certificate(der.content)
    assert intermediate.issuer == root.subject
    assert api.get(f"/labs/{lab}/ca/root", params={"format": "txt"}).status_code == 422


def test_ca_signs_under_each_behaviour(api, lab, shared_keys):
    """The CA signs faithfully, adds SANs or leaves out the intermediate when
    told, and answers the certificate in the format asked with its chain."""
    key = shared_keys[0]
    csr = _csr(key)
    faithful = api.post(f"/labs/{lab}/ca/sign", json={"csr": csr}).json()
    leaf = x509.load_pem_x509_certificate(faithful["certificate"].encode())
    assert leaf.public_key() == key.public_key()
    assert len(faithful["chain"]) == 2
    assert faithful["pkcs7"].startswith("-----BEGIN PKCS7-----")

    extra = api.post(
        f"/labs/{lab}/ca/sign",
        json={"csr": csr, "behaviour": "extra-sans", "format": "der"},
    ).json()
    extra_leaf = x509.load_der_x509_certificate(base64.b64decode(extra["certificate"]))
    sans = extra_leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert sans.value.get_values_for_type(x509.IPAddress)

    short = api.post(
        f"/labs/{lab}/ca/sign", json={"csr": csr, "behaviour": "no-intermediate"}
    ).json()
    assert len(short["chain"]) == 1


def test_ca_refuses_unknown_behaviours_and_unreadable_csrs(api, lab):
    """An unknown behaviour is refused listing every behaviour; a file that is no
    CSR is refused naming the csr field."""
    csr = _csr(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    unknown = api.post(f"/labs/{lab}/ca/sign", json={"csr": csr, "behaviour": "nice"})
    assert unknown.status_code == 400
    detail = unknown.json()["detail"]
    assert detail.startswith("behaviour: ")
    assert all(name in detail for name in BEHAVIOURS)

    garbage = api.post(f"/labs/{lab}/ca/sign", json={"csr": "hello"})
    assert garbage.status_code == 400
    assert garbage.json()["detail"].startswith("csr: ")


# -- phones -------------------------------------------------------------------
def test_phones_listed_and_filtered(api, lab):
    """Phones list with status, registration and ITL signer, and filter by
    status, model and node; an unknown status or model names the choices."""
    listed = api.get(f"/labs/{lab}/phones").json()
    assert listed["total"] == 4
    phone = listed["phones"][0]
    assert phone["name"].startswith("SEP") and phone["status"] == "Registered"
    assert phone["registered_to"] == phone["primary"]
    assert phone["itl"]["signer"] and len(phone["itl"]["sha1"]) == 40

    model = phone["model"]
    same = api.get(f"/labs/{lab}/phones", params={"model": model}).json()
    assert same["total"] >= 1 and all(p["model"] == model for p in same["phones"])
    homed = api.get(f"/labs/{lab}/phones", params={"node": phone["primary"]}).json()
    assert all(
        phone["primary"] in (p["primary"], p["registered_to"]) for p in homed["phones"]
    )
    limited = api.get(f"/labs/{lab}/phones", params={"limit": 2}).json()
    assert limited["count"] == 2 and limited["total"] == 4

    status = api.get(f"/labs/{lab}/phones", params={"status": "Happy"})
    assert status.status_code == 400
    assert "Registered, UnRegistered" in status.json()["detail"]
    bad_model = api.get(f"/labs/{lab}/phones", params={"model": "Cisco 1"})
    assert bad_model.json()["detail"].startswith("model: no model 'Cisco 1'")


def test_phone_actions_on_names_filters_and_all(api, lab):
    """Power off one phone, power it back on, erase another's ITL and reset all:
    each answers how many phones it reached, and unknown names change nothing."""
    names = [p["name"] for p in api.get(f"/labs/{lab}/phones").json()["phones"]]
    actions = f"/labs/{lab}/phones/actions"

    off = api.post(actions, json={"action": "power-off", "phones": [names[0]]})
    assert off.json() == {"action": "power-off", "selected": 1, "count": 1}
    assert api.get(f"/labs/{lab}/phones/{names[0]}").json()["powered"] is False
    unregistered = api.post(
        actions, json={"action": "power-on", "phones": {"status": "UnRegistered"}}
    )
    assert unregistered.json()["count"] == 1

    erased = api.post(actions, json={"action": "erase-itl", "phones": [names[1]]})
    assert erased.json()["count"] == 1
    assert api.get(f"/labs/{lab}/phones/{names[1]}").json()["itl"] is None

    unknown = api.post(actions, json={"action": "reset", "phones": [names[2], "SEP0"]})
    assert unknown.status_code == 404
    assert "'SEP0'" in unknown.json()["detail"]
    assert api.get(f"/labs/{lab}/phones/{names[2]}").json()["status"] == "Registered"
    bad = api.post(actions, json={"action": "reboot", "phones": "all"})
    assert bad.status_code == 422 and "factory-reset" in bad.json()["detail"]

    everyone = api.post(actions, json={"action": "factory-reset", "phones": "all"})
    assert everyone.json()["count"] == 4
    api.post(f"/labs/{lab}/clock/run", json={"until": "all-phones-registered"})
    phones = api.get(f"/labs/{lab}/phones").json()["phones"]
    assert all(p["status"] == "Registered" and p["itl"] for p in phones)


# -- faults -------------------------------------------------------------------
def test_fault_rules_added_listed_removed_and_cleared(api, lab):
    """Rules are added from the catalogue, listed, removed one by one or all at
    once; an unknown id is 404 naming the rules."""
    catalogue = {e["name"]: e for e in api.get(f"/labs/{lab}/faults/catalogue").json()}
    assert {"CSR_MISSING", "TVS_UNREACHABLE", "SERVICE_HANG"} <= set(catalogue)
    assert catalogue["CSR_MISSING"]["variants"]

    rule = api.post(
        f"/labs/{lab}/faults",
        json={"target": "SERVICE_HANG", "service": "cisco  tomcat", "count": 1},
    )
    assert rule.status_code == 201
    assert rule.json()["service"] == "Cisco Tomcat"
    api.post(f"/labs/{lab}/faults", json={"target": "CSR_MISSING", "probability": 0.5})
    assert len(api.get(f"/labs/{lab}/faults").json()) == 2

    removed = api.delete(f"/labs/{lab}/faults/{rule.json()['id']}")
    assert removed.json()["removed"]["target"] == "SERVICE_HANG"
    again = api.delete(f"/labs/{lab}/faults/{rule.json()['id']}")
    assert again.status_code == 404 and again.json()["detail"].startswith("id: ")
    assert api.delete(f"/labs/{lab}/faults").json() == {"removed": 1}
    assert api.get(f"/labs/{lab}/faults").json() == []


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"target": "NOT_A_FAULT"}, "target"),
        ({"target": "CSR_MISSING", "probability": 1.5}, "probability"),
        ({"target": "CSR_MISSING", "probability": -0.1}, "probability"),
        ({"target": "CSR_MISSING", "count": 0}, "count"),
        ({"target": "CSR_MISSING", "node": "cucm99"}, "node"),
        ({"target": "CSR_MISSING", "unit": "tomcats"}, "unit"),
        ({"target": "SERVICE_HANG", "service": "Cisco Nothing"}, "service"),
        ({"target": "ITL_REJECTED", "phones": ["SEP000000000000"]}, "phones"),
        ({"target": "CSR_MISSING", "variant": "shouting"}, "variant"),
        ({"target": "CSR_MISSING", "unit": "tomcat"}, "target"),  # overlaps
    ],
)
def test_bad_fault_rules_name_the_field(api, lab, rule, field):
    """A rule with a bad field is refused naming it, and the plan is unchanged."""
    api.post(f"/labs/{lab}/faults", json={"target": "CSR_MISSING", "unit": "tomcat"})
    before = api.get(f"/labs/{lab}/faults").json()
    answer = api.post(f"/labs/{lab}/faults", json=rule)
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(f"{field}: ")
    assert api.get(f"/labs/{lab}/faults").json() == before


INJECTED_UPLOAD_ERRORS = [
    "CA_CERT_NOT_IN_TRUST_STORE",
    "CSR_MISSING",
    "CSR_PUBLIC_KEY_MISMATCH",
    "CSR_SAN_MISMATCH",
    "WILDCARD_NOT_SUPPORTED",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_NOT_YET_VALID",
]


@pytest.mark.parametrize("code", INJECTED_UPLOAD_ERRORS)
def test_injected_upload_error_reads_like_the_natural_one_over_rest(api, lab, code):
    """An upload error injected through the control plane fails a correct upload
    on the node's REST API with CUCM's own text, once; the retry succeeds."""
    node = api.get(f"/labs/{lab}/nodes").json()[0]
    password = api.get(f"/labs/{lab}").json()["credentials"]["platform"]["password"]
    rest = httpx.Client(
        base_url=node["urls"]["https"] + "platformcom/api/v1/certmgr/config",
        auth=("admin", password),
        verify=False,
    )
    with rest:
        csr = rest.post("/csr", json={"service": "tomcat"}).json()["csr"]
        chain = [
            api.get(f"/labs/{lab}/ca/intermediate").text,
            api.get(f"/labs/{lab}/ca/root").text,
        ]
        trusted = rest.post(
            "/trust/certificates",
            json={"service": ["tomcat"], "certificates": chain[::-1]},
        )
        assert trusted.status_code == 200, trusted.text
        issued = api.post(f"/labs/{lab}/ca/sign", json={"csr": csr}).json()
        api.post(
            f"/labs/{lab}/faults",
            json={"target": code, "unit": "tomcat", "count": 1},
        )
        upload = {"service": "tomcat", "certificates": [issued["certificate"]]}
        refused = rest.post("/identity/certificates", json=upload)
        assert refused.status_code == 400
        assert refused.json()["code"] == code
        if code in TEXTS:
            assert refused.json()["message"] == TEXTS[code]
        assert rest.post("/identity/certificates", json=upload).status_code == 200

    fired = api.get(f"/labs/{lab}/journal", params={"kind": "fault.fired"}).json()
    assert fired["count"] == 1 and fired["events"][0]["injected"]


#: The natural texts on 15 (tests/test_catalogue.py produces each naturally).
TEXTS = {
    "CA_CERT_NOT_IN_TRUST_STORE": "CA certificate not available in the trust store",
    "CSR_MISSING": "The file /usr/local/platform/upload/certs//tomcat.der could not "
    "be uploaded.",
    "CSR_PUBLIC_KEY_MISMATCH": "CSR Public Key and Certificate Public Key do not match",
    "CSR_SAN_MISMATCH": "CSR SAN and Certificate SAN does not match",
    "WILDCARD_NOT_SUPPORTED": "Wildcard certificates are not supported",
    "CERTIFICATE_EXPIRED": "The certificate has expired and cannot be uploaded",
}


# -- journal ------------------------------------------------------------------
def test_journal_query_by_kind_node_phone_time_and_page(api, lab):
    """The journal answers events by kind prefix, node, phone and time, a page
    at a time; an unknown node or unreadable time is refused naming the field."""
    journal = f"/labs/{lab}/journal"
    created = api.get(journal, params={"kind": "lab"}).json()
    assert [e["kind"] for e in created["events"]] == ["lab.created"]

    phone = api.get(f"/labs/{lab}/phones").json()["phones"][0]["name"]
    api.post(f"/labs/{lab}/clock/advance", json={"seconds": 60})
    api.post(
        f"/labs/{lab}/phones/actions", json={"action": "power-off", "phones": [phone]}
    )
    mine = api.get(journal, params={"phone": phone.lower()}).json()
    assert [e["kind"] for e in mine["events"]] == ["phone.unregistered", "phone.power"]
    assert all(e["subject"] == phone for e in mine["events"])
    later = api.get(journal, params={"since": 30}).json()
    assert later["events"] and all(e["seconds"] >= 30 for e in later["events"])
    instant = api.get(journal, params={"until": "2026-03-02T09:00:30Z"}).json()
    assert all(e["seconds"] <= 30 for e in instant["events"])

    page = api.get(journal, params={"limit": 2}).json()
    assert page["count"] == 2 and page["next_after"] == 1
    rest = api.get(journal, params={"after": page["next_after"]}).json()
    assert rest["events"][0]["seq"] == 2

    node = api.get(journal, params={"node": "cucm99"})
    assert node.status_code == 404 and node.json()["detail"].startswith("node: ")
    when = api.get(journal, params={"since": "yesterday"})
    assert when.status_code == 400 and when.json()["detail"].startswith("since: ")


def _events(lines: Iterator[str], wanted: int, deadline: float) -> list[dict]:
    found = []
    for line in lines:
        if line.startswith("data: "):
            found.append(json.loads(line[6:]))
            if len(found) == wanted:
                break
        if time.monotonic() > deadline:
            break
    return found


def test_journal_stream_replays_then_follows(api, plane, lab):
    """The event stream replays the events after ``after`` and then sends each
    new event as it happens, with keepalive comments in between."""
    phone = api.get(f"/labs/{lab}/phones").json()["phones"][0]["name"]
    stream = f"{plane.url}/labs/{lab}/journal/stream"

    def power_off_soon() -> None:
        time.sleep(0.3)
        with httpx.Client(base_url=plane.url) as other:
            other.post(
                f"/labs/{lab}/phones/actions",
                json={"action": "power-off", "phones": [phone]},
            )

    threading.Thread(target=power_off_soon, daemon=True).start()
    params = {"after": -1, "keepalive": 0.1}
    with httpx.stream("GET", stream, params=params, timeout=10) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.iter_lines()
        replayed = _events(lines, 1, time.monotonic() + 10)
        assert replayed[0]["seq"] == 0
        seen: list[str] = []
        deadline = time.monotonic() + 10
        while "phone.power" not in seen and time.monotonic() < deadline:
            seen += [e["kind"] for e in _events(lines, 1, deadline)]
    assert "phone.power" in seen


def test_journal_stream_ends_when_its_lab_is_deleted(api, plane):
    """A stream of a lab that is deleted sends an end event and closes."""
    api.post("/labs", json={"name": "brief", "subscribers": 0, "imp": 0, "phones": 0})
    stream = f"{plane.url}/labs/brief/journal/stream"
    with httpx.stream("GET", stream, params={"keepalive": 0.1}, timeout=10) as answer:
        api.delete("/labs/brief")
        lines = list(answer.iter_lines())
    assert "event: end" in lines


# -- snapshots ----------------------------------------------------------------
needs_snapshots = pytest.mark.skipif(
    not hasattr(Lab, "save_snapshot"),
    reason="the model has no Lab.save_snapshot yet (snapshots are being added)",
)


@needs_snapshots
def test_snapshot_restore_rewinds_phones_and_journal(api, lab):
    """Restoring a snapshot gives back the phones and the journal position of
    the moment it was saved; an unknown snapshot is 404 naming the snapshots."""
    saved = api.post(f"/labs/{lab}/snapshots", json={"name": "before"})
    assert saved.status_code == 201
    position = api.get(f"/labs/{lab}").json()["journal"]
    api.post(
        f"/labs/{lab}/phones/actions", json={"action": "power-off", "phones": "all"}
    )
    api.post(f"/labs/{lab}/clock/advance", json={"seconds": 600})
    assert api.get(f"/labs/{lab}").json()["phone_counts"] == {"UnRegistered": 4}

    restored = api.post(f"/labs/{lab}/snapshots/before/restore")
    assert restored.status_code == 200
    after = api.get(f"/labs/{lab}").json()
    assert after["phone_counts"] == {"Registered": 4}
    assert after["journal"] == position + 1  # the restore itself is journalled
    assert math.isclose(after["clock"]["seconds"], saved.json()["seconds"])
    assert [s["name"] for s in api.get(f"/labs/{lab}/snapshots").json()] == ["before"]

    missing = api.post(f"/labs/{lab}/snapshots/after/restore")
    assert missing.status_code == 404
    assert "before" in missing.json()["detail"]


@needs_snapshots
def test_restore_gives_back_the_certificate_https_presents(api, plane, lab):
    """After a restore the node's HTTPS port presents the tomcat certificate the
    snapshot's Tomcat had loaded, not the one loaded since."""
    port = api.get(f"/labs/{lab}/nodes").json()[0]["ports"]["https"]
    before = ssl.get_server_certificate(("127.0.0.1", port))
    api.post(f"/labs/{lab}/snapshots", json={"name": "before"})

    def regenerate_and_restart() -> bool:
        served = plane.registry.get(lab).lab
        served.certs.regenerate(served.publisher, "tomcat")
        control = served.services.get(served.publisher, "Cisco Tomcat").restart()
        return served.clock.run_until(lambda: control.finished, limit=3600)

    assert plane.call(regenerate_and_restart)
    assert ssl.get_server_certificate(("127.0.0.1", port)) != before
    api.post(f"/labs/{lab}/snapshots/before/restore")
    assert ssl.get_server_certificate(("127.0.0.1", port)) == before


# -- the API itself -----------------------------------------------------------
def test_openapi_description_and_docs_pages(api):
    """The control plane describes itself in OpenAPI and serves its pages at /docs."""
    paths = api.get("/openapi.json").json()["paths"]
    assert "/labs/{lab}/clock/advance" in paths
    assert "/labs/{lab}/journal/stream" in paths
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
