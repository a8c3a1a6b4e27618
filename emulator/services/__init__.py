"""Control Center: the services of every node, and the manager that owns them.

:class:`ServiceManager` builds one :class:`Service` per node per catalogue
entry the node's role and the release have, and is where the surfaces find
them (the admin CLI's ``utils service``, Control Center's SOAP API and web
page). A lab begins with its services already running: each one that runs
by default is Started at time zero and has loaded its snapshot, without a
journal entry of its own; a single ``services.ready`` event records the lot.

Which services run where by default follows the reference: Cisco Tftp (and
the CTL Provider with it) on the TFTP nodes, the publisher alone unless the
lab names more; Cisco CallManager and CTIManager on the subscribers, since
the publisher ideally carries no phones (on a cluster with no subscriber the
publisher takes them); CAPF and DRF Master on the publisher; everything else
on every node that has it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence

from emulator.clock import LabClock
from emulator.cluster import Cluster, Node
from emulator.journal import Journal
from emulator.profile import ReleaseProfile
from emulator.services.catalogue import (
    BY_NAME,
    CAPF_SERVICE,
    RESTART_MATRIX,
    SPECS,
    TFTP_SERVICE,
    TVS_SERVICE,
    ReasonCode,
    Runs,
    ServiceSpec,
    restart_matrix,
)
from emulator.services.service import (
    Control,
    Listener,
    Loader,
    Service,
    ServiceState,
)
from emulator.services.settings import INSTANT, ServiceTiming, Triangular


class _NamedLookupError(KeyError):
    """A KeyError whose text reads as a sentence rather than a quoted key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnknownService(_NamedLookupError):
    """No service of that name on that node."""


class UnknownNode(_NamedLookupError):
    """No node of that name in the cluster."""


def _key(name: str) -> str:
    # Case and spacing are forgiven, so "Cisco TFTP" finds "Cisco Tftp".
    return " ".join(name.split()).casefold()


def _no_snapshot(hostname: str) -> object:
    return None


_CATALOGUE_KEYS = {_key(spec.name) for spec in SPECS}

# Units whose services 14 and later restart by themselves after the unit is
# regenerated (reference section 2.2, notes by release).
_AUTOMATIC = {"tvs": "TVS", "capf": "CAPF", "itlrecovery": "ITLRecovery"}


class ServiceManager:
    """Every node's Control Center services."""

    def __init__(
        self,
        *,
        clock: LabClock,
        journal: Journal,
        profile: ReleaseProfile,
        cluster: Cluster,
        rng: random.Random,
        timing: ServiceTiming | None = None,
        loaders: Mapping[str, Loader] | None = None,
        tftp_nodes: Sequence[str] | None = None,
        callmanager_on_publisher: bool = False,
    ) -> None:
        self.clock = clock
        self.journal = journal
        self.profile = profile
        self.cluster = cluster
        self.rng = rng
        self.timing = timing if timing is not None else ServiceTiming()
        self.callmanager_on_publisher = callmanager_on_publisher
        self._loaders: dict[str, Loader] = {}
        for name, loader in (loaders or {}).items():
            self._loaders[self._catalogue_key(name)] = loader
        self._tftp_at_start = self._resolve_tftp_nodes(tftp_nodes)
        #: Asked at every start: "hang" or "fail" when a fault rule says so.
        self.start_fault: Callable[[str, str], str | None] | None = None
        self._started: list[Listener] = []
        self._stopped: list[Listener] = []
        self._loaded: list[Listener] = []
        self._by_node: dict[str, dict[str, Service]] = {}

        for node in cluster.nodes:
            services = self._by_node[node.hostname] = {}
            for spec in SPECS:
                if node.role not in spec.roles or not spec.available(profile):
                    continue
                running = self._runs_at_start(spec, node)
                services[_key(spec.name)] = Service(self, node, spec, running=running)

        everything = list(self)
        journal.emit(
            "services.ready",
            started=sum(s.running for s in everything),
            stopped=sum(not s.running for s in everything),
            tftp_nodes=list(self.tftp_nodes),
        )

    def _resolve_tftp_nodes(self, names: Sequence[str] | None) -> tuple[str, ...]:
        if names is None:
            return (self.cluster.publisher.hostname,)
        if isinstance(names, str):
            names = (names,)
        resolved = []
        for name in names:
            node = self._node(name)
            if not node.is_cucm:
                raise ValueError(f"{node.hostname} is an IM&P node and runs no TFTP")
            resolved.append(node.hostname)
        return tuple(dict.fromkeys(resolved))

    def _runs_at_start(self, spec: ServiceSpec, node: Node) -> bool:
        if spec.runs is Runs.EVERYWHERE:
            return True
        if spec.runs is Runs.PUBLISHER:
            return node.is_publisher
        if spec.runs is Runs.TFTP_NODES:
            return node.hostname in self._tftp_at_start
        if spec.runs is Runs.CALL_PROCESSING:
            carries_phones = (
                self.callmanager_on_publisher or not self.cluster.subscribers
            )
            return node.role == "subscriber" or (node.is_publisher and carries_phones)
        return False

    # -- lookup ------------------------------------------------------------------
    @property
    def tftp_nodes(self) -> tuple[str, ...]:
        """The TFTP nodes: host names of the nodes where Cisco Tftp is activated."""
        return tuple(s.node for s in self if s.name == TFTP_SERVICE and s.activated)

    @staticmethod
    def _catalogue_key(name: str) -> str:
        key = _key(name)
        if key not in _CATALOGUE_KEYS:
            choices = ", ".join(spec.name for spec in SPECS)
            raise UnknownService(f"no service {name!r} in CUCM; services: {choices}")
        return key

    def __iter__(self) -> Iterator[Service]:
        for services in self._by_node.values():
            yield from services.values()

    def _node(self, name: str | Node) -> Node:
        hostname = name.hostname if isinstance(name, Node) else name
        node = self.cluster.find(hostname)
        if node is None:
            choices = ", ".join(n.hostname for n in self.cluster.nodes)
            raise UnknownNode(f"no node {hostname!r} in this cluster; nodes: {choices}")
        return node

    def on_node(self, node: str | Node) -> list[Service]:
        """The node's services, in the order Control Center lists them."""
        return list(self._by_node[self._node(node).hostname].values())

    def find(self, node: str | Node, name: str) -> Service | None:
        """The service, or None when the node does not have it."""
        return self._by_node[self._node(node).hostname].get(_key(name))

    def get(self, node: str | Node, name: str) -> Service:
        """The service called ``name`` (any case) on ``node``."""
        service = self.find(node, name)
        if service is None:
            hostname = self._node(node).hostname
            choices = ", ".join(s.name for s in self.on_node(hostname))
            raise UnknownService(
                f"no service {name!r} on {hostname}; its services are: {choices}"
            )
        return service

    # -- hooks -------------------------------------------------------------------
    def on_started(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` each time a service reaches Started."""
        return _subscribe(self._started, listener)

    def on_stopped(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` each time a service stops serving (also mid-restart)."""
        return _subscribe(self._stopped, listener)

    def on_loaded(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` each time a service holds a new snapshot: when it
        starts, when a command rewrites what it serves, when a lab is rewound."""
        return _subscribe(self._loaded, listener)

    def notify_loaded(self, service: Service) -> None:
        for listener in list(self._loaded):
            listener(service)

    def notify_started(self, service: Service) -> None:
        for listener in list(self._started):
            listener(service)

    def notify_stopped(self, service: Service) -> None:
        for listener in list(self._stopped):
            listener(service)

    def loader_for(self, service_name: str) -> Loader:
        return self._loaders.get(_key(service_name), _no_snapshot)

    def set_loader(
        self, service_name: str, loader: Loader, *, load_running: bool = True
    ) -> None:
        """Give a service its loader after the manager was built.

        This is for wiring a lab together: layers built after the services
        (TFTP, TVS) register their loaders here, and by default the instances
        already running take their snapshot now, as if they had taken it when
        the lab began. It is not a restart: nothing is journalled.
        """
        key = self._catalogue_key(service_name)
        self._loaders[key] = loader
        if load_running:
            for service in self:
                if _key(service.name) == key and service.running:
                    service.loaded = loader(service.node)

    def draw_restart_seconds(self, service: Service) -> float:
        """One whole-restart duration for ``service``, scaled by the lab setting."""
        spread = self.timing.restart_time(service.name, service.spec.restart)
        return spread.draw(self.rng) * self.timing.scale

    # -- certificate rules -------------------------------------------------------
    def restart_matrix(self, unit: str) -> tuple[str, ...]:
        """The services to restart after ``unit`` changes, on this lab's release."""
        return restart_matrix(unit, self.profile)

    def restart_for_unit(self, node: str | Node, unit: str) -> list[Control]:
        """Restart what 14 and later restart by themselves after ``unit`` changes.

        TVS restarts the node's Trust Verification Service, CAPF the
        publisher's CAPF service, ITLRecovery the Trust Verification Service
        of every CUCM node. Older releases, other units and services that are
        not activated restart nothing.
        """
        canonical = _AUTOMATIC.get(unit.casefold())
        if not self.profile.automatic_restarts or canonical is None:
            return []
        if canonical == "TVS":
            targets = [self.find(node, TVS_SERVICE)]
        elif canonical == "CAPF":
            targets = [self.find(self.cluster.publisher, CAPF_SERVICE)]
        else:
            targets = [self.find(n, TVS_SERVICE) for n in self.cluster.cucm_nodes]
        return [s.restart() for s in targets if s is not None and s.activated]


def _subscribe(listeners: list[Listener], listener: Listener) -> Callable[[], None]:
    listeners.append(listener)

    def unsubscribe() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unsubscribe


__all__ = [
    "BY_NAME",
    "INSTANT",
    "RESTART_MATRIX",
    "SPECS",
    "Control",
    "Listener",
    "Loader",
    "ReasonCode",
    "Service",
    "ServiceManager",
    "ServiceSpec",
    "ServiceState",
    "ServiceTiming",
    "Triangular",
    "UnknownNode",
    "UnknownService",
    "restart_matrix",
]
