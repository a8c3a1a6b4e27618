"""Registration: phones finding a CallManager, over TLS when secure, and what
they do when CallManager, TVS or TFTP stop and start.

Stopping CallManager closes the phones' connections, so they fail over to
the next node of their CallManager group at once and come back to the
primary when it returns (reference section 6). A secure phone in mixed mode
registers only if the certificate CallManager loaded is a CCM+TFTP record of
its CTL.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import simpy

from emulator.loaded import CallManagerSnapshot, TomcatSnapshot
from emulator.phones.model import (
    Phone,
    PhoneTiming,
    Registration,
    Spread,
    StatusReason,
)
from emulator.phones.trust import Outcome, TvsAnswer, Verdict
from emulator.services.service import Service
from emulator.tftp import TftpFiles
from emulator.trustfiles.tlv import Role
from emulator.trustfiles.trustlist import fingerprint

if TYPE_CHECKING:
    from emulator.lab import Lab

TFTP = "Cisco Tftp"
TVS = "Cisco Trust Verification Service"
CALLMANAGER = "Cisco CallManager"
REGISTERING = "Phone is registering"
HOST_NOT_FOUND = "Host Not Found"
_CCM_TFTP = frozenset({Role.CCM_TFTP})


class Registrar:
    """The registration half of :class:`~emulator.phones.fleet.PhoneFleet`."""

    lab: Lab
    timing: PhoneTiming
    rng: random.Random
    phones: list[Phone]
    registered: dict[str, set[Phone]]
    _registered_total: int
    _tvs_epoch: int
    _served: dict[str, bytes]

    @property
    def env(self) -> simpy.Environment:
        # Read through the clock: restoring a snapshot gives the lab a new one.
        return self.lab.clock.env

    def reset(self, phones: Iterable[Phone] | None = None, *, reason: int = 9) -> int:
        raise NotImplementedError

    def _forced(self, phone: Phone, kind: str) -> Verdict | None:
        raise NotImplementedError

    def _ask_tvs(
        self, node: str, trusted: frozenset[bytes], signer: bytes
    ) -> TvsAnswer:
        raise NotImplementedError

    def _callmanager_for(self, phone: Phone) -> str | None:
        for node in phone.group:
            service = self.lab.services.find(node, CALLMANAGER)
            if service is not None and service.running:
                return node
        return None

    def _register(self, phone: Phone) -> None:
        target = self._callmanager_for(phone)
        if target is None:
            self._mark_unregistered(phone, StatusReason.CONNECTIVITY_ERROR, REGISTERING)
            return
        if self._forced(phone, "TLS") is not None:
            self._tls_refused(phone, target, StatusReason.AUTHENTICATION_ERROR)
            return
        if phone.secure and self.lab.security.mixed_mode:
            loaded = self.lab.services.get(target, CALLMANAGER).loaded
            assert isinstance(loaded, CallManagerSnapshot)
            if phone.ctl is None or not phone.ctl.holds(loaded.presented, _CCM_TFTP):
                self._tls_refused(phone, target, StatusReason.AUTHENTICATION_ERROR)
                return
            if not loaded.trusts_manufacturing_ca:
                self._tls_refused(phone, target, StatusReason.INVALID_X509_NAME)
                return
        self._mark_registered(phone, target)

    def _tls_refused(self, phone: Phone, node: str, reason: int) -> None:
        status = (
            Registration.REJECTED if reason == StatusReason.INVALID_X509_NAME else None
        )
        self._mark_unregistered(phone, reason, REGISTERING, status=status)
        self.lab.journal.emit(
            "phone.tls.rejected",
            node=node,
            subject=phone.name,
            outcome=Outcome.TLS_REJECTED.name
            if hasattr(Outcome, "TLS_REJECTED")
            else "TLS",
            reason=reason,
        )

    def _mark_registered(self, phone: Phone, node: str, *, quiet: bool = False) -> None:
        if phone.registered_to is not None:
            self.registered[phone.registered_to].discard(phone)
            self._registered_total -= 1
        self._registered_total += 1
        phone.status = Registration.REGISTERED
        phone.reason = StatusReason.NO_ERROR
        phone.registered_to = node
        phone.timestamp = self.env.now
        self.registered[node].add(phone)
        if not quiet:
            self.lab.journal.emit("phone.registered", node=node, subject=phone.name)

    def _mark_unregistered(
        self,
        phone: Phone,
        reason: int,
        message: str,
        *,
        quiet: bool = False,
        status: Registration | None = None,
    ) -> None:
        was = phone.registered_to
        if was is not None:
            self.registered[was].discard(phone)
            self._registered_total -= 1
        phone.status = status or Registration.UNREGISTERED
        phone.reason = reason
        phone.registered_to = None
        phone.timestamp = self.env.now
        if message:
            phone.message = message
        if was is not None and not quiet:
            self.lab.journal.emit(
                "phone.unregistered", node=was, subject=phone.name, reason=reason
            )

    # -- reacting to services --
    def _service_stopped(self, service: Service) -> None:
        if service.name == TVS:
            self._tvs_epoch += 1
        if service.name != CALLMANAGER:
            return
        # Stopping CallManager closes the phones' connections: they fail over
        # at once instead of waiting for missed keepalives.
        for phone in sorted(self.registered[service.node], key=lambda p: p.name):
            phone.token += 1
            self._mark_unregistered(phone, StatusReason.CONNECTIVITY_ERROR, "")
            self.env.process(self._rejoin(phone, phone.token, self.timing.failover))

    def _service_started(self, service: Service) -> None:
        if service.name == TVS:
            self._tvs_epoch += 1
        elif service.name == CALLMANAGER:
            self._callmanager_back(service.node)
        elif service.name == TFTP:
            self._tftp_rebuilt(service)

    def _callmanager_back(self, node: str) -> None:
        for phone in self.phones:
            if not phone.powered or node not in phone.group:
                continue
            waiting = not phone.registered and not phone.booting
            rehome = (
                phone.registered
                and phone.primary == node
                and phone.registered_to != node
            )
            if waiting or rehome:
                phone.token += 1
                self.env.process(self._rejoin(phone, phone.token, self.timing.failover))

    def _rejoin(
        self, phone: Phone, token: int, spread: Spread
    ) -> Generator[Any, Any, None]:
        yield self.env.timeout(spread.draw(self.rng) * self.timing.scale)
        if phone.token == token and phone.powered:
            self._register(phone)

    def _tftp_rebuilt(self, service: Service) -> None:
        files = service.loaded
        if not isinstance(files, TftpFiles):
            return
        previous = self._served.get(service.node)
        self._served[service.node] = files.itl.raw
        parameters = self.lab.security.parameters
        if previous is None or previous == files.itl.raw:
            return
        if parameters.phone_interaction_on_certificate_update:
            # 14 and later: phones reset by themselves when the ITL changes.
            self.reset([p for p in self.phones if p.tftp == service.node])

    def open_https_service(self, phone: Phone, node: str) -> str:
        """What the phone shows opening an HTTPS service (directory, EM) on
        ``node``: it has TVS check the certificate Tomcat there presents."""
        tomcat = self.lab.services.find(node, "Cisco Tomcat")
        if tomcat is None or not tomcat.running:
            return HOST_NOT_FOUND
        loaded = tomcat.loaded
        if not isinstance(loaded, TomcatSnapshot) or phone.itl is None:
            return HOST_NOT_FOUND
        presented = fingerprint(loaded.certificate)
        for tvs in phone.group:
            if self._ask_tvs(tvs, phone.itl.tvs, presented) is TvsAnswer.VOUCHED:
                return "OK"
        return HOST_NOT_FOUND
