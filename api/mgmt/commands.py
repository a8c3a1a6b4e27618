"""The ``cucm-lab`` commands that drive a running server: ``ca``, ``status``,
``faults``.

Each talks to the management API that ``cucm-lab serve`` printed (``--mgmt``
or ``$CUCM_LAB_MGMT``, loopback port 24900 by default) and acts on one lab
(``--lab``, ``default`` unless told). A refusal prints the server's one-line
reason, which names the field and the valid choices, and exits with 1.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from api.mgmt import DEFAULT_URL, ENV

if TYPE_CHECKING:
    from api.mgmt.client import ManagementClient

console = Console(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True)

# Listed in --help without importing the model (a quarter of a second); a
# test keeps this in step with emulator.pki.ca.BEHAVIOURS.
BEHAVIOURS = (
    "faithful, extra-sans, drop-sans, ignore-extensions, wrong-key, expired, "
    "not-yet-valid, wildcard, no-intermediate"
)

Mgmt = Annotated[
    str,
    typer.Option(
        "--mgmt",
        envvar=ENV,
        help="Management API address that `cucm-lab serve` printed.",
    ),
]
LabName = Annotated[str, typer.Option("--lab", help="The lab to act on.")]

ca_app = typer.Typer(help="The lab CA: sign CSRs the way a real CA would (or not).")
faults_app = typer.Typer(
    help="Inject catalogue errors, trust outcomes and conditions into a lab.",
    no_args_is_help=True,
)


@contextmanager
def _client(url: str) -> Iterator[ManagementClient]:
    # httpx loads only when a command talks to a server, not for `serve`.
    from api.mgmt.client import ManagementClient, ManagementError

    try:
        with ManagementClient(url) as client:
            yield client
    except ManagementError as exc:
        errors.print(f"[red]cucm-lab:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


# -- ca -----------------------------------------------------------------------
@ca_app.callback()
def _ca() -> None:
    """The lab CA: sign CSRs the way a real CA would (or not)."""


@ca_app.command("sign")
def ca_sign(
    csr_file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="The CSR a node generated (PEM or DER)."
        ),
    ],
    behaviour: Annotated[
        str, typer.Option(help=f"How the CA behaves: {BEHAVIOURS}.")
    ] = "faithful",
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="pem (the leaf), der (binary leaf) or pkcs7 (leaf and issuers).",
        ),
    ] = "pem",
    out: Annotated[
        Path | None,
        typer.Option(help="Write the certificate here instead of to standard output."),
    ] = None,
    with_chain: Annotated[
        bool, typer.Option(help="With pem, append the issuers the CA handed out.")
    ] = False,
    lab: LabName = "default",
    mgmt: Mgmt = DEFAULT_URL,
) -> None:
    """Have the lab's CA sign CSR_FILE and print (or save) the certificate."""
    if format not in ("pem", "der", "pkcs7"):
        raise typer.BadParameter("choose pem, der or pkcs7", param_hint="--format")
    with _client(mgmt) as client:
        issued = client.post(
            f"/labs/{lab}/ca/sign",
            {"csr": _pem_csr(csr_file.read_bytes()), "behaviour": behaviour,
             "format": format},
        )  # fmt: skip
    if format == "der":
        data = base64.b64decode(issued["certificate"])
    else:
        text = issued["certificate"]
        if with_chain and format == "pem":
            text += "".join(issued["chain"])
        data = text.encode()
    if out is not None:
        out.write_bytes(data)
        errors.print(f"Wrote {out} ({behaviour}, serial {issued['serial']}).")
    elif format == "der":
        sys.stdout.buffer.write(data)
    else:
        typer.echo(data.decode(), nl=False)


def _pem_csr(raw: bytes) -> str:
    """The CSR as the API takes it: PEM, wrapping a DER file."""
    if b"-----BEGIN" in raw:
        return raw.decode("ascii", "replace")
    body = base64.encodebytes(raw).decode()
    label = "CERTIFICATE REQUEST"
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n"


# -- status -------------------------------------------------------------------
def status(
    lab: Annotated[
        str | None, typer.Option("--lab", help="Only this lab (default: every lab).")
    ] = None,
    mgmt: Mgmt = DEFAULT_URL,
) -> None:
    """Show the server's labs: release, clock, phones and where each node listens."""
    with _client(mgmt) as client:
        names = [lab] if lab else [entry["name"] for entry in client.get("/labs")]
        described = [
            (client.get(f"/labs/{name}"), client.get(f"/labs/{name}/nodes"))
            for name in names
        ]
    if not described:
        console.print("The server has no labs; create one with POST /labs.")
    for summary, nodes in described:
        _print_status(summary, nodes)


def _print_status(summary: dict[str, Any], nodes: list[dict[str, Any]]) -> None:
    clock = summary["clock"]
    pace = f"paced x{clock['speed']:g}" if clock["mode"] == "paced" else "stepped"
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary["phone_counts"].items()))
    console.print(
        f"[bold]{summary['name']}[/bold]: CUCM {summary['active_version']}, "
        f"seed {summary['seed']}, {summary['security_mode']} mode; clock "
        f"{clock['instant']} ({clock['seconds']:.0f} s, {pace}); "
        f"phones: {counts or 'none'}; fault rules: {summary['faults']}",
        highlight=False,
    )
    table = Table()
    for column in ("Role", "Host name", "FQDN", "HTTPS", "TFTP (HTTP)", "SSH"):
        table.add_column(column)
    for node in nodes:
        ports = node["ports"]
        address = node["address"]
        table.add_row(
            node["role_label"],
            node["hostname"],
            node["fqdn"],
            f"{address}:{ports['https']}",
            f"{address}:{ports['tftp_http']}" if "tftp_http" in ports else "",
            f"{address}:{ports['ssh']}" if "ssh" in ports else "",
        )
    console.print(table)


# -- faults -------------------------------------------------------------------
@faults_app.command("catalogue")
def faults_catalogue(lab: LabName = "default", mgmt: Mgmt = DEFAULT_URL) -> None:
    """List every error, trust outcome and condition a rule can inject."""
    with _client(mgmt) as client:
        entries = client.get(f"/labs/{lab}/faults/catalogue")
    _table(
        ("Name", "Kind", "Description"),
        ((e["name"], e["kind"], e["description"]) for e in entries),
    )


@faults_app.command("list")
def faults_list(lab: LabName = "default", mgmt: Mgmt = DEFAULT_URL) -> None:
    """List the rules in force and how often each has fired."""
    with _client(mgmt) as client:
        rules = client.get(f"/labs/{lab}/faults")
    if not rules:
        console.print(f"No fault rules in lab {lab}.")
        return
    _table(("Id", "Target", "Scope", "Fires", "From (s)", "Fired"), map(_row, rules))


@faults_app.command("add")
def faults_add(
    target: Annotated[str, typer.Argument(help="A name from `faults catalogue`.")],
    node: Annotated[str | None, typer.Option(help="Only on this node.")] = None,
    unit: Annotated[
        str | None, typer.Option(help="Only for this unit or trust store.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    phone: Annotated[
        list[str] | None, typer.Option(help="Only these phones (repeat).")
    ] = None,
    count: Annotated[int | None, typer.Option(help="Fire this many times.")] = None,
    probability: Annotated[
        float | None, typer.Option(help="Fire with this chance (0..1), seeded.")
    ] = None,
    start: Annotated[
        float | None, typer.Option(help="From this simulated second (default now).")
    ] = None,
    variant: Annotated[
        str | None, typer.Option(help="For an error with several wordings.")
    ] = None,
    lab: LabName = "default",
    mgmt: Mgmt = DEFAULT_URL,
) -> None:
    """Add a rule that injects TARGET; every client then sees the natural error."""
    body = {"target": target, "node": node, "unit": unit, "service": service,
            "phones": phone or None, "count": count, "probability": probability,
            "start": start, "variant": variant}  # fmt: skip
    with _client(mgmt) as client:
        rule = client.post(f"/labs/{lab}/faults", body)
    console.print(f"Added {rule['id']}: {_row(rule)[1]} ({_row(rule)[2]}).")


@faults_app.command("remove")
def faults_remove(
    rule_id: Annotated[str, typer.Argument(help="The rule's id, as `list` shows.")],
    lab: LabName = "default",
    mgmt: Mgmt = DEFAULT_URL,
) -> None:
    """Remove one rule."""
    with _client(mgmt) as client:
        client.delete(f"/labs/{lab}/faults/{rule_id}")
    console.print(f"Removed {rule_id}.")


@faults_app.command("clear")
def faults_clear(lab: LabName = "default", mgmt: Mgmt = DEFAULT_URL) -> None:
    """Remove every rule of the lab."""
    with _client(mgmt) as client:
        removed = client.delete(f"/labs/{lab}/faults")["removed"]
    console.print(f"Removed {removed} rule{'s' if removed != 1 else ''}.")


def _row(rule: dict[str, Any]) -> tuple[str, ...]:
    scope = [f"{k} {rule[k]}" for k in ("node", "unit", "service") if rule.get(k)]
    if rule.get("phones"):
        scope.append("phones " + ", ".join(rule["phones"]))
    if rule.get("count") is not None:
        fires = f"{rule['count']} times"
    elif rule.get("probability") is not None:
        fires = f"p={rule['probability']:g}"
    else:
        fires = "every time"
    return (
        rule["id"],
        rule["target"],
        "; ".join(scope) or "everywhere",
        fires,
        f"{rule['start']:g}",
        str(rule["fired"]),
    )


def _table(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add these commands to the ``cucm-lab`` application."""
    app.add_typer(ca_app, name="ca")
    app.add_typer(faults_app, name="faults")
    app.command("status")(status)
