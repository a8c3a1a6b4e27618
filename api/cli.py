"""The ``cucm-lab`` command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.host import LabHost, PortPlan
from api.runtime import LabRuntime
from emulator import Lab, LabConfig
from emulator.pki.encoding import common_name
from emulator.pki.keys import KeyPool
from emulator.profile import PROFILES

app = typer.Typer(
    help="A simulated Cisco Unified Communications Manager cluster for lab work.",
    no_args_is_help=True,
    add_completion=False,
)
# A pipe or a log gets wide tables rather than truncated addresses.
console = Console(width=None if sys.stdout.isatty() else 140)

#: RSA keys a default lab draws: identities on every node, the lab CA, spares
#: for the CSRs of a first exercise.
POOL_TARGET = 40


def _pool(state_dir: Path) -> KeyPool:
    """Keys left by earlier runs, topped up with a progress bar."""
    path = state_dir / "keys" / "rsa-2048.pem"
    pool = KeyPool.load(path)
    missing = POOL_TARGET - pool.available(2048)
    if missing > 0:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Generating RSA keys", total=missing)
            for _ in range(missing):
                pool.fill(2048, pool.available(2048) + 1)
                progress.advance(task)
    return pool


def _print_lab(lab: Lab) -> None:
    nodes = Table(
        title=f"CUCM {lab.profile.active_version} cluster (seed {lab.config.seed})"
    )
    for column in ("Role", "Host name", "FQDN", "Address"):
        nodes.add_column(column)
    for node in lab.cluster.nodes:
        nodes.add_row(node.role_label, node.hostname, node.fqdn, node.ip_address)
    console.print(nodes)

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
        str, typer.Option(help=f"Release profile: {', '.join(PROFILES)}.")
    ] = "15",
    subscribers: Annotated[int, typer.Option(min=0, max=8)] = 2,
    imp: Annotated[int, typer.Option(min=0, max=6, help="IM&P nodes.")] = 1,
    phones: Annotated[int, typer.Option(min=0, max=40_000)] = 50,
    seed: Annotated[int, typer.Option(help="Seed for every random draw.")] = 1,
    speed: Annotated[
        float, typer.Option(min=0.01, help="Paced mode: simulated seconds per second.")
    ] = 30.0,
    stepped: Annotated[
        bool, typer.Option(help="The clock moves only when asked or waited on.")
    ] = False,
    state_dir: Annotated[
        Path, typer.Option(help="Where the lab keeps its key pool between runs.")
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
    show_certificates: Annotated[
        bool, typer.Option(help="Also list every identity certificate.")
    ] = False,
) -> None:
    """Start a lab and serve every node's surfaces until interrupted."""
    if version not in PROFILES:
        raise typer.BadParameter(
            f"choose one of {', '.join(PROFILES)}", param_hint="--version"
        )
    pool = _pool(state_dir)
    config = LabConfig(
        version=version, subscribers=subscribers, imp=imp, phones=phones, seed=seed
    )
    lab = Lab(config, keys=pool)
    pool.save(state_dir / "keys" / "rsa-2048.pem")
    if not stepped:
        lab.clock.set_paced(speed)
    runtime = LabRuntime(lab)
    host = LabHost(runtime, PortPlan(base=base_port))
    if show_certificates:
        _print_lab(lab)
    try:
        asyncio.run(_serve(host))
    except KeyboardInterrupt:
        console.print("Stopped.")


async def _serve(host: LabHost) -> None:
    await host.start()
    _print_endpoints(host)
    try:
        await asyncio.Event().wait()
    finally:
        await host.stop()


def _print_endpoints(host: LabHost) -> None:
    lab = host.runtime.lab
    table = Table(
        title=f"CUCM {lab.profile.active_version} lab (seed {lab.config.seed}, "
        f"clock {lab.clock.mode})"
    )
    for column in ("Role", "Host name", "FQDN", "HTTPS", "TFTP (HTTP)", "SSH"):
        table.add_column(column)
    for node in lab.cluster.nodes:
        endpoint = host.endpoints[node.hostname]
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
    c = host.runtime.credentials
    console.print(
        f"Platform administrator (REST, SSH): {c.platform_user} / {c.platform_password}"
    )
    console.print(
        f"Application user (AXL, SOAP): {c.application_user} / {c.application_password}"
    )
    console.print("Press Ctrl-C to stop.")


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
