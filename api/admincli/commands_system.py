"""Platform commands: services, cluster security, trust files and the system.

``utils service`` prints a service's state every five simulated seconds
until it settles, through ``runtime.sleep``: in stepped mode the clock jumps
and the whole restart prints at once, in paced mode the administrator
watches it take its time, as on a real node. The ITL and CTL dumps come from
what Cisco TFTP loaded, not from what is installed, since ``show itl`` reads
the file the node serves. ``run sql`` answers the few queries procedures use
(reference cucm-interfaces.md section 5, cucm-certificates-and-trust.md 4.1)
and refuses the rest with the database's own kind of error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    pkcs12,
)

from emulator import Lab, errors
from emulator.certstore import IdentityCertificate
from emulator.errors import CucmError
from emulator.services import Control, Service, ServiceState
from emulator.services.catalogue import ReasonCode
from emulator.tftp import TftpFiles
from emulator.trustfiles import render_ctl, render_itl

if TYPE_CHECKING:
    from api.admincli.shell import AdminShell, Handler

TFTP = "Cisco Tftp"
SERVICE_MANAGER = "Service Manager is running"
RESTART_WARNING = (
    " Don't press Ctrl-c while the service is getting RESTARTED.If Service has "
    "not Restarted Properly, execute the same Command Again"
)
#: Simulated seconds between two progress lines of ``utils service``.
POLL_SECONDS = 5.0
#: Give up printing progress after this long; the command can be run again.
POLL_LIMIT = 3600.0
RESTART_TFTP_CCM = (
    "Please Restart the TFTP and Cisco CallManager services on all nodes in the "
    "cluster that run these services"
)
MIXED_MODE_QUESTION = (
    "This operation sets the cluster to Mixed mode. Do you want to continue? (y/n):"
)
NON_SECURE_QUESTION = (
    "This operation will set the cluster to non secure mode. "
    "Do you want to continue? (y/n):"
)


# -- services ------------------------------------------------------------------
def _status(service: Service, reason: str | None = None) -> str:
    line = f"{service.name}[{service.state.value.upper()}]"
    if reason is None and service.state is ServiceState.STOPPED:
        reason = service.reason_string
    return f"{line}  {reason}" if reason else line


async def utils_service_list(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    services = shell.lab.services.on_node(shell.node)
    primary = str(shell.node.is_publisher).lower()
    await shell.show(
        [
            "Requesting service status, please wait...",
            SERVICE_MANAGER,
            "Getting list of all services",
            ">> Return code = 0",
            *(_status(s) for s in services),
            f"Primary Node ={primary}",
            "Command successful",
        ]
    )


async def _control(
    shell: AdminShell, args: str, command: Callable[[Service], Control]
) -> None:
    name = " ".join(args.split())
    if not name:
        shell.usage()
    service = shell.lab.services.find(shell.node, name)
    if service is None:
        shell.refuse(f"{ReasonCode.NO_SUCH_SERVICE.text}: {name}")
        return

    if command is Service.restart:
        shell.say(RESTART_WARNING)
    shell.say(SERVICE_MANAGER)
    control = command(service)
    if not control.accepted:
        shell.say(_status(service, control.reason_string))
        return
    waited = 0.0
    while not control.finished and waited < POLL_LIMIT:
        shell.say(_status(service))
        await shell.runtime.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
    shell.say(_status(service))


async def utils_service_start(shell: AdminShell, args: str) -> None:
    await _control(shell, args, Service.start)


async def utils_service_stop(shell: AdminShell, args: str) -> None:
    await _control(shell, args, Service.stop)


async def utils_service_restart(shell: AdminShell, args: str) -> None:
    await _control(shell, args, Service.restart)


# -- ITL and CTL -----------------------------------------------------------------
def _tftp_files(shell: AdminShell) -> TftpFiles | None:
    """The files this node's TFTP serves, or None on a node without TFTP."""
    service = shell.lab.services.find(shell.node, TFTP)
    if service is None or not service.activated:
        return None
    loaded = service.loaded
    return loaded if isinstance(loaded, TftpFiles) else None


async def show_itl(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    files = _tftp_files(shell)
    if files is None:
        await shell.show(render_itl(None, modified=shell.lab.clock.now))
        return
    await shell.show(render_itl(files.itl.raw, modified=files.built_at))


async def show_ctl(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    ctl = shell.lab.security.ctl
    if ctl is None or _tftp_files(shell) is None:
        await shell.show(render_ctl(None, modified=shell.lab.clock.now))
        return
    written = datetime.fromtimestamp(ctl.parsed.header.timestamp, UTC)
    await shell.show(render_ctl(ctl.raw, modified=written))


def _publisher_only(shell: AdminShell, action: str) -> None:
    if not shell.node.is_publisher:
        raise CucmError(
            errors.PUBLISHER_ONLY,
            shell.profile,
            action=action,
            publisher=shell.lab.publisher.hostname,
        )


async def utils_ctl_mixed_mode(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    _publisher_only(shell, "set the cluster to mixed mode")
    if not await shell.confirm(MIXED_MODE_QUESTION, short=True):
        return
    shell.say("Moving Cluster to Mixed Mode")
    shell.lab.security.set_mixed_mode()
    shell.say("Cluster set to Mixed Mode", RESTART_TFTP_CCM)


async def utils_ctl_non_secure_mode(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    _publisher_only(shell, "set the cluster to non secure mode")
    if not await shell.confirm(NON_SECURE_QUESTION, short=True):
        return
    shell.say("Moving Cluster to Non Secure Mode")
    shell.lab.security.set_non_secure_mode()
    shell.say("Cluster set to Non Secure Mode", RESTART_TFTP_CCM)


async def utils_ctl_update(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    _publisher_only(shell, "update the CTL file")
    shell.say("Updating CTL file")
    shell.lab.security.update_ctl()
    shell.say("CTL file Updated", RESTART_TFTP_CCM)


async def utils_ctl_reset_localkey(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    _publisher_only(shell, "reset the CTL file")
    shell.say("Updating CTL file with the CallManager key")
    shell.lab.security.reset_ctl_localkey()
    shell.say("CTL file Updated", RESTART_TFTP_CCM)


async def _reset_itl(shell: AdminShell, *, remote: bool) -> None:
    _publisher_only(shell, "reset the ITL file")
    security = shell.lab.security
    if remote and security.exported_itlrecovery is None:
        shell.refuse(
            "No exported ITLRecovery key pair found; run "
            "'file get tftp ITLRecovery.p12' first"
        )
        return
    shell.say("Generating the reset ITL file......")
    rewritten = security.reset_itl(remote=remote)
    if not rewritten:
        shell.refuse(f"{TFTP} is not running on any node of the cluster")
        return
    shell.say(
        "The reset ITL file was generated successfully",
        "",
        "Locating the corresponding nodes of the cluster....",
        "Transferring the reset ITL file to the corresponding nodes of the cluster....",
        *(f"Successfully transferred the reset ITL file to {h}" for h in rewritten),
    )


async def utils_itl_reset_localkey(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    await _reset_itl(shell, remote=False)


async def utils_itl_reset_remotekey(shell: AdminShell, args: str) -> None:
    # The SFTP location the pair was exported to may be named; the lab keeps
    # the pair that ``file get tftp ITLRecovery.p12`` exported, wherever.
    shell.words(args, 0, 3)
    await _reset_itl(shell, remote=True)


async def file_get_tftp(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    if name.casefold() != "itlrecovery.p12":
        shell.say("No files matched filter criteria.")
        return
    publisher = shell.lab.publisher
    identity = shell.lab.certs.stores(publisher).identities["ITLRecovery"]
    size = len(
        pkcs12.serialize_key_and_certificates(
            b"ITLRecovery", identity.key, identity.certificate, None, NoEncryption()
        )
    )
    shell.say(
        "Please wait while the system is gathering files info ...done.",
        "Sub-directories were not traversed.",
        "Number of files affected: 1",
        f"Total size in Bytes: {size}",
        f"Total size in Kbytes: {size / 1024:.2f}",
    )
    if not await shell.confirm("Would you like to proceed [y/n]? ", short=True):
        return
    await shell.ask("SFTP server IP: ")
    await shell.ask("SFTP server port [22]: ")
    await shell.ask("User ID: ")
    await shell.ask("Password: ", secret=True)
    await shell.ask("Download directory: ")
    shell.lab.security.export_itlrecovery()
    shell.say(".", "Transfer completed.")


# -- system ----------------------------------------------------------------------
async def show_version_active(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    shell.say(
        f"Active Master Version: {shell.profile.active_version}",
        "Active Version Installed Software Options:",
        "No Installed Software Options Found.",
    )


async def show_network_cluster(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    lab = shell.lab
    since = lab.installed_at.strftime("%a %b %d %H:%M:%S %Y")
    lines = []
    for node in lab.cluster.nodes:
        role = "Publisher" if node.is_publisher else "Subscriber"
        kind = "callmanager" if node.is_cucm else "cups"
        database = "DBPub authenticated" if node.is_publisher else "DBSub authenticated"
        if node != shell.node:
            database += f" using TCP since {since}"
        lines.append(
            f"{node.ip_address} {node.fqdn} {node.hostname} {role} {kind} {database}"
        )
    lines += ["", "Server Table (processnode) Entries", "-" * 34]
    lines += [node.fqdn for node in lab.cluster.cucm_nodes]
    await shell.show([*lines, "", "Successful"])


async def run_sql_command(shell: AdminShell, args: str) -> None:
    if not args.strip():
        shell.usage()
    await shell.show(run_sql(shell.lab, args))


def _normal(query: str) -> str:
    """One spelling per query: single spaces, none around commas or ``=``."""
    text = " ".join(query.split()).rstrip(";").rstrip()
    return re.sub(r" ?([,=]) ?", r"\1", text)


_PROCESSCONFIG = re.compile(
    r"select paramname,paramvalue from processconfig(?: where paramname='([^']*)')?",
    re.IGNORECASE,
)
_CERTIFICATES = _normal(
    "select c.servername, tcs.name, dist.moniker, c.ipv4address, c.certificate "
    "from certificate as c inner join certificateservicecertificatemap as cscm "
    "on c.pkid = cscm.fkcertificate inner join typecertificateservice as tcs "
    "on cscm.tkcertificateservice = tcs.enum inner join "
    "typecertificatedistribution as dist on c.tkcertificatedistribution = dist.enum"
)
#: Tables the lab's database knows; a query naming another gets error 206.
_TABLES = frozenset(
    {
        "processconfig",
        "certificate",
        "certificateservicecertificatemap",
        "typecertificateservice",
        "typecertificatedistribution",
    }
)
_FROM = re.compile(r"\b(?:from|join) (\w+)", re.IGNORECASE)


def run_sql(lab: Lab, query: str) -> list[str]:
    """What ``run sql`` prints for ``query``: a table, or Informix's error."""
    text = _normal(query)
    match = _PROCESSCONFIG.fullmatch(text)
    if match is not None:
        wanted = match.group(1)
        mode = str(lab.security.parameters.cluster_security_mode)
        parameters = {"ClusterSecurityMode": mode}
        rows = [(k, v) for k, v in parameters.items() if wanted in (None, k)]
        return _table(("paramname", "paramvalue"), rows)
    if text.casefold() == _CERTIFICATES:
        # Identity certificates only: which moniker CUCM gives a trust
        # certificate is not documented, so the lab does not make one up.
        columns = ("servername", "name", "moniker", "ipv4address", "certificate")
        return _table(
            columns,
            [
                (node.hostname, unit, mine.distribution, node.ip_address, _body(mine))
                for node in lab.cluster.cucm_nodes
                for unit, mine in lab.certs.stores(node).identities.items()
            ],
        )
    for table in _FROM.findall(text):
        if table.casefold() not in _TABLES:
            return [f"206: The specified table ({table}) is not in the database."]
    return ["201: A syntax error has occurred."]


def _body(identity: IdentityCertificate) -> str:
    """The PEM without its armour, on one line, as the column holds it."""
    pem = identity.certificate.public_bytes(Encoding.PEM).decode()
    return "".join(pem.splitlines()[1:-1])


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Informix's layout: each column as wide as its widest value, ``=`` rules."""
    widths = [
        max([len(name), *(len(row[i]) for row in rows)])
        for i, name in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        return " ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(columns), line(["=" * w for w in widths]), *map(line, rows)]


COMMANDS: tuple[tuple[str, Handler], ...] = (
    ("utils service list", utils_service_list),
    ("utils service start <service name>", utils_service_start),
    ("utils service stop <service name>", utils_service_stop),
    ("utils service restart <service name>", utils_service_restart),
    ("show itl", show_itl),
    ("show ctl", show_ctl),
    ("utils ctl set-cluster mixed-mode", utils_ctl_mixed_mode),
    ("utils ctl set-cluster non-secure-mode", utils_ctl_non_secure_mode),
    ("utils ctl update CTLFile", utils_ctl_update),
    ("utils ctl reset localkey", utils_ctl_reset_localkey),
    ("utils itl reset localkey", utils_itl_reset_localkey),
    (
        "utils itl reset remotekey [server] [user] [directory]",
        utils_itl_reset_remotekey,
    ),
    ("file get tftp <file>", file_get_tftp),
    ("show version active", show_version_active),
    ("show network cluster", show_network_cluster),
    ("run sql <query>", run_sql_command),
)
