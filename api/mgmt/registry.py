"""The labs one server hosts, each built from a template and served on its ports.

A workshop gives every trainee a lab of their own; each is a
:class:`~api.runtime.LabRuntime` (the lab, its credentials, the task pacing
its clock) and a :class:`~api.host.LabHost` (its nodes' listeners). A lab is
always rebuilt from its template: a reset builds a new lab with the same
seed before it stops the old one (a build that fails leaves the lab as it
was), then serves the new one on the ports the old one had.

Labs take their RSA keys from a key supply: the server's background pool, or
in tests any factory of key sources.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from api.host import LabHost, PortPlan
from api.keypool import BackgroundKeyPool, keys_for
from api.runtime import Credentials, LabRuntime
from emulator import Lab, LabConfig
from emulator.pki.keys import KeySource
from emulator.profile import PROFILES

DEFAULT = "default"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_PHONES = 40_000


class UnknownLab(KeyError):
    """No lab by that name; the message lists the labs there are."""

    def __str__(self) -> str:
        return str(self.args[0])


class LabConflict(Exception):
    """The request clashes with the state of the registry."""


class LabExists(LabConflict):
    """A lab by that name already runs."""


class LabBusy(LabConflict):
    """The lab is in the middle of being built, reset or deleted."""


@dataclass(frozen=True)
class LabTemplate:
    """What a lab is built from; a reset builds it again from the same."""

    version: str = "15"
    subscribers: int = 2
    imp: int = 1
    phones: int = 50
    secure_phones: float = 0.0
    mixed_mode: bool = False
    seed: int = 1
    clock: Literal["paced", "stepped"] = "paced"
    #: Paced mode: simulated seconds per wall second. At 30 a Tomcat restart
    #: of two to four simulated minutes takes a few seconds.
    speed: float = 30.0
    ca_intermediate: bool = True

    def check(self) -> None:
        """Refuse a template no lab can be built from, naming the field."""
        if self.version not in PROFILES:
            raise ValueError(
                f"version: no release {self.version!r}; choose one of: "
                f"{', '.join(PROFILES)}"
            )
        for name, low, high in (
            ("subscribers", 0, 8),
            ("imp", 0, 6),
            ("phones", 0, MAX_PHONES),
        ):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name}: {value} is not between {low} and {high}")
        if not 0.0 <= self.secure_phones <= 1.0:
            raise ValueError(
                f"secure_phones: {self.secure_phones} is not a share between 0 and 1"
            )
        if self.clock not in ("paced", "stepped"):
            raise ValueError(f"clock: {self.clock!r}; choose paced or stepped")
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"speed: {self.speed} must be a number above zero")

    def config(self, name: str) -> LabConfig:
        return LabConfig(
            version=self.version,
            subscribers=self.subscribers,
            imp=self.imp,
            phones=self.phones,
            secure_phones=self.secure_phones,
            seed=self.seed,
            name=name,
            ca_intermediate=self.ca_intermediate,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class KeySupply(Protocol):
    """Where the registry's labs get their keys."""

    def source(self) -> KeySource: ...

    async def ensure(self, count: int) -> None: ...


class FactorySupply:
    """A key supply from a plain factory of key sources (tests, notebooks)."""

    def __init__(self, factory: Callable[[], KeySource]) -> None:
        self._factory = factory

    def source(self) -> KeySource:
        return self._factory()

    async def ensure(self, count: int) -> None:
        return None


@dataclass(frozen=True)
class PinnedPorts(PortPlan):
    """The ports a lab's nodes already had, so a reset keeps its addresses."""

    pinned: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()

    def address_of(self, index: int) -> str:
        return self.pinned[index][0]

    def ports_of(self, index: int) -> dict[str, int]:
        return dict(self.pinned[index][1])


@dataclass
class HostedLab:
    """One lab of the registry and where it is served."""

    name: str
    template: LabTemplate
    runtime: LabRuntime
    host: LabHost
    #: Bumped by every reset, so streams know their lab was rebuilt.
    generation: int = 0

    @property
    def lab(self) -> Lab:
        return self.runtime.lab

    def pinned(self) -> PinnedPorts:
        nodes = []
        for node in self.lab.cluster.nodes:
            endpoint = self.host.endpoints[node.hostname]
            nodes.append((endpoint.address, tuple(sorted(endpoint.ports.items()))))
        return PinnedPorts(pinned=tuple(nodes))


class LabRegistry:
    """Named labs on one asyncio loop; ``default`` is the one most people use."""

    def __init__(
        self,
        keys: KeySupply | Callable[[], KeySource] | None = None,
        *,
        address: str = "127.0.0.1",
    ) -> None:
        if keys is None:
            keys = BackgroundKeyPool()
        self.keys = keys if isinstance(keys, KeySupply) else FactorySupply(keys)
        self.address = address
        self.labs: dict[str, HostedLab] = {}
        # Names whose lab is being built, reset or deleted: a second change
        # while the first awaits would act on a half-built lab.
        self._busy: set[str] = set()
        self._built = 0

    def get(self, name: str) -> HostedLab:
        try:
            return self.labs[name]
        except KeyError:
            known = ", ".join(self.labs) or "none"
            raise UnknownLab(f"lab: no lab {name!r}; labs: {known}") from None

    async def create(
        self, name: str, template: LabTemplate, *, base_port: int = 0
    ) -> HostedLab:
        """Build a lab from ``template`` and serve its nodes."""
        if not NAME.match(name):
            raise ValueError(
                f"name: {name!r} is not a lab name; use up to 32 lower-case "
                "letters, digits, '-' or '_', starting with a letter or digit"
            )
        if name in self.labs or name in self._busy:
            raise LabExists(
                f"name: a lab called {name!r} already exists; choose another name, "
                f"or reset it with POST /labs/{name}/reset"
            )
        template.check()
        with self._claim(name):
            lab = await self._build(name, template)
            hosted = await self._serve(name, template, lab, base_port=base_port)
        self.labs[name] = hosted
        return hosted

    async def delete(self, name: str) -> None:
        """Stop the lab's listeners and forget it."""
        hosted = self.get(name)
        with self._claim(name):
            del self.labs[name]
            await hosted.host.stop()

    async def reset(self, name: str) -> HostedLab:
        """Rebuild the lab from its template with the same seed and ports."""
        old = self.get(name)
        with self._claim(name):
            lab = await self._build(name, old.template)
            await old.host.stop()
            credentials = old.runtime.credentials
            try:
                hosted = await self._serve(
                    name, old.template, lab, plan=old.pinned(), credentials=credentials
                )
            except OSError:
                # A port was taken in between: the nodes move to free ports, on
                # a lab that never saw the failed listeners.
                lab = await self._build(name, old.template)
                hosted = await self._serve(
                    name, old.template, lab, credentials=credentials
                )
            hosted.generation = old.generation + 1
            self.labs[name] = hosted
        return hosted

    async def close(self) -> None:
        for name in list(self.labs):
            await self.delete(name)

    @contextlib.contextmanager
    def _claim(self, name: str) -> Iterator[None]:
        if name in self._busy:
            raise LabBusy(
                f"lab: {name!r} is being built, reset or deleted; try again when "
                "that has finished"
            )
        self._busy.add(name)
        try:
            yield
        finally:
            self._busy.discard(name)

    async def _build(self, name: str, template: LabTemplate) -> Lab:
        first = self._built == 0
        await self.keys.ensure(
            keys_for(subscribers=template.subscribers, imp=template.imp, first=first)
        )
        lab = Lab(template.config(name), keys=self.keys.source())
        self._built += 1
        if template.mixed_mode:
            switch_to_mixed_mode(lab)
        if template.clock == "paced":
            lab.clock.set_paced(template.speed)
        return lab

    async def _serve(
        self,
        name: str,
        template: LabTemplate,
        lab: Lab,
        *,
        base_port: int = 0,
        plan: PortPlan | None = None,
        credentials: Credentials | None = None,
    ) -> HostedLab:
        runtime = LabRuntime(lab, credentials)
        host = LabHost(runtime, plan or PortPlan(address=self.address, base=base_port))
        try:
            await host.start()
        except BaseException:
            await host.stop()
            raise
        return HostedLab(name, template, runtime, host)


#: Services that load the CTL and must restart after a security mode change.
_CTL_USERS = ("Cisco Tftp", "Cisco CallManager")


def switch_to_mixed_mode(lab: Lab) -> None:
    """Put a new lab in mixed mode the way an administrator does: ``utils ctl
    set-cluster mixed-mode``, restart TFTP and CallManager, reset the phones.

    This runs in stepped time before the lab is served, so the lab's clock
    starts a few simulated minutes on and its journal opens with the switch.
    """
    lab.security.set_mixed_mode()
    controls = []
    for node in lab.cluster.cucm_nodes:
        for name in _CTL_USERS:
            service = lab.services.find(node, name)
            if service is not None and service.activated:
                controls.append(service.restart())
    lab.clock.run_until(lambda: all(c.finished for c in controls), limit=7200)
    lab.phones.reset()
    lab.clock.run_until(lab.phones.all_registered, limit=7200)
