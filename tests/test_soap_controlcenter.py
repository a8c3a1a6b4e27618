"""Control Center Services over the network, driven by zeep with Cisco's WSDL."""

from __future__ import annotations

import httpx
import pytest
import requests
import zeep
from soap_harness import CISCO_WSDL, Listeners, Served, cisco_wsdl  # noqa: F401
from zeep.transports import Transport

from api.soap import controlcenter

BINDING = "{http://schemas.cisco.com/ast/soap}ControlCenterServicesBinding"
PATH = controlcenter.PATH
TFTP, TOMCAT = "Cisco Tftp", "Cisco Tomcat"


def control_center(runtime, node):
    return [controlcenter.router(runtime, node)]


@pytest.fixture
def served(listeners, make_lab):
    lab = make_lab("15", subscribers=2, imp=0, service_scale=0.05)
    return listeners.serve(lab, control_center)


def cisco_service(served, wsdl=None):
    """A zeep service as Cisco's samples build it, pointed at the lab node."""
    session = requests.Session()
    session.auth = served.auth
    transport = Transport(session=session)
    if wsdl is not None:
        return zeep.Client(wsdl, transport=transport).service
    client = zeep.Client(cisco_wsdl("ControlCenterServices.wsdl"), transport=transport)
    return client.create_service(BINDING, served.url + PATH)


def control(service, command, names, node=""):
    request = {"NodeName": node, "ControlType": command, "ServiceList": {"item": names}}
    return service.soapDoControlServices(request)


def items(reply):
    return reply.ServiceInfoList.item if reply.ServiceInfoList else []


def states(served):
    return served.on_loop(
        lambda: {
            (s.node, s.name): (s.state.value, s.generation, s.activated)
            for s in served.lab.services
        }
    )


# -- status --------------------------------------------------------------------
def test_status_of_every_service(served):
    """An empty soapGetServiceStatus lists every service of the node with its
    state, reason, start time and uptime."""
    reply = cisco_service(served).soapGetServiceStatus([""])
    expected = served.on_loop(
        lambda: {
            s.name: (s.state.value, s.reason_code)
            for s in served.lab.services.on_node(served.lab.publisher)
        }
    )
    listed = {i.ServiceName: (i.ServiceStatus, i.ReasonCode) for i in items(reply)}
    assert reply.ReturnCode._value_1 == "0" and reply.ReasonCode == -1
    assert listed == expected
    tomcat = next(i for i in items(reply) if i.ServiceName == TOMCAT)
    assert tomcat.StartTime == "Mon Mar 02 09:00:00 2026" and tomcat.UpTime >= 0


def test_status_takes_names_repeated_or_wrapped_in_items(served):
    """soapGetServiceStatus takes one ServiceStatus per name, or names wrapped in
    item elements, and answers with just those services."""
    service = cisco_service(served)
    listed = service.soapGetServiceStatus([TFTP, TOMCAT])
    assert [i.ServiceName for i in items(listed)] == [TFTP, TOMCAT]

    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:soap="http://schemas.cisco.com/ast/soap"><soapenv:Body>'
        "<soap:soapGetServiceStatus><soap:ServiceStatus><soap:item>Cisco Tftp"
        "</soap:item></soap:ServiceStatus></soap:soapGetServiceStatus>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    reply = httpx.post(
        served.url + PATH,
        content=body,
        auth=served.auth,
        headers={"Content-Type": "text/xml", "SOAPAction": "soapGetServiceStatus"},
    )
    assert reply.status_code == 200
    assert "<ns1:ServiceName>Cisco Tftp</ns1:ServiceName>" in reply.text
    assert "Cisco Tomcat" not in reply.text


def test_unknown_service_is_reported_as_no_such_service(served):
    """A name the node has no service for is answered Unknown with -1010."""
    reply = cisco_service(served).soapGetServiceStatus(["Cisco Imaginary"])
    (item,) = items(reply)
    assert (item.ServiceStatus, item.ReasonCode) == ("Unknown", -1010)
    assert reply.ReturnCode._value_1 == "1"


# -- control -------------------------------------------------------------------
def test_restart_of_tftp_is_polled_until_started(listeners, make_lab):
    """A Restart answers Stopping at once; polling soapGetServiceStatus then sees
    the service start and end Started, with realistic restart times."""
    lab = make_lab("15", subscribers=1, imp=0, service_scale=1.0)
    served = listeners.serve(lab, control_center)
    service = cisco_service(served)
    before = served.on_loop(lambda: lab.services.get(lab.publisher, TFTP).generation)

    (item,) = items(control(service, "Restart", [TFTP]))
    assert (item.ServiceName, item.ServiceStatus, item.ReasonCode) == (
        TFTP,
        "Stopping",
        -1,
    )

    seen, polls = [], 0
    while not seen or seen[-1] != "Started":
        polls += 1
        assert polls <= 60, f"still {seen[-1]} after {polls} polls"
        start = served.on_loop(lambda: lab.clock.seconds)
        seen.append(items(service.soapGetServiceStatus([TFTP]))[0].ServiceStatus)
        assert served.on_loop(lambda: lab.clock.seconds) - start <= 5.0

    assert "Starting" in seen and polls > 2
    after = served.on_loop(lambda: lab.services.get(lab.publisher, TFTP).generation)
    assert after == before + 1


def test_tomcat_stop_and_restart_are_refused(served):
    """The SOAP API refuses to stop or restart Cisco Tomcat and points at the CLI;
    Tomcat keeps running."""
    service = cisco_service(served)
    before = states(served)
    for command in ("Stop", "Restart"):
        reply = control(service, command, [TOMCAT])
        (item,) = items(reply)
        assert reply.ReturnCode._value_1 == "1" and reply.ReasonCode == -1012
        assert f"utils service {command.lower()} Cisco Tomcat" in reply.ReasonString
        assert (item.ServiceStatus, item.ReasonCode) == ("Started", -1012)
        assert item.ReasonCodeString == "Bad arguments"
    assert states(served) == before


def test_start_of_a_started_service_is_refused_with_its_reason(served):
    """Starting a service that is already started is refused with -1039."""
    (item,) = items(control(cisco_service(served), "Start", [TFTP]))
    assert (item.ServiceStatus, item.ReasonCode) == ("Started", -1039)
    assert item.ReasonCodeString == "Component already started"


def test_empty_service_list_is_refused(served):
    """A control request naming no service is refused and changes nothing."""
    before = states(served)
    reply = control(cisco_service(served), "Restart", [])
    assert reply.ReturnCode._value_1 == "1" and reply.ReasonCode == -1012
    assert "ServiceList is empty" in reply.ReasonString
    assert states(served) == before


def test_another_node_is_refused_with_its_own_endpoint(served):
    """Control Center acts only on its own node: naming another node is refused
    and the reason gives that node's endpoint."""
    lab = served.lab
    other = lab.cluster.subscribers[0]
    before = states(served)
    reply = control(cisco_service(served), "Restart", [TFTP], node=other.hostname)
    assert reply.ReturnCode._value_1 == "1" and reply.ReasonCode == -1012
    assert f"https://{other.fqdn}:8443{PATH}" in reply.ReasonString
    assert items(reply) == [] and states(served) == before


@pytest.mark.parametrize("name", ["hostname", "fqdn", "ip_address"])
def test_own_node_may_be_named(served, name):
    """NodeName may give the node's own host name, FQDN or address."""
    own = getattr(served.lab.publisher, name)
    (item,) = items(control(cisco_service(served), "Restart", [TFTP], node=own))
    assert (item.ServiceStatus, item.ReasonCode) == ("Stopping", -1)


def test_deployment_deactivates_and_activates_a_feature_service(served):
    """UnDeploy deactivates a feature service (Service Not Activated), Deploy
    brings it back, and a network service cannot be deployed."""
    service = cisco_service(served)
    name = "Cisco CTL Provider"

    def deploy(kind, names):
        request = {"NodeName": "", "DeployType": kind, "ServiceList": {"item": names}}
        return service.soapDoServiceDeployment(request)

    assert deploy("UnDeploy", [name]).ReturnCode._value_1 == "0"
    (item,) = items(service.soapGetServiceStatus([name]))
    assert (item.ServiceStatus, item.ReasonCode) == ("Stopped", -1068)
    assert item.ReasonCodeString == "Service Not Activated"

    assert deploy("Deploy", [name]).ReturnCode._value_1 == "0"
    (item,) = items(service.soapGetServiceStatus([name]))
    assert item.ServiceStatus == "Started"

    refused = deploy("UnDeploy", [TOMCAT])
    assert refused.ReasonCode == -1012 and "network service" in refused.ReasonString


# -- what the node has ---------------------------------------------------------
def test_product_information_gives_version_and_services(served):
    """getProductInformationList gives the active version, the product and every
    service of the node."""
    reply = cisco_service(served).getProductInformationList("")
    lab = served.lab
    assert reply.ActiveServerVersion == lab.profile.active_version
    assert reply.PrimaryNode == lab.publisher.hostname
    (product,) = reply.Products.item
    assert product.ProductVersion == lab.profile.active_version
    names = [s.ServiceName for s in reply.Services.item]
    expected = served.on_loop(
        lambda: [s.name for s in lab.services.on_node(lab.publisher)]
    )
    assert names == expected
    tomcat = next(s for s in reply.Services.item if s.ServiceName == TOMCAT)
    assert tomcat.Deployable is False and tomcat.ProductID == "CallManager"


def test_static_service_list_names_every_service(served):
    """soapGetStaticServiceList lists each service with its type and group."""
    # zeep unwraps the one-field StaticServiceList down to its Services array.
    reply = cisco_service(served).soapGetStaticServiceList("")
    listed = {s.ServiceName: s for s in reply.item}
    assert listed[TFTP].ServiceType == "Service"
    assert listed[TFTP].GroupName == "CM Services" and listed[TFTP].Deployable


# -- the served WSDL -------------------------------------------------------------
def test_served_wsdl_drives_zeep(served):
    """The node serves its WSDL at ?wsdl with its own address, and zeep built from
    it controls the node."""
    wsdl = httpx.get(served.url + PATH + "?wsdl", auth=served.auth)
    assert wsdl.status_code == 200
    assert f'location="{served.url}{PATH}"' in wsdl.text
    service = cisco_service(served, wsdl=served.url + PATH + "?wsdl")
    assert items(service.soapGetServiceStatus([TFTP]))[0].ServiceStatus == "Started"
    (item,) = items(control(service, "Restart", [TFTP]))
    assert item.ServiceStatus == "Stopping"


# -- refusals before anything happens -------------------------------------------
@pytest.mark.parametrize("auth", [None, ("axladmin", "wrong"), ("nobody", "x")])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_wrong_credentials_get_tomcat_401(served, auth, method):
    """Missing or wrong credentials get Tomcat's 401 page with a Basic challenge,
    and nothing happens."""
    before = states(served)
    body = control_body("Restart", TFTP)
    reply = httpx.request(
        method,
        served.url + PATH + ("?wsdl" if method == "GET" else ""),
        content=body if method == "POST" else None,
        auth=auth,
        headers={"Content-Type": "text/xml"},
    )
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Basic realm=")
    assert "HTTP Status 401" in reply.text
    assert states(served) == before


def control_body(command, name):
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:soap="http://schemas.cisco.com/ast/soap"><soapenv:Body>'
        "<soap:soapDoControlServices><soap:ControlServiceRequest>"
        f"<soap:NodeName/><soap:ControlType>{command}</soap:ControlType>"
        f"<soap:ServiceList><soap:item>{name}</soap:item></soap:ServiceList>"
        "</soap:ControlServiceRequest></soap:soapDoControlServices>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def bad_requests(secret):
    """Requests a SOAP endpoint must refuse, each with its content type."""
    restart = control_body("Restart", TFTP)
    xml = "text/xml"
    return {
        "garbage": (b"\x00\xffnot xml at all", xml),
        "malformed": (restart[:-20].encode(), xml),
        "external entity": (
            f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
            + restart.replace(TFTP, "&s;"),
            xml,
        ),
        "entity expansion": (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + restart.replace(TFTP, "&b;"),
            xml,
        ),
        "external DTD": (
            '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">'
            + restart,
            xml,
        ),
        "JSON content type": (restart, "application/json"),
        "no envelope": ("<soapDoControlServices/>", xml),
        "SOAP 1.2 envelope": (
            restart.replace(
                "http://schemas.xmlsoap.org/soap/envelope/",
                "http://www.w3.org/2003/05/soap-envelope",
            ),
            xml,
        ),
        "empty body": ("", xml),
        "unknown operation": (restart.replace("soapDoControlServices", "soapX"), xml),
        "over 2 MB": (restart + " " * (2 * 1024 * 1024), xml),
    }


@pytest.mark.parametrize("kind", list(bad_requests("/x")))
def test_bad_input_gets_a_client_fault_and_changes_nothing(served, tmp_path, kind):
    """Unusable requests get a SOAP Client fault (HTTP 500), no entity is ever
    resolved, the lab is unchanged and the node keeps answering."""
    secret = tmp_path / "secret.txt"
    secret.write_text("LAB-SECRET-MARKER")
    body, content_type = bad_requests(secret)[kind]
    before = states(served)
    journal = served.on_loop(lambda: len(served.lab.journal))

    reply = httpx.post(
        served.url + PATH,
        content=body,
        auth=served.auth,
        headers={"Content-Type": content_type, "SOAPAction": '"soapDoControlServices"'},
        timeout=30,
    )
    assert reply.status_code == 500
    assert reply.headers["content-type"].startswith("text/xml")
    assert "<faultcode>soapenv:" in reply.text and "LAB-SECRET-MARKER" not in reply.text
    assert states(served) == before
    assert served.on_loop(lambda: len(served.lab.journal)) == journal

    status = cisco_service(served).soapGetServiceStatus([TFTP])
    assert items(status)[0].ServiceStatus == "Started"
