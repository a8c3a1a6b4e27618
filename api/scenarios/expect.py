"""Expectations: what must hold after a step, and how each is checked.

Every check reads the lab the way an administrator would look: RTMT's phone
counts, Control Center's states, the certificate list, the certificate a
service presents, the journal. A failed check is a :class:`Mismatch` naming
the expectation, what was expected and what the lab shows instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

from emulator.errors import CATALOGUE
from emulator.loaded import CallManagerSnapshot, TomcatSnapshot
from emulator.phones.trust import Outcome
from emulator.pki.encoding import common_name, san_names
from emulator.pki.units import UNITS
from emulator.services.catalogue import SPECS
from emulator.tftp import TftpFiles
from emulator.trustfiles.trustlist import fingerprint
from emulator.tvs import TvsSnapshot

if TYPE_CHECKING:
    from api.scenarios.context import Run

MODEL_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    alias_generator=lambda name: name.replace("_", "-"),
    validate_by_name=True,
    validate_by_alias=True,
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SERVICES = {" ".join(s.name.split()).casefold(): s.name for s in SPECS}
_COUNT = re.compile(r"^(all|none|(>=|<=|==|!=|>|<)?\s*(\d+))$")


def seconds(value: Any) -> float:
    """A duration: a number of seconds, or text such as 30s, 5m, 2h, 90d, 1h30m."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    text = str(value).replace(" ", "")
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(
            f"expected a duration such as 30s, 5m, 2h or 90d, not {value!r}"
        )
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def choice(value: Any, known: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``known``; else the closest, or all of them."""
    text, names = str(value), list(known)
    if text in names:
        return text
    close = difflib.get_close_matches(text, names, n=1, cutoff=0.7)
    if close:
        raise ValueError(f"unknown {what} {text!r}; did you mean {close[0]!r}?")
    raise ValueError(f"unknown {what} {text!r}; expected one of: {', '.join(names)}")


def _service(value: Any) -> str:
    # Control Center forgives case and spacing ("Cisco TFTP" is Cisco Tftp).
    found = _SERVICES.get(" ".join(str(value).split()).casefold())
    return found or choice(value, _SERVICES.values(), "service")


def _one_of(names: Iterable[str], what: str) -> Callable[[Any], str]:
    known = list(names)
    return lambda value: choice(value, known, what)


def _count(value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, bool) or not _COUNT.match(text):
        raise ValueError(
            f"expected a count: a number, all, none, or a comparison "
            f"such as '>0' or '<=3', not {value!r}"
        )
    return text


_SELECTIONS = ("all", "powered-off", "secure", "non-secure")


def _phone_selection(value: Any) -> Any:
    names = isinstance(value, list) and all(isinstance(v, str) for v in value)
    count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not (names or count or value in _SELECTIONS):
        raise ValueError(
            "expected a number of phones (the first N), one of "
            f"{', '.join(_SELECTIONS)}, or a list of phone names, not {value!r}"
        )
    return value


def _many(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


Service = Annotated[str, BeforeValidator(_service)]
Count = Annotated[str, BeforeValidator(_count)]
Unit = Annotated[str, BeforeValidator(_one_of(UNITS, "unit"))]
Code = Annotated[str, BeforeValidator(_one_of(CATALOGUE, "catalogue code"))]
OutcomeName = Annotated[str, BeforeValidator(_one_of(Outcome.__members__, "outcome"))]
#: Phones by count (the first N in the fleet), by name, or a selection.
Phones = Annotated[int | str | list[str], BeforeValidator(_phone_selection)]
State = Literal["Started", "Stopped", "Starting", "Stopping", "Not Activated"]
CaCert = Literal[
    "ca-root", "ca-intermediate", "previous-ca-root", "previous-ca-intermediate"
]


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class PhonesExpect(_Model):
    registered: Count | None = None
    unregistered: Count | None = None
    locked: Count | None = None
    trusting: Count | None = None
    powered_off: Count | None = None


class CertificateExpect(_Model):
    node: str = "publisher"
    unit: Unit
    issuer: str | None = None
    serial: Literal["changed", "unchanged"] | None = None
    sans: list[str] | None = None
    common_name: str | None = None
    distribution: Literal["this-server", "multi-server"] | None = None
    csr: Literal["pending", "none"] | None = None
    key_length: int | None = None
    same_as: str | None = None


class PresentsExpect(_Model):
    node: str = "publisher"
    service: Literal[
        "Cisco Tomcat",
        "Cisco Trust Verification Service",
        "Cisco CallManager",
        "Cisco Tftp",
    ]
    certificate: Literal["installed", "previous"] = "installed"


class JournalExpect(_Model):
    kind: str
    node: str | None = None
    subject: str | None = None
    outcome: OutcomeName | None = None
    injected: bool | None = None
    count: Count = ">0"
    since: Literal["scenario", "step"] = "scenario"


class TrustExpect(_Model):
    node: str = "publisher"
    store: str
    holds: list[CaCert] = []
    lacks: list[CaCert] = []


class DrfExpect(_Model):
    backup: str
    status: Literal["running", "completed", "failed"]


class SecurityExpect(_Model):
    mode: Literal["mixed", "non-secure"] | None = None
    ctl: Literal["present", "absent"] | None = None


class Expect(_Model):
    """The ``expect:`` of a step; every key given must hold."""

    error: Code | None = None
    message: str | None = None
    output: Annotated[list[str], BeforeValidator(_many)] = []
    status: int | None = None
    phones: PhonesExpect | None = None
    services: dict[str, dict[Service, State]] = {}
    certificate: Annotated[list[CertificateExpect], BeforeValidator(_many)] = []
    presents: Annotated[list[PresentsExpect], BeforeValidator(_many)] = []
    journal: Annotated[list[JournalExpect], BeforeValidator(_many)] = []
    trust: Annotated[list[TrustExpect], BeforeValidator(_many)] = []
    drf: DrfExpect | None = None
    security: SecurityExpect | None = None


@dataclass(frozen=True)
class Mismatch:
    """An expectation that does not hold."""

    expectation: str
    expected: str
    actual: str
    hint: str = ""


def holds(count: str, actual: int, everything: int) -> bool:
    """Whether ``actual`` satisfies ``count`` (``all`` meaning ``everything``)."""
    match = _COUNT.match(count)
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
