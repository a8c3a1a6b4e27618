"""The lab's phones as simpy processes: reset, boot, decide trust, register.

A boot is three waits: the reboot, the TFTP downloads (queued at the TFTP
node's bounded transfer slots), and registration. Between them the phone
decides trust with the rules in :mod:`emulator.phones.trust`, from what the
TFTP, TVS and CallManager services have *loaded*. Outcomes such as "Trust
List Update Failed" or a TLS registration failure are never set directly:
they follow from those rules.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

from emulator.phones.model import (
    MODELS,
    Phone,
    PhoneTiming,
    Spread,
    StatusReason,
)
from emulator.phones.registration import Registrar
from emulator.phones.trust import (
    TvsAnswer,
    Verdict,
    judge_config,
    judge_trust_list,
)
from emulator.tftp import TftpFiles
from emulator.trustfiles.tlv import Role
from emulator.tvs import TvsSnapshot

if TYPE_CHECKING:
    from emulator.lab import Lab

TFTP = "Cisco Tftp"
TVS = "Cisco Trust Verification Service"
CALLMANAGER = "Cisco CallManager"
TRUST_LIST_UPDATE_FAILED = "Trust List Update Failed"
REGISTERING = "Phone is registering"
HOST_NOT_FOUND = "Host Not Found"
_CCM_TFTP = frozenset({Role.CCM_TFTP})


class TftpSlots:
    """A TFTP node's concurrent transfer slots, as a bounded FIFO server.

    Requests arrive in simulated-time order, so each one's finish time can be
    computed when it arrives; that costs one timeout per phone instead of a
    request, a grant and a release.
    """

    def __init__(self, capacity: int) -> None:
        self._free = [0.0] * max(1, capacity)

    def finish(self, now: float, seconds: float) -> float:
        start = max(now, heapq.heappop(self._free))
        end = start + seconds
        heapq.heappush(self._free, end)
        return end


class PhoneFleet(Registrar):
    """Every phone of a lab and the operations on them."""

    def __init__(
        self,
        lab: Lab,
        count: int,
        *,
        secure: float = 0.0,
        timing: PhoneTiming | None = None,
    ) -> None:
        self.lab = lab
        self.timing = timing or PhoneTiming()
        self.rng = lab.rng("phones")
        self.config_generation = 1
        self.phones: list[Phone] = []
        self.by_name: dict[str, Phone] = {}
        self.registered: dict[str, set[Phone]] = {
            n.hostname: set() for n in lab.cluster.nodes
        }
        self._slots = {
            node: TftpSlots(self.timing.tftp_capacity)
            for node in lab.services.tftp_nodes
        }
        self._served: dict[str, bytes] = {}
        self._verdicts: dict[tuple[Any, ...], Verdict] = {}
        self._tvs_epoch = 0
        self._powered = count
        self._registered_total = 0
        self._create(count, secure)
        lab.services.on_started(self._service_started)
        lab.services.on_stopped(self._service_stopped)

    # -- creation --
    def _create(self, count: int, secure: float) -> None:
        lab = self.lab
        call_processing = [
            n.hostname
            for n in lab.cluster.cucm_nodes
            if (s := lab.services.find(n, CALLMANAGER)) is not None and s.activated
        ]
        tftp_nodes = list(lab.services.tftp_nodes)
        rng = self.rng
        net = lab.cluster.publisher.ip_address.split(".")[:2]
        for index in range(count):
            primary = call_processing[index % len(call_processing)]
            secondary = (
                call_processing[(index + 1) % len(call_processing)]
                if len(call_processing) > 1
                else None
            )
            phone = Phone(
                mac=f"{rng.getrandbits(48):012X}",
                model=rng.choice(MODELS),
                directory_number=str(1000 + index),
                ip_address=f"{net[0]}.{net[1]}.{100 + index // 250}.{1 + index % 250}",
                primary=primary,
                secondary=secondary,
                tftp=tftp_nodes[index % len(tftp_nodes)],
                secure=rng.random() < secure,
            )
            self.phones.append(phone)
            self.by_name[phone.name] = phone
            self._settle(phone)
        lab.journal.emit(
            "phones.ready",
            count=count,
            registered=sum(len(p) for p in self.registered.values()),
        )

    def _settle(self, phone: Phone) -> None:
        """A phone that booted before the lab began: it trusts what TFTP serves."""
        files = self._files(phone)
        if files is not None:
            self._served.setdefault(files.node, files.itl.raw)
            phone.itl = files.itl
        phone.ctl = self.lab.security.ctl
        phone.config_generation = self.config_generation
        target = self._callmanager_for(phone)
        if target is not None:
            self._mark_registered(phone, target, quiet=True)

    def restore(
        self,
        phones: dict[str, dict[str, Any]],
        config_generation: int,
        served: dict[str, bytes],
        booting: list[str],
    ) -> None:
        """Take back saved phones; those that were booting boot again."""
        self.config_generation = config_generation
        self._served = dict(served)
        self._verdicts.clear()
        self._slots = {n: TftpSlots(self.timing.tftp_capacity) for n in self._slots}
        self.registered = {node: set() for node in self.registered}
        for phone in self.phones:
            for name, value in phones[phone.name].items():
                setattr(phone, name, value)
            phone.booting = False
            phone.token += 1
            if phone.registered_to is not None:
                self.registered[phone.registered_to].add(phone)
        self._registered_total = sum(len(s) for s in self.registered.values())
        self._powered = sum(1 for p in self.phones if p.powered)
        again = [self.by_name[name] for name in booting]
        if again:
            self.reset(again)

    # -- selection --
    def get(self, name: str) -> Phone | None:
        return self.by_name.get(name.upper())

    def select(
        self,
        *,
        names: Iterable[str] | None = None,
        status: str | None = None,
        node: str | None = None,
        model: str | None = None,
    ) -> list[Phone]:
        """Phones matching every given filter (names exactly, status by value)."""
        chosen = self.phones
        if names is not None:
            wanted = {n.upper() for n in names}
            chosen = [p for p in chosen if p.name in wanted]
        if status is not None:
            chosen = [
                p for p in chosen if p.status.value.casefold() == status.casefold()
            ]
        if node is not None:
            chosen = [p for p in chosen if node in (p.registered_to, p.primary)]
        if model is not None:
            chosen = [p for p in chosen if p.model.name.casefold() == model.casefold()]
        return chosen

    def counts(self) -> dict[str, int]:
        """How many phones are in each registration status."""
        found: dict[str, int] = {}
        for phone in self.phones:
            found[phone.status.value] = found.get(phone.status.value, 0) + 1
        return found

    def locked(self) -> list[Phone]:
        """Phones whose last trust decision refused the cluster's files."""
        return [p for p in self.phones if p.message == TRUST_LIST_UPDATE_FAILED]

    def all_registered(self) -> bool:
        """Whether every powered phone is registered (what RTMT is watched for)."""
        return self._registered_total == self._powered

    # -- operations --
    def reset(self, phones: Iterable[Phone] | None = None, *, reason: int = 9) -> int:
        """Reset (reboot): the phones download CTL, ITL and configuration again."""
        return self._reboot(phones, self.timing.reset, reason, "reset")

    def restart(self, phones: Iterable[Phone] | None = None) -> int:
        """Restart: quicker than a reset, and the files are downloaded again."""
        return self._reboot(phones, self.timing.restart, 9, "restart")

    def power_off(self, phones: Iterable[Phone]) -> int:
        count = 0
        for phone in phones:
            if phone.powered:
                phone.powered = False
                self._powered -= 1
                phone.booting = False
                phone.token += 1
                self._mark_unregistered(phone, StatusReason.CONNECTIVITY_ERROR, "")
                self.lab.journal.emit("phone.power", subject=phone.name, powered=False)
                count += 1
        return count

    def power_on(self, phones: Iterable[Phone]) -> int:
        targets = [p for p in phones if not p.powered]
        for phone in targets:
            phone.powered = True
            self._powered += 1
            self.lab.journal.emit("phone.power", subject=phone.name, powered=True)
        return self._reboot(targets, self.timing.reset, 8, "power")

    def erase_trust(self, phones: Iterable[Phone], *, factory: bool = False) -> int:
        """Erase the ITL and CTL on the phone (Settings > Security > Trust List,
        or a factory reset, which also drops the configuration); it then resets."""
        targets = [p for p in phones if p.powered]
        for phone in targets:
            phone.itl = None
            phone.ctl = None
            if factory:
                phone.config_generation = 0
            self.lab.journal.emit(
                "phone.trust.erased", subject=phone.name, factory=factory
            )
        return self._reboot(
            targets, self.timing.reset, 8, "factory-reset" if factory else "erase"
        )

    def apply_config(self) -> None:
        """A configuration change every phone should pick up at its next boot."""
        self.config_generation += 1

    def _reboot(
        self, phones: Iterable[Phone] | None, spread: Spread, reason: int, kind: str
    ) -> int:
        targets = [p for p in (self.phones if phones is None else phones) if p.powered]
        scale = self.timing.scale
        for phone in targets:
            phone.token += 1
            phone.booting = True
            self._mark_unregistered(phone, reason, "", quiet=True)
            self.env.process(
                self._boot(phone, phone.token, spread.draw(self.rng) * scale)
            )
        self.lab.journal.emit("phones.reboot", action=kind, count=len(targets))
        return len(targets)

    # -- the boot --
    def _boot(
        self, phone: Phone, token: int, reboot: float
    ) -> Generator[Any, Any, None]:
        env = self.env
        yield env.timeout(reboot)
        if phone.token != token:
            return
        phone.booting = False
        if self._files(phone) is not None:
            files_count = 3 if self.lab.security.ctl is not None else 2
            seconds = files_count * self.timing.transfer_seconds * self.timing.scale
            end = self._slots[phone.tftp].finish(env.now, seconds)
            yield env.timeout(end - env.now)
            if phone.token != token:
                return
            files = self._files(phone)
            if files is not None:
                self._update_trust(phone, files)
        yield env.timeout(self.timing.register.draw(self.rng) * self.timing.scale)
        if phone.token == token:
            self._register(phone)

    def _files(self, phone: Phone) -> TftpFiles | None:
        service = self.lab.services.find(phone.tftp, TFTP)
        if service is None or not service.running:
            return None
        loaded = service.loaded
        return loaded if isinstance(loaded, TftpFiles) else None

    def _update_trust(self, phone: Phone, files: TftpFiles) -> None:
        ctl = self.lab.security.ctl
        phone.message = ""
        if ctl is not None and ctl is not phone.ctl:
            verdict = self._judge("CTL", phone, ctl)
            if verdict.accepted:
                phone.ctl = ctl
        if files.itl is not phone.itl:
            verdict = self._judge("ITL", phone, files.itl)
            if verdict.accepted:
                phone.itl = files.itl
                self.lab.journal.emit(
                    "phone.trust.itl", subject=phone.name, outcome=verdict.outcome.name
                )
        forced = self._forced(phone, "config")
        config = forced or judge_config(
            phone.itl, phone.ctl, files.config_signer, phone.group, self._ask_tvs
        )
        if config.accepted:
            phone.config_generation = self.config_generation
        else:
            self._refused(phone, "config", config, injected=forced is not None)

    def _judge(self, kind: str, phone: Phone, new: Any) -> Verdict:
        forced = self._forced(phone, kind)
        if forced is not None:
            self._refused(phone, kind, forced, injected=True)
            return forced
        key = (id(phone.itl), id(phone.ctl), id(new), phone.group, self._tvs_epoch)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = judge_trust_list(
                phone.itl, phone.ctl, new, phone.group, self._ask_tvs
            )
            self._verdicts[key] = verdict
        if not verdict.accepted:
            self._refused(phone, kind, verdict)
        return verdict

    def _forced(self, phone: Phone, kind: str) -> Verdict | None:
        """A trust outcome a fault rule forces on this phone, if any."""
        faults = getattr(self.lab, "faults", None)
        if faults is None or not faults.armed():
            return None
        outcome = faults.outcome(phone.name, kind)
        return Verdict(outcome) if outcome is not None else None

    def _refused(
        self, phone: Phone, kind: str, verdict: Verdict, *, injected: bool = False
    ) -> None:
        phone.message = TRUST_LIST_UPDATE_FAILED
        self.lab.journal.emit(
            "phone.trust.rejected",
            subject=phone.name,
            injected=injected,
            file=kind,
            outcome=verdict.outcome.name,
            text=verdict.outcome.value,
        )

    def _ask_tvs(
        self, node: str, trusted: frozenset[bytes], signer: bytes
    ) -> TvsAnswer:
        service = self.lab.services.find(node, TVS)
        if service is None or not service.running:
            return TvsAnswer.UNREACHABLE
        snapshot = service.loaded
        if not isinstance(snapshot, TvsSnapshot) or snapshot.presented not in trusted:
            # The TLS handshake to port 2445 fails: the phone cannot
            # authenticate this TVS with its own ITL.
            return TvsAnswer.UNREACHABLE
        return (
            TvsAnswer.VOUCHED
            if signer in snapshot.vouches
            else TvsAnswer.UNKNOWN_SIGNER
        )

    # -- counters --
    def registered_count(self, node: str) -> int:
        """PerfMon "Cisco CallManager" RegisteredHardwarePhones on ``node``."""
        return len(self.registered.get(node, ()))


Selector = Callable[[Phone], bool]
