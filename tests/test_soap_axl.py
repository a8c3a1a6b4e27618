"""AXL over the network: zeep with the lab's WSDL, raw posts in other versions."""

from __future__ import annotations

import httpx
import pytest
import requests
import zeep
from soap_harness import CISCO_WSDL, Listeners, Served, cisco_wsdl  # noqa: F401
from zeep.exceptions import Fault
from zeep.transports import Transport

from api.soap import axl, risport
from api.soap.risport import QueryLimit

RIS_BINDING = "{http://schemas.cisco.com/ast/soap}RisBinding"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def lab(make_lab):
    return make_lab("15", subscribers=2, imp=0, phones=12, service_scale=0.05)


def axl_and_ris(runtime, node):
    unlimited = QueryLimit(per_minute=None)
    return [axl.router(runtime, node), risport.router(runtime, node, limit=unlimited)]


@pytest.fixture
def served(listeners, lab):
    return listeners.serve(lab, axl_and_ris)


def session(served):
    chosen = requests.Session()
    chosen.auth = served.auth
    return Transport(session=chosen)


@pytest.fixture
def service(served):
    """AXL through zeep, built from the WSDL the node serves."""
    return zeep.Client(served.url + "/axl/?wsdl", transport=session(served)).service


def ris_status(served, name):
    client = zeep.Client(cisco_wsdl("RISService70.wsdl"), transport=session(served))
    ris = client.create_service(RIS_BINDING, served.url + risport.PATH)
    selection = {
        "MaxReturnedDevices": 1000,
        "DeviceClass": "Phone",
        "Model": 255,
        "Status": "Any",
        "NodeName": "",
        "SelectBy": "Name",
        "SelectItems": {"item": [{"Item": name}]},
    }
    reply = ris.selectCmDevice("", selection)
    for node in reply["SelectCmDeviceResult"]["CmNodes"]["item"]:
        for device in node.CmDevices.item if node.CmDevices else []:
            return device.Status, device.StatusReason
    raise AssertionError(f"RisPort70 does not list {name}")


def axl_error(fault):
    """The axlcode and axlmessage of a zeep Fault."""
    error = fault.detail.find("axlError")
    return int(error.findtext("axlcode")), error.findtext("axlmessage")


def first_phone(served):
    return served.on_loop(lambda: served.lab.phones.phones[0].name)


def test_device_reset_unregisters_the_phone_until_it_boots(served, service):
    """doDeviceReset reboots the phone: RisPort70 shows it UnRegistered with
    StatusReason 9 (callManagerReset), then Registered once it has booted."""
    name = first_phone(served)
    assert service.doDeviceReset(deviceName=name, isHardReset=True)["return"] == "true"
    assert ris_status(served, name) == ("UnRegistered", 9)

    served.on_loop(lambda: served.lab.clock.advance(600))
    assert ris_status(served, name) == ("Registered", 0)


@pytest.mark.parametrize(
    ("arguments", "bumps_config"),
    [
        ({"isHardReset": False}, False),
        ({"deviceResetType": "Restart"}, False),
        ({"deviceResetType": "Reset"}, False),
        ({"deviceResetType": "Apply Configuration"}, True),
    ],
)
def test_device_reset_types(served, service, arguments, bumps_config):
    """Reset, restart and apply configuration each reboot the phone; applying
    also pushes a configuration change."""
    name = first_phone(served)
    generation = served.on_loop(lambda: served.lab.phones.config_generation)
    service.doDeviceReset(deviceName=name, **arguments)
    assert ris_status(served, name) == ("UnRegistered", 9)
    after = served.on_loop(lambda: served.lab.phones.config_generation)
    assert (after > generation) == bumps_config


@pytest.mark.parametrize("operation", ["resetPhone", "restartPhone", "applyPhone"])
def test_phone_operations_by_name_and_uuid(served, service, operation):
    """resetPhone, restartPhone and applyPhone take the phone's name or its pkid."""
    rows = service.executeSQLQuery("select pkid, name from device")["return"]["row"]
    pkid, name = (element.text for element in rows[0])
    assert getattr(service, operation)(name=name)["return"] == "true"
    assert ris_status(served, name)[0] == "UnRegistered"

    other_pkid, other = (element.text for element in rows[1])
    getattr(service, operation)(uuid="{" + other_pkid.upper() + "}")
    assert ris_status(served, other)[0] == "UnRegistered"
    assert pkid != other_pkid


@pytest.mark.parametrize(
    "operation", ["resetEnterpriseParameters", "doEnterpriseParametersReset"]
)
def test_enterprise_parameters_reset_resets_every_phone(served, service, operation):
    """The Enterprise Parameters Reset resets every device of the cluster."""
    getattr(service, operation)()
    statuses = served.on_loop(
        lambda: {(p.status.value, p.reason) for p in served.lab.phones.phones}
    )
    assert statuses == {("UnRegistered", 9)}


def test_enterprise_parameters_apply_config_pushes_and_restarts(served, service):
    """Apply Config pushes the configuration to every device, which restarts."""
    generation = served.on_loop(lambda: served.lab.phones.config_generation)
    service.applyConfigEnterpriseParameters()
    assert served.on_loop(lambda: served.lab.phones.config_generation) > generation
    assert served.on_loop(lambda: served.lab.phones.all_registered()) is False


def test_cluster_security_mode_query(served, service):
    """The processconfig query gives ClusterSecurityMode 0, and 1 in mixed mode."""
    sql = (
        "select paramname,paramvalue from processconfig "
        "where paramname='ClusterSecurityMode'"
    )
    (row,) = service.executeSQLQuery(sql)["return"]["row"]
    assert [(e.tag, e.text) for e in row] == [
        ("paramname", "ClusterSecurityMode"),
        ("paramvalue", "0"),
    ]
    served.on_loop(served.lab.security.set_mixed_mode)
    (row,) = service.executeSQLQuery(sql)["return"]["row"]
    assert row[1].text == "1"


def test_device_query_lists_phones(served, service):
    """A device query lists the phones, filtered and ordered as asked."""
    names = served.on_loop(lambda: sorted(p.name for p in served.lab.phones.phones))
    rows = service.executeSQLQuery("select name from device;")["return"]["row"]
    assert sorted(row[0].text for row in rows) == names

    ordered = service.executeSQLQuery(
        "SELECT name, description FROM device WHERE name LIKE 'SEP%' ORDER BY name;"
    )["return"]["row"]
    assert [row[0].text for row in ordered] == names
    assert [e.tag for e in ordered[0]] == ["name", "description"]

    one = service.executeSQLQuery(f"select name from device where name = '{names[0]}'")
    assert [row[0].text for row in one["return"]["row"]] == names[:1]
    none = service.executeSQLQuery("select name from device where name = 'SEPNONE'")
    assert none["return"] is None


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("update device set description = 'x'", -201),
        ("drop table device", -201),
        ("select name from numplan", -206),
        ("select secret from device", -217),
        ("select name from device where name ~ 'x'", -201),
    ],
)
def test_other_sql_is_refused(served, service, sql, code):
    """SQL the node cannot answer gets an AXL fault with Informix's error code."""
    with pytest.raises(Fault) as refused:
        service.executeSQLQuery(sql)
    assert axl_error(refused.value)[0] == code
    assert refused.value.detail.find("axlError").findtext("request") == (
        "executeSQLQuery"
    )


def test_ccm_version(served, service):
    """getCCMVersion gives the node's active version."""
    reply = service.getCCMVersion()
    assert reply["return"]["componentVersion"]["version"] == (
        served.lab.profile.active_version
    )


def test_unknown_device_is_5007(served, service):
    """A device that does not exist is refused with AXL error 5007."""
    with pytest.raises(Fault) as refused:
        service.doDeviceReset(deviceName="SEP000000000000", isHardReset=True)
    message = "Item not valid: The specified Device was not found"
    assert refused.value.message == message
    assert axl_error(refused.value) == (5007, message)


def envelope(operation, namespace, inner=""):
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ENVELOPE}" xmlns:ns="{namespace}">'
        f"<soapenv:Body><ns:{operation}>{inner}</ns:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    )


def post(served, body, action, auth=True):
    return httpx.post(
        served.url + "/axl/",
        content=body,
        auth=served.auth if auth else None,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
    )


def test_older_axl_versions_are_answered_in_their_namespace(served):
    """A 12.5 request (ciscoaxl's default) is answered in the 12.5 namespace."""
    name = first_phone(served)
    namespace = "http://www.cisco.com/AXL/API/12.5"
    inner = f"<deviceName>{name}</deviceName><isHardReset>true</isHardReset>"
    body = envelope("doDeviceReset", namespace, inner)
    reply = post(served, body, '"CUCM:DB ver=12.5 doDeviceReset"')
    assert reply.status_code == 200
    assert f'xmlns:ns="{namespace}"' in reply.text
    assert "<ns:doDeviceResetResponse><return>true</return>" in reply.text

    unqualified = body.replace("ns:doDeviceReset", "doDeviceReset")
    reply = post(served, unqualified, "CUCM:DB ver=11.5 doDeviceReset")
    assert 'xmlns:ns="http://www.cisco.com/AXL/API/11.5"' in reply.text


def test_unknown_operation_is_an_axl_fault(served):
    """An operation the node does not offer gets an AXL fault naming it."""
    namespace = "http://www.cisco.com/AXL/API/14.0"
    reply = post(served, envelope("getPhone", namespace, "<name>x</name>"), "")
    assert reply.status_code == 500
    assert "<faultcode>soapenv:Client</faultcode>" in reply.text
    assert "<request>getPhone</request>" in reply.text
    assert "No such operation 'getPhone'" in reply.text


def test_probe_page_answers_200(served):
    """GET /axl/ answers a page saying the AXL web service is working."""
    page = httpx.get(served.url + "/axl/", auth=served.auth)
    assert page.status_code == 200 and "AXL" in page.text and "working" in page.text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_wrong_credentials_get_tomcat_401(served, method):
    """Wrong credentials get Tomcat's 401 page and no phone is reset."""
    name = first_phone(served)
    namespace = "http://www.cisco.com/AXL/API/14.0"
    body = envelope("resetPhone", namespace, f"<name>{name}</name>")
    reply = httpx.request(
        method,
        served.url + "/axl/",
        content=body if method == "POST" else None,
        auth=("axladmin", "wrong"),
        headers={"Content-Type": "text/xml"},
    )
    assert reply.status_code == 401 and "HTTP Status 401" in reply.text
    assert reply.headers["www-authenticate"] == 'Basic realm="Cisco AXL API"'
    assert ris_status(served, name) == ("Registered", 0)


@pytest.mark.parametrize(
    "kind", ["external entity", "garbage", "over 2 MB", "wrong content type"]
)
def test_bad_input_gets_a_fault_and_resets_nothing(served, tmp_path, kind):
    """Unusable requests get a SOAP Client fault, no entity is resolved, no phone
    is reset, and the node keeps answering."""
    secret = tmp_path / "secret.txt"
    secret.write_text("LAB-SECRET-MARKER")
    name = first_phone(served)
    reset = envelope(
        "resetPhone", "http://www.cisco.com/AXL/API/14.0", f"<name>{name}</name>"
    )
    body, content_type = {
        "external entity": (
            f'<!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
            + reset.replace(name, "&s;"),
            "text/xml",
        ),
        "garbage": ("\u2603 not xml", "text/xml"),
        "over 2 MB": (reset + "\n" * (3 * 1024 * 1024), "text/xml"),
        "wrong content type": (reset, "application/x-www-form-urlencoded"),
    }[kind]
    reply = httpx.post(
        served.url + "/axl/",
        content=body,
        auth=served.auth,
        headers={"Content-Type": content_type},
        timeout=30,
    )
    assert reply.status_code == 500
    assert "<faultcode>soapenv:Client</faultcode>" in reply.text
    assert "LAB-SECRET-MARKER" not in reply.text
    assert served.on_loop(lambda: served.lab.phones.all_registered())
    version = envelope("getCCMVersion", axl.AXL_NS.format(version="14.0"))
    assert post(served, version, "").status_code == 200
