"""RisPort70 over the network, driven by zeep with Cisco's WSDL and with ours."""

from __future__ import annotations

import httpx
import pytest
import requests
import zeep
from soap_harness import CISCO_WSDL, Listeners, Served, cisco_wsdl  # noqa: F401
from zeep.exceptions import Fault
from zeep.transports import Transport

from api.soap import risport
from api.soap.risport import QueryLimit

BINDING = "{http://schemas.cisco.com/ast/soap}RisBinding"
PATH = risport.PATH
UNLIMITED = QueryLimit(per_minute=None)


@pytest.fixture
def lab(make_lab):
    return make_lab("15", subscribers=2, imp=0, phones=12, service_scale=0.05)


def ris(limit=UNLIMITED):
    return lambda runtime, node: [risport.router(runtime, node, limit=limit)]


@pytest.fixture
def served(listeners, lab):
    return listeners.serve(lab, ris())


def cisco_ris(served, url=None, wsdl=None):
    """A zeep service as Cisco's RisPort70 sample builds it."""
    session = requests.Session()
    session.auth = served.auth
    transport = Transport(session=session)
    if wsdl is not None:
        return zeep.Client(wsdl, transport=transport).service
    client = zeep.Client(cisco_wsdl("RISService70.wsdl"), transport=transport)
    return client.create_service(BINDING, (url or served.url) + PATH)


def criteria(*items, select_by="Name", **fields):
    chosen = {
        "MaxReturnedDevices": 1000,
        "DeviceClass": "Phone",
        "Model": 255,
        "Status": "Any",
        "NodeName": "",
        "SelectBy": select_by,
        "SelectItems": {"item": [{"Item": item} for item in items or ("*",)]},
        "Protocol": "Any",
        "DownloadStatus": "Any",
    }
    chosen.update(fields)
    return chosen


def devices(reply):
    """Every CmDevice of a reply as (node, device)."""
    found = []
    for node in reply["SelectCmDeviceResult"]["CmNodes"]["item"]:
        for device in node.CmDevices.item if node.CmDevices else []:
            found.append((node.Name, device))
    return found


def test_wildcard_lists_each_phone_under_its_node(served, lab):
    """selectCmDevice with SEP* lists every phone under the node it is registered
    to, and nodes with none as NotFound."""
    reply = cisco_ris(served).selectCmDevice("", criteria("SEP*"))
    phones = served.on_loop(lambda: {p.name: p for p in lab.phones.phones})
    found = devices(reply)
    assert reply["SelectCmDeviceResult"]["TotalDevicesFound"] == len(phones) == 12
    assert {device.Name for _, device in found} == set(phones)
    for node, device in found:
        phone = phones[device.Name]
        assert node == phone.registered_to
        assert (device.Status, device.StatusReason) == ("Registered", 0)
        assert device.DirNumber == f"{phone.directory_number}-Registered"
        (address,) = device.IPAddress.item
        assert (address.IP, address.IPAddrType) == (phone.ip_address, "ipv4")
        assert address.Attribute == "Unknown"
        assert device.TimeStamp == int(lab.clock.at(phone.timestamp).timestamp())
    codes = {
        n.Name: n.ReturnCode for n in reply["SelectCmDeviceResult"]["CmNodes"]["item"]
    }
    assert codes[lab.publisher.hostname] == "NotFound"
    assert {codes[s.hostname] for s in lab.cluster.subscribers} == {"Ok"}


def test_comma_joined_names_select_each_phone(served, lab):
    """A comma-joined list of names in one Item, as ciscoris sends it, selects
    exactly those phones."""
    wanted = served.on_loop(lambda: sorted(p.name for p in lab.phones.phones[:3]))
    reply = cisco_ris(served).selectCmDevice("", criteria(",".join(wanted)))
    assert sorted(device.Name for _, device in devices(reply)) == wanted


def test_ext_answers_with_select_cm_device_response(served):
    """selectCmDeviceExt answers with the selectCmDeviceResponse element."""
    reply = cisco_ris(served).selectCmDeviceExt("", criteria("SEP*"))
    assert reply["SelectCmDeviceResult"]["TotalDevicesFound"] == 12
    raw = httpx.post(
        served.url + PATH,
        content=(
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
            'envelope/" xmlns:soap="http://schemas.cisco.com/ast/soap"><soapenv:Body>'
            "<soap:selectCmDeviceExt><soap:StateInfo/><soap:CmSelectionCriteria>"
            "<soap:SelectBy>Name</soap:SelectBy></soap:CmSelectionCriteria>"
            "</soap:selectCmDeviceExt></soapenv:Body></soapenv:Envelope>"
        ),
        auth=served.auth,
        headers={"Content-Type": "text/xml", "SOAPAction": "selectCmDeviceExt"},
    )
    assert raw.status_code == 200 and "<ns1:selectCmDeviceResponse>" in raw.text


def test_unregistered_phone_shows_under_its_primary(served, lab):
    """A phone that lost its connection is listed UnRegistered under its primary
    node with its reason, and the Status filter finds it."""
    name, primary = served.on_loop(
        lambda: (lab.phones.phones[0].name, lab.phones.phones[0].primary)
    )
    served.on_loop(lambda: lab.phones.power_off([lab.phones.get(name)]))
    reply = cisco_ris(served).selectCmDevice("", criteria(Status="UnRegistered"))
    ((node, device),) = devices(reply)
    assert (node, device.Name) == (primary, name)
    assert (device.Status, device.StatusReason) == ("UnRegistered", 6)
    assert device.DirNumber.endswith("-UnRegistered")


@pytest.mark.parametrize(
    ("select_by", "item", "count"),
    [
        ("DirNumber", "100*", 10),
        ("DirNumber", "1011", 1),
        ("IPV4Address", "*.100.1", 1),
        ("Description", "cisco 8*", None),
        ("IPV6Address", "*", 0),
    ],
)
def test_select_by_each_field(served, lab, select_by, item, count):
    """SelectBy chooses the field the items match, with * as the wildcard."""
    reply = cisco_ris(served).selectCmDevice("", criteria(item, select_by=select_by))
    if count is None:
        count = served.on_loop(
            lambda: sum(p.model.name.startswith("Cisco 8") for p in lab.phones.phones)
        )
    assert len(devices(reply)) == count


def test_filters_narrow_the_selection(served, lab):
    """Model, NodeName, DeviceClass, Protocol and MaxReturnedDevices narrow what
    RisPort70 returns."""
    service = cisco_ris(served)
    model = served.on_loop(lambda: lab.phones.phones[0].model.ris_model)
    same_model = served.on_loop(
        lambda: sum(p.model.ris_model == model for p in lab.phones.phones)
    )
    assert len(devices(service.selectCmDevice("", criteria(Model=model)))) == same_model

    node = lab.cluster.subscribers[0].hostname
    by_node = devices(service.selectCmDevice("", criteria(NodeName=node)))
    assert by_node and {n for n, _ in by_node} == {node}

    assert devices(service.selectCmDevice("", criteria(DeviceClass="Gateway"))) == []
    assert devices(service.selectCmDevice("", criteria(Protocol="SCCP"))) == []
    limited = service.selectCmDevice("", criteria(MaxReturnedDevices=5))
    assert limited["SelectCmDeviceResult"]["TotalDevicesFound"] == 5


def test_unknown_node_name_is_reported(served):
    """A NodeName that is not a node of the cluster is answered InvalidNodeName."""
    reply = cisco_ris(served).selectCmDevice("", criteria(NodeName="nosuchnode"))
    (node,) = reply["SelectCmDeviceResult"]["CmNodes"]["item"]
    assert (node.Name, node.ReturnCode) == ("nosuchnode", "InvalidNodeName")


def test_served_wsdl_drives_zeep(served):
    """The node serves RisPort70's WSDL at ?wsdl (ciscoris fetches it there) and
    zeep built from it selects devices."""
    service = cisco_ris(served, wsdl=served.url + PATH + "?wsdl")
    reply = service.selectCmDeviceExt("", criteria("SEP*"))
    assert reply["SelectCmDeviceResult"]["TotalDevicesFound"] == 12
    cti = service.selectCtiItem("", {"MaxReturnedItems": 10, "CtiMgrClass": "Provider"})
    assert cti["SelectCtiItemResult"]["TotalItemsFound"] == 0


def test_query_limit_is_per_lab_across_nodes(listeners, make_lab):
    """RisPort70 allows a number of queries per minute across the cluster and
    answers the next one with a SOAP fault."""
    lab = make_lab("15", subscribers=1, imp=0, phones=4, service_scale=0.05)
    nodes = [lab.publisher, lab.cluster.subscribers[0]]
    served = listeners.serve(lab, ris(QueryLimit(per_minute=3)), nodes)
    publisher, subscriber = (cisco_ris(served, url) for url in served.urls)
    publisher.selectCmDevice("", criteria())
    subscriber.selectCmDevice("", criteria())
    publisher.selectCmDeviceExt("", criteria())
    for service in (subscriber, publisher):
        with pytest.raises(Fault) as refused:
            service.selectCmDevice("", criteria())
        assert "Exceeded allowed rate for Realtime information" in (
            refused.value.message
        )
        assert "3 requests per minute" in refused.value.message


def test_default_limit_is_fifteen_per_minute(listeners, make_lab):
    """By default the sixteenth query within a minute is refused."""
    lab = make_lab("15", subscribers=1, imp=0, phones=2, service_scale=0.05)
    served = listeners.serve(lab, ris(QueryLimit()))
    service = cisco_ris(served)
    for _ in range(15):
        service.selectCmDevice("", criteria())
    with pytest.raises(Fault, match="15 requests per minute"):
        service.selectCmDevice("", criteria())


def test_wrong_credentials_get_tomcat_401(served):
    """Wrong credentials get Tomcat's 401 page and count as no query."""
    reply = httpx.post(
        served.url + PATH,
        content="<x/>",
        auth=("axladmin", "wrong"),
        headers={"Content-Type": "text/xml"},
    )
    assert reply.status_code == 401 and "HTTP Status 401" in reply.text
    assert reply.headers["www-authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize(
    "body",
    [
        "garbage <<",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<x>&e;</x>",
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soapenv:Body><soap:selectCmDevice xmlns:soap="http://schemas.cisco.com/'
        'ast/soap"><soap:CmSelectionCriteria><soap:Status>Sleeping</soap:Status>'
        "</soap:CmSelectionCriteria></soap:selectCmDevice></soapenv:Body>"
        "</soapenv:Envelope>",
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soapenv:Body><selectEverything/></soapenv:Body></soapenv:Envelope>",
    ],
    ids=["garbage", "external entity", "bad criteria", "unknown operation"],
)
def test_bad_input_gets_a_client_fault(served, body):
    """Unusable requests get a SOAP Client fault and the node keeps answering."""
    reply = httpx.post(
        served.url + PATH,
        content=body,
        auth=served.auth,
        headers={"Content-Type": "text/xml"},
    )
    assert reply.status_code == 500
    assert "<faultcode>soapenv:Client</faultcode>" in reply.text
    assert "root:" not in reply.text
    assert devices(cisco_ris(served).selectCmDevice("", criteria("SEP*")))
