"""The ``cucm-lab`` command.

``serve`` runs a server: the default lab's nodes and the management API
beside them. ``ca``, ``status`` and ``faults`` are clients of that API
(:mod:`api.mgmt.commands`). The server's stack (FastAPI, uvicorn, the SSH
server, the model) is imported only by ``serve``, so the client commands
answer quickly.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.mgmt import DEFAULT_PORT, commands
from api.scenarios.cli import scenario_app

if TYPE_CHECKING:
    from api.keypool import BackgroundKeyPool
    from api.mgmt.registry import HostedLab, LabTemplate
    from emulator import Lab

#: Release profiles, for --help without importing the model.
RELEASES = ("10.5", "11.5", "12.5", "14", "15")

app = typer.Typer(
    help="A simulated Cisco Unified Communications Manager cluster for lab work.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(scenario_app, name="scenario")
# A pipe or a log gets wide tables rather than truncated addresses.
console = Console(width=None if sys.stdout.isatty() else 140)


def _pool(state_dir: Path, subscribers: int, imp: int) -> BackgroundKeyPool:
    """The state directory's key pool, with the first lab's shortfall generated
    now (a cold start) behind a progress bar; the rest fills in the background."""
    from api.keypool import BackgroundKeyPool, keys_for

    pool = BackgroundKeyPool.open(state_dir)
    needed = keys_for(subscribers=subscribers, imp=imp, first=True)
    missing = needed - pool.available
    if missing > 0:
        with Progress(
            TextColumn("Generating RSA keys"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("keys", total=missing)
            pool.fill(needed, progress=lambda: progress.advance(task))
    return pool


def _print_lab(lab: Lab) -> None:
    from emulator.pki.encoding import common_name

    certs = Table(title="Identity certificates")
    for column in ("Node", "Unit", "Common Name", "Issued by", "Expires"):
        certs.add_column(column)
    for node in lab.cluster.nodes:
        for unit, identity in sorted(lab.certs.stores(node).identities.items()):
            cert = identity.certificate
            certs.add_row(
                node.hostname,
                unit,
                common_name(cert.subject),
                common_name(cert.issuer),
                cert.not_valid_after_utc.strftime("%Y-%m-%d"),
            )
    console.print(certs)


@app.command()
def serve(
    version: Annotated[
        str, typer.Option(help=f"Release profile: {', '.join(RELEASES)}.")
    ] = "15",
    subscribers: Annotated[int, typer.Option(min=0, max=8)] = 2,
    imp: Annotated[int, typer.Option(min=0, max=6, help="IM&P nodes.")] = 1,
    phones: Annotated[int, typer.Option(min=0, max=40_000)] = 50,
    secure_phones: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of phones using TLS.")
    ] = 0.0,
    mixed_mode: Annotated[
        bool, typer.Option(help="Start the cluster in mixed mode (tokenless CTL).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for every random draw.")] = 1,
    speed: Annotated[
        float, typer.Option(min=0.01, help="Paced mode: simulated seconds per second.")
    ] = 30.0,
    stepped: Annotated[
        bool, typer.Option(help="The clock moves only when asked or waited on.")
    ] = False,
    state_dir: Annotated[
        Path, typer.Option(help="Where the server keeps its key pool between runs.")
    ] = Path(".lab-state"),
    base_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65000,
            help="First port; node n uses base+10n (HTTPS), +1 (TFTP "
            "over HTTP), +2 (SSH). 0 picks free ports.",
        ),
    ] = 24000,
    mgmt_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="Port of the management API on 127.0.0.1; 0 picks a free one.",
        ),
    ] = DEFAULT_PORT,
    show_certificates: Annotated[
        bool, typer.Option(help="Also list every identity certificate.")
    ] = False,
) -> None:
    """Start the default lab and the management API; serve until interrupted."""
    from api.mgmt.registry import LabTemplate

    template = LabTemplate(
        version=version, subscribers=subscribers, imp=imp, phones=phones,
        secure_phones=secure_phones, mixed_mode=mixed_mode, seed=seed,
        clock="stepped" if stepped else "paced", speed=speed,
    )  # fmt: skip
    try:
        template.check()
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        raise typer.BadParameter(reason, param_hint=f"--{field}") from None
    try:
        pool = _pool(state_dir, subscribers, imp)
        asyncio.run(_serve(pool, template, base_port, mgmt_port, show_certificates))
    except KeyboardInterrupt:
        console.print("Stopped.")
    except CannotListen as exc:
        console.print(f"[red]cucm-lab:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


class CannotListen(Exception):
    """A port ``serve`` was told to use is taken; the text names the option."""


async def _serve(
    pool: BackgroundKeyPool,
    template: LabTemplate,
    base_port: int,
    mgmt_port: int,
    show_certificates: bool,
) -> None:
    from api.mgmt.registry import DEFAULT, LabRegistry
    from api.mgmt.server import ManagementServer

    registry = LabRegistry(pool)
    management = ManagementServer(registry, port=mgmt_port)
    try:
        try:
            hosted = await registry.create(DEFAULT, template, base_port=base_port)
        except OSError as exc:
            raise CannotListen(
                f"--base-port: the nodes cannot listen on ports from {base_port} "
                f"({exc.strerror}); pick another base, or 0 for free ports"
            ) from None
        try:
            url = await management.start()
        except OSError as exc:
            raise CannotListen(
                f"--mgmt-port: cannot listen on 127.0.0.1:{mgmt_port} "
                f"({exc.strerror}); pick another port, or 0 for a free one"
            ) from None
        # Only now, with everything answering, may key generation compete
        # for the CPU.
        pool.start()
        if show_certificates:
            _print_lab(hosted.lab)
        _print_endpoints(hosted)
        console.print(
            f"Management API: {url}  (OpenAPI pages at {url}/docs)", highlight=False
        )
        console.print("Press Ctrl-C to stop.")
        await asyncio.Event().wait()
    finally:
        await management.stop()
        await registry.close()
        await pool.close()


def _print_endpoints(hosted: HostedLab) -> None:
    lab = hosted.lab
    table = Table(
        title=f"CUCM {lab.profile.active_version} lab '{hosted.name}' (seed "
        f"{lab.config.seed}, clock {lab.clock.mode})"
    )
    for column in ("Role", "Host name", "FQDN", "HTTPS", "TFTP (HTTP)", "SSH"):
        table.add_column(column)
    for node in lab.cluster.nodes:
        endpoint = hosted.host.endpoints[node.hostname]
        ports = endpoint.ports
        table.add_row(
            node.role_label,
            node.hostname,
            node.fqdn,
            f"https://{endpoint.address}:{ports['https']}",
            f"http://{endpoint.address}:{ports['tftp_http']}"
            if "tftp_http" in ports
            else "",
            f"{endpoint.address}:{ports['ssh']}" if "ssh" in ports else "",
        )
    console.print(table)
    c = hosted.runtime.credentials
    console.print(
        f"Platform administrator (REST, SSH): {c.platform_user} / {c.platform_password}"
    )
    console.print(
        f"Application user (AXL, SOAP): {c.application_user} / {c.application_password}"
    )


@app.command()
def approximations() -> None:
    """List what cucm-lab approximates where the reference is silent."""
    from emulator.approximations import load

    table = Table(title="What cucm-lab approximates")
    table.add_column("Area")
    table.add_column("Behaviour")
    for entry in load():
        table.add_row(entry.area, entry.behaviour)
    console.print(table)


commands.register(app)
