"""Expectations: what must hold after a step, and how each is checked.

Every check reads the lab the way an administrator would look: RTMT's phone
counts, Control Center's states, the certificate list, the certificate a
service presents, the journal. A failed check is a :class:`Mismatch` naming
the expectation, what was expected and what the lab shows instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.scenarios.expect_spec import _COUNT as COUNT
from api.scenarios.expect_spec import (
    MODEL_CONFIG,
    CertificateExpect,
    Expect,
    JournalExpect,
    Phones,
    PhonesExpect,
    PresentsExpect,
    SecurityExpect,
    Service,
    TrustExpect,
    seconds,
)
from emulator.loaded import CallManagerSnapshot, TomcatSnapshot
from emulator.pki.encoding import common_name, san_names
from emulator.tftp import TftpFiles
from emulator.trustfiles.trustlist import fingerprint
from emulator.tvs import TvsSnapshot

if TYPE_CHECKING:
    from api.scenarios.context import Run

__all__ = ["MODEL_CONFIG", "Expect", "Phones", "Service", "check", "seconds"]


@dataclass(frozen=True)
class Mismatch:
    """An expectation that does not hold."""

    expectation: str
    expected: str
    actual: str
    hint: str = ""


def holds(count: str, actual: int, everything: int) -> bool:
    """Whether ``actual`` satisfies ``count`` (``all`` meaning ``everything``)."""
    match = COUNT.match(count)
    assert match is not None
    if match.group(1) in ("all", "none"):
        return actual == (everything if match.group(1) == "all" else 0)
    wanted, operator = int(match.group(3)), match.group(2) or "=="
    return {
        "==": actual == wanted,
        "!=": actual != wanted,
        ">": actual > wanted,
        "<": actual < wanted,
        ">=": actual >= wanted,
        "<=": actual <= wanted,
    }[operator]


def check(run: Run, expect: Expect) -> list[Mismatch]:
    """Every expectation of ``expect`` but ``error`` (the runner judges that)."""
    found: list[Mismatch] = []
    for text in expect.output:
        if run.rendered(text) not in run.output:
            tail = run.output.strip().splitlines()[-3:]
            found.append(
                Mismatch(
                    "output", f"contains {text!r}", " | ".join(tail) or "no output"
                )
            )
    if expect.status is not None and run.status != expect.status:
        found.append(Mismatch("status", str(expect.status), str(run.status)))
    if expect.phones is not None:
        found += _phones(run, expect.phones)
    for ref, states in expect.services.items():
        found += _services(run, ref, states)
    for certificate in expect.certificate:
        found += _certificate(run, certificate)
    for presents in expect.presents:
        found += _presents(run, presents)
    for journal in expect.journal:
        found += _journal(run, journal)
    for trust in expect.trust:
        found += _trust(run, trust)
    if expect.drf is not None:
        backup = run.lab.drf.backups.get(expect.drf.backup)
        status = backup.status if backup is not None else "never started"
        if status != expect.drf.status:
            reason = (
                f" ({backup.reason})" if backup is not None and backup.reason else ""
            )
            found.append(
                Mismatch(f"drf.{expect.drf.backup}", expect.drf.status, status + reason)
            )
    if expect.security is not None:
        found += _security(run, expect.security)
    return found


def _phones(run: Run, expect: PhonesExpect) -> list[Mismatch]:
    fleet = run.lab.phones
    powered = [p for p in fleet.phones if p.powered]
    groups = {
        "registered": [p for p in fleet.phones if p.registered],
        "unregistered": [p for p in powered if not p.registered],
        "locked": fleet.locked(),
        "trusting": [p for p in powered if run.trusting(p)],
        "powered_off": [p for p in fleet.phones if not p.powered],
    }
    found = []
    for name, phones in groups.items():
        wanted = getattr(expect, name)
        if wanted is None or holds(wanted, len(phones), len(powered)):
            continue
        label = name.replace("_", "-")
        short = len(phones) < len(powered)
        if name in ("locked", "powered_off"):
            short = not phones
        shown = [p for p in fleet.phones if (p in phones) != short][:4]
        detail = ", ".join(
            f"{p.name} {p.status.value}" + (f" '{p.message}'" if p.message else "")
            for p in shown
        )
        actual = f"{len(phones)} of {len(fleet.phones)} phones {label}"
        if detail:
            actual += f" ({'not ' if short else ''}{label}: {detail})"
        hint = _PHONE_HINTS.get(name, "") if short != (name == "locked") else ""
        found.append(Mismatch(f"phones.{label}", wanted, actual, hint))
    return found


_PHONE_HINTS = {
    "registered": "reset the phones and wait until all-phones-registered; a phone "
    "that cannot register in mixed mode needs the CTL updated (utils ctl update "
    "CTLFile) before the restarts",
    "locked": "a locked phone refused the new ITL: one certificate type at a time, "
    "wait for registration in between; recover with utils itl reset localkey "
    "(two resets and a TFTP restart) or by erasing the phone's trust list",
    "trusting": "restart the services the unit needs (TVS, then TFTP) and reset "
    "the phones so they download the new ITL and configuration",
}


def _services(run: Run, ref: str, states: Mapping[str, str]) -> list[Mismatch]:
    found = []
    for node in run.nodes(ref):
        for name, wanted in states.items():
            service = run.lab.services.find(node, name)
            if service is None:
                actual = "not on this node"
            elif not service.activated:
                actual = "Not Activated"
            else:
                actual = service.state.value
            if actual != wanted:
                found.append(
                    Mismatch(f"services.{node.hostname}.{name}", wanted, actual)
                )
    return found


def _certificate(run: Run, expect: CertificateExpect) -> list[Mismatch]:
    found = []
    for node in run.nodes(expect.node):
        where = f"certificate.{node.hostname}.{expect.unit}"
        stores = run.lab.certs.stores(node)
        identity = stores.identities.get(expect.unit)
        if identity is None:
            found.append(
                Mismatch(
                    where,
                    "installed",
                    f"{node.hostname} has no {expect.unit} certificate",
                )
            )
            continue
        cert = identity.certificate
        facts: dict[str, tuple[Any, Any]] = {}
        if expect.issuer is not None:
            facts["issuer"] = (expect.issuer, run.issuer_of(cert, expect.issuer))
        if expect.serial is not None:
            before = run.baseline.get((node.hostname, expect.unit))
            changed = before != cert.serial_number
            facts["serial"] = (expect.serial, "changed" if changed else "unchanged")
        if expect.sans is not None:
            wanted = sorted(run.rendered(s).casefold() for s in expect.sans)
            facts["sans"] = (wanted, sorted(n.casefold() for n in san_names(cert)))
        if expect.common_name is not None:
            wanted_cn = run.rendered(expect.common_name)
            facts["common-name"] = (wanted_cn, common_name(cert.subject))
        if expect.distribution is not None:
            facts["distribution"] = (expect.distribution, identity.distribution)
        if expect.csr is not None:
            pending = "pending" if expect.unit in stores.csrs else "none"
            facts["csr"] = (expect.csr, pending)
        if expect.key_length is not None:
            facts["key-length"] = (
                expect.key_length,
                getattr(cert.public_key(), "key_size", None),
            )
        if expect.same_as is not None:
            for other in run.nodes(expect.same_as):
                theirs = run.lab.certs.stores(other).identities.get(expect.unit)
                same = theirs is not None and theirs.certificate == cert
                facts[f"same-as {other.hostname}"] = (True, same)
        found += [
            Mismatch(f"{where}.{key}", str(wanted), str(actual))
            for key, (wanted, actual) in facts.items()
            if wanted != actual
        ]
    return found


def _presents(run: Run, expect: PresentsExpect) -> list[Mismatch]:
    found = []
    unit = {"Cisco Tomcat": "tomcat", "Cisco Trust Verification Service": "TVS"}.get(
        expect.service, "CallManager"
    )
    for node in run.nodes(expect.node):
        where = f"presents.{node.hostname}.{expect.service}"
        service = run.lab.services.find(node, expect.service)
        if service is None or not service.running:
            state = service.state.value if service is not None else "not on this node"
            found.append(Mismatch(where, f"the {expect.certificate} {unit}", state))
            continue
        loaded = service.loaded
        presented = None
        if isinstance(loaded, TomcatSnapshot | TvsSnapshot | CallManagerSnapshot):
            presented = loaded.certificate
        elif isinstance(loaded, TftpFiles):
            presented = loaded.config_certificate
        installed = run.lab.certs.stores(node).identities[unit].certificate
        actual = "installed" if presented == installed else "previous"
        if actual != expect.certificate:
            found.append(
                Mismatch(
                    where,
                    f"the {expect.certificate} {unit}",
                    f"the {actual} {unit}",
                    f"restart {expect.service} "
                    f"on {node.hostname} to load what is installed",
                )
            )
    return found


def _journal(run: Run, expect: JournalExpect) -> list[Mismatch]:
    after = run.step_seq if expect.since == "step" else run.start_seq
    hosts = {n.hostname for n in run.nodes(expect.node)} if expect.node else None
    events = [
        e
        for e in run.lab.journal.query(
            kind=expect.kind, subject=expect.subject, after_seq=after
        )
        if (hosts is None or e.node in hosts)
        and (expect.outcome is None or e.details.get("outcome") == expect.outcome)
        and (expect.injected is None or e.injected == expect.injected)
    ]
    if holds(expect.count, len(events), len(events)):
        return []
    label = expect.kind + (f" {expect.outcome}" if expect.outcome else "")
    seen = run.lab.journal.query(kind=expect.kind, after_seq=after)
    outcomes = sorted({str(e.details.get("outcome")) for e in seen} - {"None"})
    actual = f"{len(events)} events" + (
        f" (outcomes seen: {', '.join(outcomes)})" if outcomes else ""
    )
    return [Mismatch(f"journal {label} since {expect.since}", expect.count, actual)]


def _trust(run: Run, expect: TrustExpect) -> list[Mismatch]:
    found = []
    for node in run.nodes(expect.node):
        entries = run.lab.certs.stores(node).trust.get(expect.store)
        if entries is None:
            found.append(
                Mismatch(f"trust.{node.hostname}", expect.store, "no such store")
            )
            continue
        held = {fingerprint(e.certificate) for e in entries.values()}
        wanted = [(c, True) for c in expect.holds]
        wanted += [(c, False) for c in expect.lacks]
        for name, present in wanted:
            if (fingerprint(run.ca_files(name)[0]) in held) == present:
                continue
            names = ", ".join(sorted(entries)) or "nothing"
            found.append(
                Mismatch(
                    f"trust.{node.hostname}.{expect.store}",
                    f"{'holds' if present else 'lacks'} {name}",
                    f"{'lacks' if present else 'holds'} it; the store has {names}",
                )
            )
    return found


def _security(run: Run, expect: SecurityExpect) -> list[Mismatch]:
    security = run.lab.security
    found = []
    if expect.mode is not None:
        mode = "mixed" if security.mixed_mode else "non-secure"
        if mode != expect.mode:
            found.append(Mismatch("security.mode", expect.mode, mode))
    if expect.ctl is not None:
        ctl = "present" if security.ctl is not None else "absent"
        if ctl != expect.ctl:
            found.append(Mismatch("security.ctl", expect.ctl, ctl))
    return found
