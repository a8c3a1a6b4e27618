"""What each step does: the model operation behind the words people use.

GUI and lab steps call the operation the web pages and the control plane
call (``lab.certs.upload_identity`` for Upload Certificate, and so on); CLI
steps type the line at a real :class:`~api.admincli.shell.AdminShell`; REST
steps send the request to the node's own FastAPI application in-process. So
a scenario meets the same checks, texts and side effects a person or a
script meets on a served lab.

A step either succeeds, is refused by CUCM (a :class:`Refusal`: a catalogue
code, its text and the nearest valid step), or cannot do what it says
(:class:`StepFailure`: a wait that ran out, a certificate never signed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api.scenarios import model as m
from api.scenarios.outcomes import Refusal, StepFailure
from api.scenarios.surfaces import run_cli, run_rest
from emulator import CucmError, Lab
from emulator.certstore.csr import CsrRequest
from emulator.certstore.models import trust_filename
from emulator.cluster import Node
from emulator.pki.ca import LabCA

if TYPE_CHECKING:
    from api.scenarios.context import Run

_QUESTION = re.compile(r"\(y(es)?[|/]n(o)?\)|\?\s*:?\s*$", re.IGNORECASE)


def csr_request(run: Run, body: m.GenerateCsr) -> CsrRequest:
    return CsrRequest(
        unit=body.unit,
        distribution=body.distribution,
        common_name=run.rendered(body.common_name) if body.common_name else None,
        key_type=body.key_type,
        key_length=body.key_length,
        hash_algorithm=body.hash,
        other_domains=tuple(run.rendered(d) for d in body.other_domains),
        parent_domain=body.parent_domain,
        include_ou=body.include_ou,
    )


def trust_file(run: Run, body: m.DeleteCertificate) -> str:
    if body.file is not None:
        return run.rendered(body.file)
    if body.certificate is None:
        raise StepFailure("name the certificate to delete", "give file or certificate")
    return trust_filename(run.ca_files(body.certificate)[0], run.lab.profile)


# -- GUI, lab, restart and wait -------------------------------------------------------
def run_gui(run: Run, name: str, body: m.Spec) -> None:
    lab = run.lab
    if isinstance(body, m.GenerateCsr):
        for node in run.nodes(body.node):
            lab.certs.generate_csr(node, csr_request(run, body))
    elif isinstance(body, m.UploadCertificate):
        for node in run.nodes(body.node):
            data = run.certificate_bytes(body, node, body.purpose)
            if body.purpose.casefold().endswith("-trust"):
                lab.certs.upload_trust(node, body.purpose, data, body.description)
            else:
                lab.certs.upload_identity(node, body.purpose, data, body.description)
    elif isinstance(body, m.Regenerate):
        for node in run.nodes(body.node):
            lab.certs.regenerate(
                node,
                body.unit,
                key_length=body.key_length,
                validity_years=body.validity_years,
            )
    elif isinstance(body, m.DeleteCertificate):
        for node in run.nodes(body.node):
            lab.certs.delete_certificate(node, body.store, trust_file(run, body))
    elif isinstance(body, m.ResetPhones):
        lab.phones.reset(run.phones(body.phones))
    elif name == "reset-all-devices":
        lab.phones.reset()
    elif isinstance(body, m.EnterpriseParameter):
        if body.name == "PrepareClusterForRollback":
            lab.security.set_prepare_cluster_for_rollback(body.value)
        else:
            lab.security.set_cluster_parameter(body.name, body.value)
    elif name == "enable-sso":
        lab.sso.enable()
    elif name == "disable-sso":
        lab.sso.disable()
    elif isinstance(body, m.OnNode):
        for node in run.nodes(body.node):
            lab.sso.login(node.hostname)
    elif isinstance(body, m.DrfBackup):
        lab.drf.start_backup(body.name, seconds=body.duration)
    elif isinstance(body, m.DrfRestore):
        lab.drf.restore_certificates(body.name)
    elif isinstance(body, m.ControlCenter):
        for node in run.nodes(body.node):
            _control(run, node, body.service, body.command, body.wait, body.within)


def _control(
    run: Run, node: Node, name: str, command: str, wait: bool, within: float
) -> bool:
    """One Control Center command; False when the node has no such service
    activated (restarts skip those, as the procedures say)."""
    service = run.lab.services.find(node, name)
    if service is None or (not service.activated and command != "activate"):
        if command == "restart":
            return False
        if service is None:
            raise StepFailure(f"{node.hostname} has no service {name}")
        raise StepFailure(
            f"{name} is not activated on {node.hostname}",
            "activate it first (control-center activate)",
        )
    control = getattr(service, command)()
    if not control.accepted:
        raise StepFailure(
            f"Control Center refused to {command} {name} on "
            f"{node.hostname}: {control.reason_string}"
        )
    if wait and not run.lab.clock.run_until(lambda: control.finished, limit=within):
        raise StepFailure(
            f"{name} on {node.hostname} is still {service.state.value} after "
            f"{within:g}s",
            "wait longer (within:) or look for a fault on the service",
        )
    return True


def run_restart(run: Run, body: m.Restart) -> None:
    if body.for_unit is not None:
        try:
            names: list[str] = list(run.lab.services.restart_matrix(body.for_unit))
        except ValueError as unknown:
            raise StepFailure(str(unknown)) from None
    else:
        names = list(body.services)
    restarted = []
    for node in run.nodes(body.nodes):
        for name in names:
            if _control(run, node, name, "restart", body.wait, body.within):
                restarted.append(f"{name} on {node.hostname}")
    if not restarted:
        raise StepFailure(
            f"none of {', '.join(names)} runs on {body.nodes}",
            "name nodes where the services are activated",
        )
    run.output = "restarted " + "; ".join(restarted)


_CONDITIONS: dict[str, Callable[[Lab], bool]] = {
    "all-phones-registered": lambda lab: lab.phones.all_registered(),
    "services-settled": lambda lab: not any(s.busy for s in lab.services),
    "drf-idle": lambda lab: lab.drf.running is None,
}


def run_wait(run: Run, body: m.Wait) -> None:
    clock = run.lab.clock
    if body.span is not None:
        clock.advance(body.span)
        return
    if body.until == "idle":
        if not clock.run_until_idle(limit=body.within):
            raise StepFailure(f"the lab was still busy after {body.within:g}s")
        return
    assert body.until is not None
    condition = _CONDITIONS[body.until]
    if clock.run_until(lambda: condition(run.lab), limit=body.within):
        return
    if body.until != "all-phones-registered":
        raise StepFailure(f"{body.until} did not hold within {body.within:g}s")
    waiting = [p for p in run.lab.phones.phones if p.powered and not p.registered]
    shown = ", ".join(f"{p.name} '{p.message or p.status.value}'" for p in waiting[:4])
    raise StepFailure(
        f"{len(waiting)} powered phone(s) not registered after {body.within:g}s: "
        f"{shown}",
        "a TLS phone in mixed mode needs utils ctl update CTLFile before "
        "the restarts; a phone with no CallManager running waits for one",
    )


def run_lab(run: Run, name: str, body: m.Spec) -> None:
    lab = run.lab
    if isinstance(body, m.CaSign):
        _ca_sign(run, body)
    elif name == "ca-renew":
        run.previous_ca, run.ca = (
            run.ca,
            LabCA(
                keys=lab.keys,
                now=lambda: lab.clock.now,
                rng=lab.rng(f"ca-renewal-{lab.clock.seconds}"),
                with_intermediate=lab.config.ca_intermediate,
            ),
        )
    elif isinstance(body, m.Advance):
        lab.clock.advance(body.by)
    elif isinstance(body, m.PhoneAction):
        phones = run.phones(body.phones)
        if name == "power-off":
            lab.phones.power_off(phones)
        elif name == "power-on":
            lab.phones.power_on(phones)
        else:
            lab.phones.erase_trust(phones, factory=body.factory)
    elif name == "apply-config":
        lab.phones.apply_config()
    elif isinstance(body, m.LabFault):
        add_fault(run, body)
    elif name == "clear-faults":
        faults(run).clear()


def _ca_sign(run: Run, body: m.CaSign) -> None:
    for node in run.nodes(body.node):
        pending = run.lab.certs.stores(node).csrs.get(body.unit)
        if pending is None:
            raise StepFailure(
                f"no {body.unit} CSR is pending on {node.hostname} for the CA to sign",
                f"generate a {body.unit} CSR there first",
            )
        other = None
        if body.other_node is not None or body.other_unit is not None:
            donor = run.nodes(body.other_node or body.node)[0]
            found = run.lab.certs.stores(donor).csrs.get(body.other_unit or body.unit)
            if found is None:
                raise StepFailure(f"no CSR on {donor.hostname} to take the key from")
            other = found.request
        issued = run.ca.sign(
            pending.request,
            body.behaviour,
            validity_days=body.validity_days,
            other_csr=other,
        )
        run.signed[(node.hostname, body.unit)] = issued
        run.last_signed = issued
        if body.name is not None:
            run.named[body.name] = issued


def faults(run: Run) -> Any:
    plan = getattr(run.lab, "faults", None)
    if plan is None:
        raise StepFailure("this build of cucm-lab has no fault injection (lab.faults)")
    return plan


def add_fault(run: Run, body: m.LabFault) -> None:
    phones = None if body.phones is None else [p.name for p in run.phones(body.phones)]
    node = run.nodes(body.node)[0].hostname if body.node else None
    try:
        faults(run).add(
            body.target,
            node=node,
            unit=body.unit,
            service=body.service,
            phones=phones,
            count=body.count,
            probability=body.probability,
            start=body.start,
            variant=body.variant,
        )
    except ValueError as refused:
        raise StepFailure(f"fault not added: {refused}") from None
    # A condition starts as a simpy process: let what is due now happen.
    run.lab.clock.advance(0)


def execute(run: Run, step: m.StepSpec) -> Refusal | None:
    """Do ``step``; CUCM's refusal of it is returned, not raised."""
    body = step.body
    try:
        if isinstance(body, m.Cli):
            return run_cli(run, body)
        if isinstance(body, m.Rest):
            allowed = step.expect.status if step.expect is not None else None
            return run_rest(run, body, allowed)
        if isinstance(body, m.Restart):
            run_restart(run, body)
        elif isinstance(body, m.Wait):
            run_wait(run, body)
        elif step.kind == "gui":
            run_gui(run, step.action, body)
        else:
            run_lab(run, step.action, body)
    except CucmError as refused:
        return Refusal.of(refused)
    return None
