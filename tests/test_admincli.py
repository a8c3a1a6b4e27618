"""The admin CLI's commands, driven the way scripts drive CUCM: paramiko over SSH.

The server runs on an event loop in a thread of its own, as it does when
served; every look at the lab goes through that loop (``served.call``), never
from the test's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import paramiko
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from api.admincli import start_ssh_server
from api.runtime import LabRuntime
from emulator import Lab
from emulator.errors import CucmError

T = TypeVar("T")
PROMPT = "admin:"
PAGER = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
PASTE = "Paste the Certificate and Hit Enter\n"
PROCEED = "Proceed with regeneration (yes|no)? "
INCLUDE_OU = "Include OU in CSR (yes|no)?"
CLUSTER_SECURITY_MODE = (
    "run sql select paramname,paramvalue from processconfig "
    "where paramname='ClusterSecurityMode'"
)
CERTIFICATE_QUERY = (
    "run sql select c.servername, tcs.name, dist.moniker, c.ipv4address, "
    "c.certificate from certificate as c inner join "
    "certificateservicecertificatemap as cscm on c.pkid = cscm.fkcertificate "
    "inner join typecertificateservice as tcs on cscm.tkcertificateservice = "
    "tcs.enum inner join typecertificatedistribution as dist on "
    "c.tkcertificatedistribution = dist.enum"
)
WAIT = 60.0


def on_loop(loop: asyncio.AbstractEventLoop, job: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(job, loop).result(timeout=WAIT)


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class Console:
    """An interactive shell opened with paramiko's ``invoke_shell()``."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1",
            port,
            username=user,
            password=password,
            look_for_keys=False,
            allow_agent=False,
            timeout=WAIT,
        )
        self.channel = self.client.invoke_shell()
        self._buffer = b""
        self.banner = self.read_until(PROMPT)

    def send(self, text: str) -> None:
        self.channel.sendall(text.encode())

    def read_until(self, marker: str, timeout: float = WAIT) -> str:
        """Everything up to and including ``marker``, with CRLF read as LF."""
        wanted = marker.replace("\n", "\r\n").encode()
        deadline = time.monotonic() + timeout
        while wanted not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {marker!r} in {self._buffer!r}")
            self.channel.settimeout(left)
            try:
                chunk = self.channel.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"closed before {marker!r}: {self._buffer!r}")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(wanted)
        return (head + wanted).decode().replace("\r\n", "\n")

    def run(self, command: str, *, until: str = PROMPT) -> str:
        """Type ``command``; what follows its echo, without the final prompt."""
        self.send(command + "\n")
        echoed, _, body = self.read_until(until).partition("\n")
        assert echoed == command
        return body.removesuffix(PROMPT) if until == PROMPT else body

    def paste(self, command: str, text: str) -> str:
        """Run an import, paste ``text`` as a PEM file holds it (ending in a line
        end) and then send the bare CRLF that clients send to finish."""
        self.run(command, until=PASTE)
        self.send(text.rstrip("\n") + "\n\r\n")
        return self.read_until(PROMPT).removesuffix(PROMPT)

    def idle(self, seconds: float = 0.3) -> bool:
        """True when nothing more arrives for ``seconds``."""
        time.sleep(seconds)
        return not self.channel.recv_ready() and not self._buffer

    def close(self) -> None:
        self.client.close()


class NodeServer:
    """One node's admin CLI on an ephemeral port."""

    def __init__(self, served: Served, hostname: str, port: int) -> None:
        self.served = served
        self.hostname = hostname
        self.port = port

    def login(self, password: str | None = None) -> Console:
        credentials = self.served.runtime.credentials
        console = Console(
            self.port,
            credentials.platform_user,
            credentials.platform_password if password is None else password,
        )
        self.served.consoles.append(console)
        return console


class Served:
    """A lab on the server loop, its SSH servers, and a way to look at it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runtime: LabRuntime) -> None:
        self.loop = loop
        self.runtime = runtime
        self.nodes: dict[str, NodeServer] = {}
        self.consoles: list[Console] = []

    @property
    def publisher(self) -> NodeServer:
        return self.nodes["publisher"]

    @property
    def subscriber(self) -> NodeServer:
        return self.nodes["subscriber"]

    def call(self, action: Callable[[Lab], T]) -> T:
        """``action(lab)``, run on the loop that owns the lab."""

        async def job() -> T:
            return action(self.runtime.lab)

        return on_loop(self.loop, job())


@contextlib.contextmanager
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as a served lab's is."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ssh-loop", daemon=True)
    thread.start()
    try:
        yield loop
    finally:

        async def drain() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        on_loop(loop, drain())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@contextlib.contextmanager
def serving(
    make_lab: Callable[..., Lab], loop: asyncio.AbstractEventLoop
) -> Iterator[Served]:
    """Release 15: a publisher, one subscriber and four phones, each node's CLI
    on its own port; the lab CA has no intermediate, so its root signs leaves."""
    acceptors = []

    async def start() -> Served:
        lab = make_lab(
            "15", subscribers=1, imp=0, phones=4, ca_intermediate=False, seed=7
        )
        runtime = LabRuntime(lab)
        runtime.start()
        result = Served(loop, runtime)
        for node in lab.cluster.nodes:
            acceptor = await start_ssh_server(runtime, node, host="127.0.0.1", port=0)
            acceptors.append(acceptor)
            result.nodes[node.role] = NodeServer(
                result, node.hostname, acceptor.get_port()
            )
        return result

    result = on_loop(loop, start())
    try:
        yield result
    finally:
        for console in result.consoles:
            console.close()

        async def stop() -> None:
            for acceptor in acceptors:
                acceptor.close()
            await result.runtime.stop()

        on_loop(loop, stop())


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    with loop_thread() as running:
        yield running


@pytest.fixture
def served(
    make_lab: Callable[..., Lab], loop: asyncio.AbstractEventLoop
) -> Iterator[Served]:
    with serving(make_lab, loop) as result:
        yield result


@pytest.fixture
def admin(served: Served) -> Console:
    """The publisher's CLI with pagination off, as netmiko-style scripts begin."""
    console = served.publisher.login()
    assert console.run("set cli pagination off") == (
        "Automatic pagination is turned off\n"
    )
    return console


def publisher_state(lab: Lab) -> tuple[object, ...]:
    return lab.certs.state()


# -- certificates ---------------------------------------------------------------
def test_show_cert_list_own(served: Served, admin: Console) -> None:
    """``show cert list own`` prints one ``<unit>/<unit>.pem: <description>`` line
    per identity certificate."""
    lines = admin.run("show cert list own").splitlines()
    units = served.call(lambda lab: list(lab.certs.stores(lab.publisher).identities))
    assert [line.split("/")[0] for line in lines] == units
    assert "tomcat/tomcat.pem: Self-signed certificate generated by system" in lines
    assert (
        "CallManager/CallManager.pem: Self-signed certificate generated by system"
        in (lines)
    )


def test_show_cert_own_prints_the_fields_parsers_read(
    served: Served, admin: Console
) -> None:
    """``show cert own tomcat`` dumps serial, validity dates in CUCM's layout,
    issuer, subject and SANs, then the PEM."""
    certificate = served.call(
        lambda lab: lab.certs.stores(lab.publisher).identities["tomcat"].certificate
    )
    out = admin.run("show cert own tomcat/tomcat.pem")
    assert f"Serial Number: {certificate.serial_number:032x}" in out
    start = certificate.not_valid_before_utc.strftime("%a %b %d %H:%M:%S UTC %Y")
    assert f"\nValidity From: {start}\n" in out
    assert re.search(r"^To: \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$", out, re.M)
    fqdn = certificate.subject.rfc4514_string().split("CN=")[1].split(",")[0]
    assert f"DNS: {fqdn}" in out
    assert out.rstrip().endswith(pem(certificate).rstrip())
    assert admin.run("show cert own TOMCAT") == out


def test_show_cert_trust_and_list_trust(served: Served, admin: Console) -> None:
    """``show cert list trust`` names every ``<store>/<file>``, and ``show cert
    trust`` dumps one of them."""
    lines = admin.run("show cert list trust").splitlines()
    count = served.call(
        lambda lab: sum(len(e) for e in lab.certs.stores(lab.publisher).trust.values())
    )
    assert len(lines) == count
    name = next(line for line in lines if line.startswith("tomcat-trust/"))
    filename = name.split(": ")[0]
    assert "Serial Number:" in admin.run(f"show cert trust {filename}")
    missing = admin.run("show cert trust tomcat-trust/nothing.pem")
    assert missing == "Certificate nothing.pem does not exist in tomcat-trust\n"


def test_refusal_prints_the_message_without_a_hint(
    served: Served, admin: Console
) -> None:
    """A refused command shows CUCM's message alone, with no advice line."""
    out = admin.run("show cert own cup")
    hostname = served.publisher.hostname
    assert out == f"The cup certificate is not available on {hostname}\n"


def test_csr_gen_asks_include_ou_and_leaves_a_valid_csr(
    served: Served, admin: Console
) -> None:
    """Release 15 asks ``Include OU in CSR``; ``show csr own`` then prints a CSR
    whose signature verifies."""
    admin.run("set csr gen tomcat", until=INCLUDE_OU)
    assert admin.run("yes") == "Successfully Generated CSR for tomcat.\n"

    csr = admin.run("show csr own tomcat")
    stored = served.call(lambda lab: lab.certs.stores(lab.publisher).csrs["tomcat"].pem)
    assert csr == stored
    request = x509.load_pem_x509_csr(csr.encode())
    assert request.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert admin.run("show csr list own") == "tomcat/tomcat.csr\n"

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    checked = subprocess.run(
        [openssl, "req", "-verify", "-noout"],
        input=csr.encode(),
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert b"verify OK" in checked.stdout + checked.stderr


def test_show_csr_own_without_csr(admin: Console) -> None:
    """``show csr own`` with no CSR pending names the missing CSR file."""
    out = admin.run("show csr own tomcat")
    assert out == "The file /usr/local/platform/.security/tomcat/keys/tomcat.csr " + (
        "does not exist\n"
    )


def test_cert_regen_no_changes_nothing(served: Served, admin: Console) -> None:
    """``set cert regen`` warns, and answering no leaves the certificate alone."""
    before = served.call(publisher_state)
    warning = admin.run("set cert regen tomcat", until=PROCEED)
    assert warning == (
        "WARNING: This operation will overwrite any CA signed certificate "
        "previously imported for  tomcat\n" + PROCEED
    )
    assert admin.run("no") == ""
    assert served.call(publisher_state) == before


def test_cert_regen_yes_replaces_the_certificate(
    served: Served, admin: Console
) -> None:
    """Answering yes regenerates the unit and says which services to restart."""

    def serial(lab: Lab) -> int:
        return (
            lab.certs.stores(lab.publisher)
            .identities["tomcat"]
            .certificate.serial_number
        )

    before = served.call(serial)
    admin.run("set cert regen tomcat", until=PROCEED)
    assert admin.run("yes").splitlines() == [
        "Successfully Regenerated Certificate for tomcat.",
        "You must restart services related to tomcat for the regenerated "
        "certificates to become active.",
    ]
    assert served.call(serial) != before


def test_cert_regen_itlrecovery_has_its_own_texts(admin: Console) -> None:
    """ITLRecovery regeneration warns about the tokenless CTL first."""
    warning = admin.run("set cert regen ITLRecovery", until=PROCEED)
    assert warning.startswith("WARNING: If you are using a tokenless CTL")
    assert admin.run("yes").splitlines() == [
        "Successfully Regenerated Certificate for ITLRecovery.",
        "You must restart the services related to ITLRecovery for the "
        "regenerated certificates to become active.",
    ]


def test_import_trust_root_then_signed_leaf(served: Served, admin: Console) -> None:
    """The CA root pasted as tomcat-trust, then the CA-signed leaf pasted as
    tomcat, both import with CUCM's confirmations."""
    root = served.call(lambda lab: pem(lab.ca.root))
    out = admin.paste("set cert import trust tomcat", root)
    assert out.splitlines()[-2:] == [
        "Successfully imported certificate for tomcat.",
        "Please restart services related to tomcat for the new certificate to "
        "become active.",
    ]

    admin.run("set csr gen tomcat", until=INCLUDE_OU)
    admin.run("no")
    csr = admin.run("show csr own tomcat")
    leaf = served.call(lambda lab: lab.ca.sign(csr).pem(with_chain=False).decode())
    out = admin.paste("set cert import own tomcat", leaf.strip())
    assert out.splitlines()[-1:] == [
        "Please restart services related to tomcat for the new certificate to "
        "become active."
    ]
    assert "tomcat/tomcat.pem: Certificate Signed by cucm-lab Root CA" in (
        admin.run("show cert list own").splitlines()
    )
    installed = served.call(
        lambda lab: lab.certs.stores(lab.publisher).identities["tomcat"].certificate
    )
    assert pem(installed) == leaf


def test_import_garbage_prints_the_catalogue_text(
    served: Served, admin: Console
) -> None:
    """A pasted certificate that is not one is refused with the upload error text,
    changing nothing."""
    garbage = (
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n"
        "-----END CERTIFICATE-----"
    )

    def refusal(lab: Lab) -> str:
        with pytest.raises(CucmError) as caught:
            lab.certs.upload_identity(lab.publisher, "tomcat", garbage, channel="cli")
        return caught.value.message

    expected = served.call(refusal)
    assert expected.startswith("The uploaded file is not a valid certificate")
    before = served.call(publisher_state)
    out = admin.paste("set cert import own tomcat", garbage)
    assert out.splitlines()[-1] == expected
    assert served.call(publisher_state) == before


def test_cert_delete_asks_first(served: Served, admin: Console) -> None:
    """``set cert delete tomcat <file>`` asks before removing the trust certificate
    from every node."""
    root = served.call(lambda lab: pem(lab.ca.root))
    admin.paste("set cert import trust tomcat", root)
    filename = next(
        line.split(": ")[0].split("/")[1]
        for line in admin.run("show cert list trust").splitlines()
        if "cucm-lab_Root_CA" in line
    )
    question = "Do you wish to proceed (yes|no)? "
    admin.run(f"set cert delete tomcat {filename}", until=question)
    admin.run("no")
    admin.run(f"set cert delete tomcat-trust {filename}", until=question)
    assert admin.run("yes") == f"Successfully deleted tomcat-trust/{filename}.\n"

    def holders(lab: Lab) -> list[str]:
        return [
            node.hostname
            for node in lab.cluster.nodes
            if filename in lab.certs.stores(node).trust["tomcat-trust"]
        ]

    assert served.call(holders) == []
    assert admin.run(f"set cert delete tomcat {filename}") == (
        f"Certificate {filename} does not exist in tomcat-trust\n"
    )


def test_web_security_regenerates_tomcat(served: Served, admin: Console) -> None:
    """``set web-security`` takes quoted values, regenerates tomcat with them and
    ``show web-security`` reports them."""
    out = admin.run('set web-security "Voice Lab" "Lab Org" Springfield Oregon')
    assert out.startswith("Successfully Regenerated Certificate for tomcat.")
    assert "OrgUnit:             Voice Lab" in admin.run("show web-security")
    subject = served.call(
        lambda lab: (
            lab.certs.stores(lab.publisher).identities["tomcat"].certificate.subject
        )
    )
    assert "OU=Voice Lab" in subject.rfc4514_string()


# -- services, trust files, security ------------------------------------------------
def test_service_restart_prints_progress_in_simulated_time(
    served: Served, admin: Console
) -> None:
    """``utils service restart Cisco Tomcat`` prints STOPPING, then STARTING, then
    STARTED, and returns to the prompt once Tomcat is back."""
    before = served.call(lambda lab: lab.clock.seconds)
    lines = admin.run("utils service restart Cisco Tomcat").splitlines()
    assert lines[:2] == [
        " Don't press Ctrl-c while the service is getting RESTARTED.If Service has "
        "not Restarted Properly, execute the same Command Again",
        "Service Manager is running",
    ]
    states = [line.removeprefix("Cisco Tomcat") for line in lines[2:]]
    assert states[-1] == "[STARTED]"
    assert states[0] == "[STOPPING]"
    assert "[STARTING]" in states
    assert states == sorted(states, key=["[STOPPING]", "[STARTING]", "[STARTED]"].index)
    assert served.call(lambda lab: lab.clock.seconds) - before >= 90


def test_service_list_and_unknown_service(served: Served, admin: Console) -> None:
    """``utils service list`` frames every service's state in Service Manager's
    lines; an unknown name is refused."""
    lines = admin.run("utils service list").splitlines()
    assert lines[:4] == [
        "Requesting service status, please wait...",
        "Service Manager is running",
        "Getting list of all services",
        ">> Return code = 0",
    ]
    assert lines[-2:] == ["Primary Node =true", "Command successful"]
    assert "Cisco Tomcat[STARTED]" in lines
    assert "Cisco CallManager[STOPPED]  Service Not Activated" in lines

    admin.run("utils service stop Cisco AXL Web Service")
    assert "Cisco AXL Web Service[STOPPED]  Commanded Out of Service" in (
        admin.run("utils service list").splitlines()
    )
    assert admin.run("utils service restart Cisco Nothing").splitlines() == [
        "Executed command unsuccessfully",
        "No such service: Cisco Nothing",
    ]


def test_show_itl_on_tftp_node_and_elsewhere(served: Served, admin: Console) -> None:
    """``show itl`` dumps the ITL TFTP serves and verifies it; a node without TFTP
    has no ITL file."""
    out = admin.run("show itl")
    assert "Parse ITL File" in out
    assert out.rstrip().endswith("The ITL file was verified successfully.")
    other = served.subscriber.login()
    assert other.run("show itl").startswith("Length of ITL file: 0\n")


def test_mixed_mode_changes_cluster_security_mode(admin: Console) -> None:
    """``run sql`` reads ClusterSecurityMode 0, then 1 once ``utils ctl
    set-cluster mixed-mode`` has run, and ``show ctl`` verifies the new CTL."""
    assert admin.run(CLUSTER_SECURITY_MODE).splitlines() == [
        "paramname           paramvalue",
        "=================== ==========",
        "ClusterSecurityMode 0",
    ]
    assert "CTL File not found." in admin.run("show ctl")
    question = (
        "This operation sets the cluster to Mixed mode. Do you want to continue? (y/n):"
    )
    admin.run("utils ctl set-cluster mixed-mode", until=question)
    assert admin.run("y").splitlines() == [
        "Moving Cluster to Mixed Mode",
        "Cluster set to Mixed Mode",
        "Please Restart the TFTP and Cisco CallManager services on all nodes in the "
        "cluster that run these services",
    ]
    assert admin.run(CLUSTER_SECURITY_MODE).splitlines()[-1] == (
        "ClusterSecurityMode 1"
    )
    assert (
        admin.run("show ctl")
        .rstrip()
        .endswith("The CTL file was verified successfully.")
    )


def test_run_sql_certificate_query_and_other_sql(
    served: Served, admin: Console
) -> None:
    """The TAC certificate query lists each node's certificates; a table the lab
    lacks gets the database's error."""
    lines = admin.run(CERTIFICATE_QUERY).splitlines()
    assert lines[0].split() == [
        "servername",
        "name",
        "moniker",
        "ipv4address",
        "certificate",
    ]
    count = served.call(
        lambda lab: sum(
            len(lab.certs.stores(n).identities) for n in lab.cluster.cucm_nodes
        )
    )
    assert len(lines) == 2 + count
    assert admin.run("run sql select * from device") == (
        "206: The specified table (device) is not in the database.\n"
    )


def test_itl_reset_on_publisher_only(served: Served, admin: Console) -> None:
    """``utils itl reset localkey`` rewrites the TFTP node's ITL from the
    publisher and is refused on a subscriber."""
    out = admin.run("utils itl reset localkey")
    assert (
        f"Successfully transferred the reset ITL file to {served.publisher.hostname}"
        in (out)
    )
    signer = served.call(
        lambda lab: lab.services.get(lab.publisher, "Cisco Tftp").loaded.itl_signer  # type: ignore[attr-defined]
    )
    assert signer == "CallManager"
    other = served.subscriber.login()
    assert other.run("utils itl reset localkey") == (
        "This operation is allowed only on the publisher\n"
    )


def test_file_get_itlrecovery_exports_the_key_pair(
    served: Served, admin: Console
) -> None:
    """``file get tftp ITLRecovery.p12`` asks for the SFTP server, then exports the
    ITLRecovery pair that ``utils itl reset remotekey`` uses."""
    assert "No exported ITLRecovery key pair" in admin.run("utils itl reset remotekey")
    admin.run("file get tftp ITLRecovery.p12", until="[y/n]? ")
    admin.run("y", until="SFTP server IP: ")
    admin.run("10.0.0.5", until="SFTP server port [22]: ")
    admin.run("", until="User ID: ")
    admin.run("backup", until="Password: ")
    admin.send("secret\n")
    admin.read_until("Download directory: ")
    assert admin.run("/backups").splitlines()[-1] == "Transfer completed."
    assert served.call(lambda lab: lab.security.exported_itlrecovery is not None)
    assert "Successfully transferred" in admin.run("utils itl reset remotekey")


def test_show_version_and_network_cluster(served: Served, admin: Console) -> None:
    """``show version active`` gives the release and ``show network cluster`` one
    line per node with its role."""
    assert admin.run("show version active").splitlines()[0] == (
        "Active Master Version: 15.0.1.11900-40"
    )
    lines = admin.run("show network cluster").splitlines()
    assert f" {served.publisher.hostname} Publisher " in lines[0]
    assert f" {served.subscriber.hostname} Subscriber " in lines[1]
    assert lines[-1] == "Successful"


# -- the CLI itself ------------------------------------------------------------------
def test_pagination_on_pauses_long_listings(served: Served) -> None:
    """With pagination on, a long listing stops after a page and goes on by one
    line for <enter>, by a page for <space>, or stops for <q>."""
    total = served.call(
        lambda lab: sum(len(e) for e in lab.certs.stores(lab.publisher).trust.values())
    )
    assert 21 < total <= 41  # two pages and a line cover this lab's listing

    def listed(text: str) -> int:
        return sum(": " in line for line in text.splitlines())

    console = served.publisher.login()
    assert listed(console.run("show cert list trust", until=PAGER)) == 20
    console.send("\r")
    assert listed(console.read_until(PAGER)) == 1
    console.send(" ")
    assert listed(console.read_until(PROMPT)) == total - 21

    console.run("show cert list trust", until=PAGER)
    console.send("q")
    assert listed(console.read_until(PROMPT)) == 0


def test_pagination_off_prints_everything(admin: Console) -> None:
    """``set cli pagination off`` lets a long listing through without stopping."""
    out = admin.run("show cert list trust")
    assert PAGER not in out
    assert len(out.splitlines()) > 20


def test_unknown_and_incomplete_commands(admin: Console) -> None:
    """A command CUCM does not know fails and lists the valid keywords."""
    assert admin.run("blah") == (
        "Executed command unsuccessfully\n"
        "Invalid command. Valid commands: exit, file, quit, run, set, show, utils\n"
    )
    assert admin.run("show cert") == (
        "Executed command unsuccessfully\n"
        'Invalid command. Valid keywords after "show cert": list, own, trust\n'
    )
    assert admin.run("show cert own") == (
        "Executed command unsuccessfully\nSyntax: show cert own <unit>[/<unit>.pem]\n"
    )
    assert admin.run("") == ""
