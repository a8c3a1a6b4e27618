"""The runner: build a scenario's lab, run its steps, judge what happened.

One scenario runs in one process on one lab with a stepped clock, so it
takes as long as the machine needs and no longer, and gives the same result
for the same seed: every draw comes from the lab's seed, and the RSA keys come
from a fixed list in a fixed order (a key pool file, filled once), so even
the certificates repeat. Many scenarios run in parallel processes with
``jobs`` above one; results come back in the order the scenarios were given.

When a step fails the runner stops the scenario there (later steps build on
it) and says which step, which expectation, what happened, and the nearest
valid step: the refusal's hint, or the expectation's advice.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI

from api.node_app import create_node_app
from api.runtime import LabRuntime
from api.scenarios import ScenarioFormatError, expect, load_file, steps
from api.scenarios import model as m
from api.scenarios.report import ScenarioResult, StepResult
from api.scenarios.steps import Refusal, StepFailure
from emulator import CucmError, Lab, LabConfig
from emulator.cluster import Node
from emulator.phones.model import Phone
from emulator.pki.ca import LabCA, SignedCertificate
from emulator.pki.encoding import common_name, to_pem
from emulator.pki.keys import GeneratedKeys, KeyPool
from emulator.services import Service

_PLACEHOLDER = re.compile(r"\{(publisher|subscriber\d+|imp\d+)(?:\.(host|fqdn|ip))?\}")
#: RSA keys a scenario's lab draws from the pool before generating its own:
#: far more than any lab in the library uses.
POOL_KEYS = 120
_SIGNED = ("signed", "last-signed", "reversed-chain")
_MIXED_MODE_RESTARTS = ("Cisco Tftp", "Cisco CallManager")
# Workers do not fork the caller: a progress display runs a thread, and a
# child forked mid-refresh could inherit that thread's locks held.
_CONTEXT = multiprocessing.get_context(
    "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
)


class Run:
    """The state one scenario's steps share: the lab, what the CA issued, and
    where the journal stood when the scenario and the current step began."""

    def __init__(self, lab: Lab, folder: Path) -> None:
        self.lab, self.folder = lab, folder
        self.runtime = LabRuntime(lab)
        self.ca: LabCA = lab.ca
        self.previous_ca: LabCA | None = None
        self.signed: dict[tuple[str, str], SignedCertificate] = {}
        self.named: dict[str, SignedCertificate] = {}
        self.last_signed: SignedCertificate | None = None
        self.baseline = {
            (node.hostname, unit): identity.certificate.serial_number
            for node in lab.cluster.nodes
            for unit, identity in lab.certs.stores(node).identities.items()
        }
        self.start_seq = self.step_seq = len(lab.journal) - 1
        self.output = ""
        self.status: int | None = None
        self._apps: dict[str, FastAPI] = {}
        #: The CUCM errors behind the REST replies of the current request.
        self.rest_refusals: list[CucmError] = []

    def begin_step(self) -> None:
        self.step_seq = len(self.lab.journal) - 1
        self.output, self.status = "", None

    # -- names ----------------------------------------------------------------------
    def nodes(self, ref: str) -> list[Node]:
        """Nodes by role (publisher, subscriber2, imp1, subscribers, all,
        all-cucm) or by host name; an unknown host is CUCM's NODE_NOT_FOUND."""
        cluster = self.lab.cluster
        groups = {
            "all": cluster.nodes,
            "all-cucm": cluster.cucm_nodes,
            "subscribers": cluster.subscribers,
            "imps": cluster.imp_nodes,
        }
        if ref in groups:
            if not groups[ref]:
                raise StepFailure(f"{ref}: the lab has no such nodes")
            return list(groups[ref])
        if ref == "publisher":
            return [cluster.publisher]
        match = re.fullmatch(r"(subscriber|imp)(\d+)", ref)
        if match is not None:
            pool = (
                cluster.subscribers if match[1] == "subscriber" else cluster.imp_nodes
            )
            number = int(match[2])
            if not 1 <= number <= len(pool):
                raise StepFailure(
                    f"{ref}: the lab has {len(pool)} {match[1]} node(s)",
                    f"raise lab.{match[1] if match[1] == 'imp' else 'subscribers'}"
                    " or name an existing node",
                )
            return [pool[number - 1]]
        return [self.lab.node(ref)]

    def rendered(self, text: str) -> str:
        """``{publisher}`` is the node's FQDN, ``{subscriber1.host}`` its host
        name, ``{imp1.ip}`` its address, ``{domain}`` the cluster's domain."""
        text = text.replace("{domain}", self.lab.cluster.domain)

        def name(match: re.Match[str]) -> str:
            node = self.nodes(match[1])[0]
            return {"host": node.hostname, "ip": node.ip_address}.get(
                match[2] or "", node.fqdn
            )

        return _PLACEHOLDER.sub(name, text)

    def phones(self, chosen: int | str | list[str]) -> list[Phone]:
        fleet = self.lab.phones
        if isinstance(chosen, int):
            return fleet.phones[:chosen]
        if isinstance(chosen, list):
            return fleet.select(names=chosen)
        return [
            p
            for p in fleet.phones
            if chosen == "all"
            or (chosen == "powered-off" and not p.powered)
            or ((chosen == "secure") == p.secure and chosen != "powered-off")
        ]

    def trusting(self, phone: Phone) -> bool:
        """Holds the ITL its TFTP serves and the latest configuration."""
        tftp = self.lab.services.find(phone.tftp, "Cisco Tftp")
        served = getattr(tftp.loaded if tftp else None, "itl", None)
        current = phone.config_generation == self.lab.phones.config_generation
        return phone.itl is served and current

    # -- certificates ------------------------------------------------------------------
    def ca_files(self, name: str) -> list[x509.Certificate]:
        """``ca-root``, ``ca-intermediate`` or ``ca-chain`` (issuer first), of
        the current CA or, with ``previous-``, of the one ``ca-renew`` replaced."""
        ca = self.previous_ca if name.startswith("previous-") else self.ca
        if ca is None:
            raise StepFailure(f"{name}: the lab CA was never renewed", "add ca-renew")
        part = name.rsplit("-", 1)[1]
        found = {"root": [ca.root], "chain": ca.chain()}.get(part, [ca.intermediate])
        if None in found:
            raise StepFailure(
                f"{name}: the lab CA has no intermediate",
                "set lab.ca_intermediate: true",
            )
        return [c for c in found if c is not None]

    def issuer_of(self, certificate: x509.Certificate, wanted: str) -> str:
        """``self``, ``lab-ca`` or ``previous-ca`` when ``wanted`` is one of
        those, else the issuer's common name."""
        if certificate.issuer == certificate.subject:
            return "self"
        symbolic = wanted in ("lab-ca", "previous-ca", "self")
        for label, ca in (("lab-ca", self.ca), ("previous-ca", self.previous_ca)):
            if symbolic and ca and certificate.issuer == ca.chain()[0].subject:
                return label
        return common_name(certificate.issuer)

    def certificate_bytes(self, source: m.Source, node: Node, unit: str) -> bytes:
        """The file a step uploads or pastes, from a named source or the scenario."""
        if source.pem is not None:
            return source.pem.encode()
        if source.file is not None:
            return (self.folder / source.file).read_bytes()
        name = str(source.source)
        origin = self.nodes(source.from_node)[0] if source.from_node else node
        unit = source.from_unit or unit.removesuffix("-trust")
        stores = self.lab.certs.stores(origin)
        if name.startswith(("ca-", "previous-ca-")):
            return to_pem(self.ca_files(name))
        if name == "oversized":
            return b"A" * (10 * 1024 * 1024)
        if name == "csr":
            pending = stores.csrs.get(unit)
            if pending is None:
                raise StepFailure(f"no {unit} CSR pending on {origin.hostname}")
            return pending.pem.encode()
        if name == "private-key":
            identity = stores.identities.get(unit)
            if identity is None:
                raise StepFailure(f"{origin.hostname} has no {unit} certificate")
            return identity.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        issued = self._issued(name, origin, unit)
        if name == "reversed-chain":
            return to_pem([*reversed(issued.chain), issued.leaf])
        if source.format == "der":
            return issued.der()
        if source.format == "pkcs7":
            return issued.pkcs7_pem()
        return issued.pem(with_chain=source.chain)

    def _issued(self, name: str, origin: Node, unit: str) -> SignedCertificate:
        if name in ("signed", "reversed-chain"):
            found = self.signed.get((origin.hostname, unit))
        elif name == "last-signed":
            found = self.last_signed
        else:
            found = self.named.get(name)
        if found is None:
            raise StepFailure(
                f"no certificate {name!r} for {unit} on {origin.hostname}: the lab "
                f"CA has not signed one",
                f"add lab ca-sign for {unit} on "
                f"{origin.hostname} after its CSR"
                + (f" with as: {name}" if name not in _SIGNED else ""),
            )
        return found

    # -- REST -------------------------------------------------------------------------
    def app(self, node: Node) -> FastAPI:
        """The node's HTTPS application, on a lab view that notes CUCM's errors,
        since a REST reply carries the code and text but not the hint."""
        if node.hostname not in self._apps:
            tapped = cast(Lab, _Tap(self.lab, self.rest_refusals))
            runtime = LabRuntime(tapped, self.runtime.credentials)
            self._apps[node.hostname] = create_node_app(runtime, node)
        return self._apps[node.hostname]


class _Noting:
    """Calls through to ``target``, noting each CucmError on the way out."""

    def __init__(self, target: object, seen: list[CucmError]) -> None:
        self._target, self._seen = target, seen

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except CucmError as error:
                self._seen.append(error)
                raise

        return call


class _Tap:
    def __init__(self, lab: Lab, seen: list[CucmError]) -> None:
        self._lab = lab
        self.certs = _Noting(lab.certs, seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lab, name)


# -- keys ----------------------------------------------------------------------
class ListedKeys:
    """Hands out a fixed list of RSA keys in order, then generates; so a lab's
    certificates repeat from run to run, and no key repeats within a lab."""

    def __init__(self, keys: Sequence[rsa.RSAPrivateKey]) -> None:
        self._keys, self._next = keys, 0
        self._fresh = GeneratedKeys()

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        if bits == 2048 and self._next < len(self._keys):
            self._next += 1
            return self._keys[self._next - 1]
        return self._fresh.rsa(bits)

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey:
        return self._fresh.ec(bits)


_LOADED: dict[Path, list[rsa.RSAPrivateKey]] = {}


def pool_keys(
    path: Path, on_generate: Callable[[int], None] | None = None
) -> list[rsa.RSAPrivateKey]:
    """The first :data:`POOL_KEYS` keys of the pool file, filling it if short."""
    if path not in _LOADED:
        pool = KeyPool.load(path)
        missing = POOL_KEYS - pool.available(2048)
        if missing > 0:
            if on_generate is not None:
                on_generate(missing)
            pool.fill(2048, POOL_KEYS)
            pool.save(path)
        _LOADED[path] = [pool.rsa(2048) for _ in range(POOL_KEYS)]
    return _LOADED[path]


def default_keys_file() -> Path:
    """The pool under ``$CUCM_LAB_STATE``, else ``.lab-state`` (as ``serve``)."""
    state = Path(os.environ.get("CUCM_LAB_STATE", ".lab-state"))
    return state / "keys" / "scenarios-rsa-2048.pem"


# -- one scenario --------------------------------------------------------------
def build_lab(scenario: m.Scenario, keys: Sequence[rsa.RSAPrivateKey]) -> Lab:
    """The scenario's lab, set up as its ``lab:`` section says."""
    spec = scenario.lab
    config = LabConfig(
        version=scenario.release,
        subscribers=spec.subscribers,
        imp=spec.imp,
        seed=spec.seed,
        phones=spec.phones,
        secure_phones=spec.secure_phones,
        service_scale=spec.service_scale,
        phone_scale=spec.phone_scale,
        ca_intermediate=spec.ca_intermediate,
        installed_days_ago=spec.installed_days_ago,
    )
    lab = Lab(config, keys=ListedKeys(keys))
    for name, value in spec.parameters.items():
        if name == "PrepareClusterForRollback":
            lab.security.set_prepare_cluster_for_rollback(value)
        else:
            lab.security.set_cluster_parameter(name, value)
    if spec.mixed_mode:
        # utils ctl set-cluster mixed-mode, then what its closing line asks.
        lab.security.set_mixed_mode()
        for service in lab.services:
            if service.name in _MIXED_MODE_RESTARTS and service.activated:
                _restart_and_wait(lab, service)
        lab.phones.reset()
        lab.clock.run_until(lab.phones.all_registered, limit=4 * 3600)
    return lab


def _restart_and_wait(lab: Lab, service: Service) -> None:
    control = service.restart()
    lab.clock.run_until(lambda: control.finished, limit=3600)


def uses_faults(scenario: m.Scenario) -> bool:
    return bool(scenario.lab.faults) or any(
        s.action in ("inject", "clear-faults") for s in scenario.active_steps()
    )


def run_scenario(
    scenario: m.Scenario, keys: Sequence[rsa.RSAPrivateKey] = ()
) -> ScenarioResult:
    """Run every step of ``scenario`` on a fresh lab; stop at the first failure."""
    began = time.perf_counter()
    result = ScenarioResult(str(scenario.path), scenario.title, scenario.release)
    lab = build_lab(scenario, keys)
    if uses_faults(scenario) and not hasattr(lab, "faults"):
        return result.finish(
            "skipped",
            "needs fault injection (lab.faults), which this build lacks",
            began,
        )
    run = Run(lab, scenario.path.parent)
    for fault in scenario.lab.faults:
        try:
            steps.add_fault(run, fault)
        except StepFailure as failed:
            return result.finish(
                "error", f"{scenario.path}: lab.faults: {failed}", began
            )
    run.start_seq = run.step_seq = len(lab.journal) - 1

    for step in scenario.active_steps():
        run.begin_step()
        status, message = _step(run, scenario, step)
        result.steps.append(
            StepResult(
                step.index, step.line, step.label, status, message, lab.clock.seconds
            )
        )
        if status != "passed":
            result.finish(status, message, began)
            break
    else:
        result.finish("passed", "", began)
    result.simulated = lab.clock.seconds
    result.events = len(lab.journal)
    result.digest = _digest(lab)
    return result


def _step(run: Run, scenario: m.Scenario, step: m.StepSpec) -> tuple[str, str]:
    where = f"{scenario.path}:{step.line}: step {step.index} ({step.label})"
    try:
        refusal = steps.execute(run, step)
    except StepFailure as failed:
        return "failed", _explain(
            where, "the step to do what it says", failed.message, failed.hint
        )
    except Exception as crashed:
        return "error", f"{where}\n  crashed: {type(crashed).__name__}: {crashed}"

    wanted = step.expect.error if step.expect is not None else None
    if refusal is None and wanted is not None:
        return "failed", _explain(where, f"error {wanted}", "the step succeeded")
    if refusal is not None and refusal.code != wanted:
        return "failed", _explain(
            where,
            f"error {wanted}" if wanted else "no error",
            _refused(refusal),
            refusal.hint,
        )
    if step.expect is None:
        return "passed", ""
    text = step.expect.message
    if text is not None and (refusal is None or text not in refusal.message):
        shown = refusal.message if refusal is not None else "no refusal"
        return "failed", _explain(where, f"message containing {text!r}", shown)
    mismatches = expect.check(run, step.expect)
    if not mismatches:
        return "passed", ""
    return "failed", "\n".join(
        _explain(
            where if i == 0 else "", f"{x.expectation}: {x.expected}", x.actual, x.hint
        )
        for i, x in enumerate(mismatches)
    ).strip()


def _refused(refusal: Refusal) -> str:
    injected = " (injected)" if refusal.injected else ""
    return f"{refusal.code}{injected}: {refusal.message}"


def _explain(where: str, expected: str, happened: str, hint: str = "") -> str:
    lines = [where] if where else []
    lines += [f"  expected {expected}", f"  happened: {happened}"]
    if hint:
        lines.append(f"  nearest valid step: {hint}")
    return "\n".join(lines)


def _digest(lab: Lab) -> str:
    """A fingerprint of the journal: equal for two runs that did the same."""
    text = "\n".join(
        f"{e.seq} {e.seconds:.6f} {e.kind} {e.node} {e.subject}" for e in lab.journal
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- many scenarios ------------------------------------------------------------
def scenario_files(paths: Iterable[Path | str]) -> list[Path]:
    """The YAML files named, directories searched recursively, in order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def run_paths(
    paths: Iterable[Path | str],
    *,
    jobs: int = 1,
    keys_file: Path | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> list[ScenarioResult]:
    """Run every scenario under ``paths``, in processes when ``jobs`` > 1;
    results in the order of the files, whatever order they finish in."""
    keys_file = keys_file or default_keys_file()
    planned: list[tuple[str, str] | ScenarioResult] = []
    for path in scenario_files(paths):
        try:
            planned += [(str(path), s.release) for s in load_file(path)]
        except ScenarioFormatError as broken:
            failed = ScenarioResult(str(path), path.stem, "")
            planned.append(failed.finish("error", str(broken), time.perf_counter()))
    if on_planned is not None:
        on_planned(len(planned))
    done = {id(p): p for p in planned if isinstance(p, ScenarioResult)}
    for result in done.values():
        if on_result is not None:
            on_result(result)

    work = [p for p in planned if isinstance(p, tuple)]
    keys = pool_keys(keys_file)
    if jobs <= 1 or len(work) <= 1:
        for item in work:
            done[id(item)] = _run_planned(*item, keys=keys)
            if on_result is not None:
                on_result(done[id(item)])
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_CONTEXT) as executor:
            futures = {
                executor.submit(_run_in_worker, *item, str(keys_file)): item
                for item in work
            }
            for future in as_completed(futures):
                done[id(futures[future])] = future.result()
                if on_result is not None:
                    on_result(future.result())
    return [done[id(p)] for p in planned]


def _run_planned(
    path: str, release: str, *, keys: Sequence[rsa.RSAPrivateKey]
) -> ScenarioResult:
    scenario = next(s for s in load_file(path) if s.release == release)
    return run_scenario(scenario, keys)


def _run_in_worker(path: str, release: str, keys_file: str) -> ScenarioResult:
    return _run_planned(path, release, keys=pool_keys(Path(keys_file)))
