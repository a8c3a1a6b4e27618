"""Every node's Control Center services and the commands that move them.

A :class:`Service` is one row of one node's Control Center. It is activated
or not (the Service Activation page; network services always are) and in one
of Control Center's four states. Commands answer at once, the way Control
Center's SOAP reply does, with a :class:`Control`: a reason code and the simpy
event that fires when the service settles. The first state change happens
within the command, so the reply already shows Stopping or Starting; the rest
takes simulated time drawn from the lab's seed (:mod:`emulator.services.
settings`), and with durations scaled to zero it is over before the command
returns. A restart goes Stopping, Starting, Started, the states ``utils
service restart`` prints; only a plain stop rests in Stopped.

Commands on one service run one after another. A command that would change
nothing is refused with Control Center's reason code and starts nothing:
start on a started service is -1039, stop on a stopped one -1040, and either
while the service is already on its way there -1057. A restart is always
accepted: issued during a transition it waits for that transition to end and
then restarts, as ``utils service restart`` run a second time does. Any
command on a service that is not activated answers -1068.

When a service reaches Started it calls its loader, which returns the
snapshot of installed certificates (or anything else) it will use until its
next start. This is the "installed versus loaded" rule of the design page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from emulator.clock import LabClock
from emulator.cluster import Node
from emulator.services.catalogue import ReasonCode, ServiceSpec

if TYPE_CHECKING:
    from emulator.services import ServiceManager


class ServiceState(Enum):
    """A service's state as Control Center spells it."""

    STARTED = "Started"
    STOPPED = "Stopped"
    STARTING = "Starting"
    STOPPING = "Stopping"


#: Gets a node's host name, returns what the service loaded on starting.
Loader = Callable[[str], object]
#: Told about a service that has just started or stopped.
Listener = Callable[["Service"], None]

_STOP, _START = "stop", "start"
#: How long a service that hangs stays Starting before it comes up after all.
HANG_SECONDS = 1800.0
_ACTIVATE, _DEACTIVATE = "activate", "deactivate"


@dataclass(frozen=True)
class Control:
    """Control Center's answer to one command, and the transition it began.

    ``done`` is a simpy event that fires once the service has settled; for a
    refused command it fires as soon as any transition already under way ends.
    """

    service: Service
    action: str  # "Start", "Stop", "Restart", "Deploy" or "UnDeploy"
    reason: ReasonCode
    done: Any

    @property
    def accepted(self) -> bool:
        return self.reason is ReasonCode.SUCCESSFUL

    @property
    def finished(self) -> bool:
        """True once the service has settled; clocks wait on this."""
        return bool(self.done.triggered)

    @property
    def reason_code(self) -> int:
        return int(self.reason)

    @property
    def reason_string(self) -> str:
        return self.reason.text


class Service:
    """One Control Center service on one node."""

    def __init__(
        self, manager: ServiceManager, node: Node, spec: ServiceSpec, *, running: bool
    ) -> None:
        self.node = node.hostname
        self.name = spec.name
        self.spec = spec
        self.activated = running or not spec.is_feature
        self.state = ServiceState.STOPPED
        self.started_at: float | None = None
        self.loaded: object = None
        self.generation = 0
        #: True after a start that failed, until the next successful one.
        self.failed = False
        #: Extra seconds the next start takes (TFTP building every device's
        #: files); read when the start begins, scaled like the drawn time.
        self.extra_start_seconds: Callable[[], float] | None = None
        self._manager = manager
        # Where the queued commands will leave the service; refusals are
        # judged against these, not against the state of the moment.
        self._target = ServiceState.STOPPED
        self._target_activated = self.activated
        self._busy: Any = None
        if running:
            self._boot()

    def __repr__(self) -> str:
        return f"<Service {self.name!r} on {self.node}: {self.state.value}>"

    @property
    def reason(self) -> ReasonCode:
        """Why the service is in its state, as Control Center reports it."""
        if self.state is not ServiceState.STOPPED:
            return ReasonCode.SUCCESSFUL
        if not self.activated:
            return ReasonCode.NOT_ACTIVATED
        if self.failed:
            return ReasonCode.NOT_RUNNING
        return ReasonCode.COMMANDED_OUT_OF_SERVICE

    @property
    def reason_code(self) -> int:
        return int(self.reason)

    @property
    def reason_string(self) -> str:
        return self.reason.text

    @property
    def running(self) -> bool:
        """True while the service serves clients (Started)."""
        return self.state is ServiceState.STARTED

    @property
    def busy(self) -> bool:
        """True while a command's transition is still under way or queued."""
        return self._busy is not None and not self._busy.triggered

    def uptime(self) -> float:
        """Simulated seconds since the service last reached Started, else 0."""
        if self.started_at is None or not self.running:
            return 0.0
        return self._clock.seconds - self.started_at

    # -- commands ----------------------------------------------------------------
    def start(self) -> Control:
        """Control Center's Start."""
        if not self._target_activated:
            return self._refuse("Start", ReasonCode.NOT_ACTIVATED)
        if self._target is ServiceState.STARTED:
            already = self.running and not self.busy
            reason = (
                ReasonCode.ALREADY_STARTED if already else ReasonCode.ALREADY_IN_STATE
            )
            return self._refuse("Start", reason)
        return self._queue("Start", (_START,), ServiceState.STARTED)

    def stop(self) -> Control:
        """Control Center's Stop: the service ends "Commanded Out of Service"."""
        if not self._target_activated:
            return self._refuse("Stop", ReasonCode.NOT_ACTIVATED)
        if self._target is ServiceState.STOPPED:
            already = self.state is ServiceState.STOPPED and not self.busy
            reason = (
                ReasonCode.ALREADY_STOPPED if already else ReasonCode.ALREADY_IN_STATE
            )
            return self._refuse("Stop", reason)
        return self._queue("Stop", (_STOP,), ServiceState.STOPPED)

    def restart(self) -> Control:
        """Stopping, then Starting, then Started; a stopped service just starts."""
        if not self._target_activated:
            return self._refuse("Restart", ReasonCode.NOT_ACTIVATED)
        return self._queue("Restart", (_STOP, _START), ServiceState.STARTED)

    def activate(self) -> Control:
        """Service Activation's tick: the service is activated and starts."""
        if not self.spec.is_feature:
            return self._refuse("Deploy", ReasonCode.BAD_ARGUMENTS)
        if self._target_activated:
            return self._refuse("Deploy", ReasonCode.ALREADY_IN_STATE)
        self._target_activated = True
        return self._queue("Deploy", (_ACTIVATE, _START), ServiceState.STARTED)

    def deactivate(self) -> Control:
        """Service Activation's untick: the service stops and is not activated."""
        if not self.spec.is_feature:
            return self._refuse("UnDeploy", ReasonCode.BAD_ARGUMENTS)
        if not self._target_activated:
            return self._refuse("UnDeploy", ReasonCode.ALREADY_IN_STATE)
        self._target_activated = False
        return self._queue("UnDeploy", (_DEACTIVATE, _STOP), ServiceState.STOPPED)

    # -- transitions -------------------------------------------------------------
    @property
    def _clock(self) -> LabClock:
        return self._manager.clock

    def _refuse(self, action: str, reason: ReasonCode) -> Control:
        if self.busy:
            done = self._busy
        else:
            done = self._clock.env.event()
            done.succeed()
        return Control(self, action, reason, done)

    def _queue(
        self, action: str, phases: Sequence[str], target: ServiceState
    ) -> Control:
        previous = self._busy if self.busy else None
        done = self._clock.env.event()
        self._target, self._busy = target, done

        # Run up to the first wait at once, so the reply to the command already
        # shows Stopping or Starting; with zero durations the whole transition
        # happens here, before the command returns.
        steps = self._run(previous, phases)
        first = next(steps, None)
        if first is None:
            done.succeed()
        else:
            self._clock.env.process(_resume(first, steps, done))
        return Control(self, action, ReasonCode.SUCCESSFUL, done)

    def _run(self, previous: Any, phases: Sequence[str]) -> Generator[Any, Any, None]:
        if previous is not None:
            yield previous
        if _ACTIVATE in phases or _DEACTIVATE in phases:
            self._set_activated(_ACTIVATE in phases)

        # One draw per command, so a restart's two halves share one duration.
        total = self._manager.draw_restart_seconds(self)
        stop_share = self._manager.timing.stop_share
        if _STOP in phases and self.state is not ServiceState.STOPPED:
            settle = _START not in phases or not self.activated
            yield from self._stopping(total * stop_share, settle=settle)
        if _START in phases and not self.running:
            if self.activated:
                yield from self._starting(total * (1 - stop_share))
            elif self.state is not ServiceState.STOPPED:
                self._enter(ServiceState.STOPPED)

    def _stopping(self, seconds: float, *, settle: bool) -> Generator[Any, Any, None]:
        self._enter(ServiceState.STOPPING)
        if seconds > 0:
            yield self._clock.env.timeout(seconds)
        self.started_at = None
        if settle:
            self._enter(ServiceState.STOPPED)
        self._manager.notify_stopped(self)

    def _starting(self, seconds: float) -> Generator[Any, Any, None]:
        self._enter(ServiceState.STARTING)
        if self.extra_start_seconds is not None:
            extra = self.extra_start_seconds()
            if not math.isfinite(extra) or extra < 0:
                raise ValueError(
                    f"{self.name} on {self.node}: extra start time must be a "
                    f"finite, non-negative number of seconds, not {extra}"
                )
            seconds += extra * self._manager.timing.scale
        fault = self._start_fault()
        if fault == "hang":
            seconds += HANG_SECONDS
        if seconds > 0:
            yield self._clock.env.timeout(seconds)
        if fault == "fail":
            # The process dies while starting: Control Center then reports the
            # component as not running until someone starts it again.
            self.failed = True
            self._target = ServiceState.STOPPED
            self._enter(ServiceState.STOPPED)
            return
        self.failed = False
        self._load()
        self._enter(ServiceState.STARTED)
        self._manager.notify_started(self)

    def _start_fault(self) -> str | None:
        hook = self._manager.start_fault
        return hook(self.node, self.name) if hook is not None else None

    def _load(self) -> None:
        self.loaded = self._manager.loader_for(self.name)(self.node)
        self.generation += 1
        self.started_at = self._clock.seconds
        self._manager.notify_loaded(self)

    def replace_loaded(self, loaded: object) -> None:
        """What the service serves, rewritten without a restart (TFTP's change
        notification, ``utils itl reset``)."""
        self.loaded = loaded
        self._manager.notify_loaded(self)

    def restore(
        self,
        *,
        state: ServiceState,
        activated: bool,
        failed: bool,
        loaded: object,
        generation: int,
        started_at: float | None,
    ) -> None:
        """Take back a saved state, with no transition under way."""
        self.state = self._target = state
        self.activated = self._target_activated = activated
        self.failed = failed
        self.loaded = loaded
        self.generation = generation
        self.started_at = started_at
        self._busy = None
        self._manager.notify_loaded(self)

    def _boot(self) -> None:
        """Be running when the lab begins, with no transition and no listeners."""
        self._load()
        self.state = self._target = ServiceState.STARTED

    def _enter(self, state: ServiceState) -> None:
        self.state = state
        self._manager.journal.emit(
            "service.state",
            node=self.node,
            subject=self.name,
            state=state.value,
            reason=self.reason_string,
            reason_code=self.reason_code,
            generation=self.generation,
        )

    def _set_activated(self, activated: bool) -> None:
        self.activated = activated
        self._manager.journal.emit(
            "service.activation",
            node=self.node,
            subject=self.name,
            activated=activated,
        )


def _resume(
    first: Any, steps: Generator[Any, Any, None], done: Any
) -> Generator[Any, Any, None]:
    """The simpy process that carries on a transition begun synchronously."""
    yield first
    yield from steps
    done.succeed()
