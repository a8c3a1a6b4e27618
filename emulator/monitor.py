"""Cisco Certificate Expiry Monitor: a daily look at every certificate.

The network service runs every 24 hours (reference section 1.4) and raises
``CertExpired`` for every certificate past its end date, and a warning for
those about to reach it. Each certificate is reported once per condition.
The checks are daemon timeouts, so a lab with nothing else to do is idle
even though the monitor will look again tomorrow.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509

if TYPE_CHECKING:
    from emulator.lab import Lab

DAY = 86400.0
APP = "Cisco Certificate Monitor"


def alarm_text(name: str, unit: str, kind: str, expires: datetime, node: str) -> str:
    """The CertExpired alarm as the platform logs it."""
    when = expires.strftime("%a %b %d %H:%M:%S %Z %Y")
    return (
        f"%UC_CERT-0-CertExpired: %[Message=Certificate expiration Notification. "
        f"Certificate name:{name} Unit:{unit} Type:{kind} Expiration:{when}]"
        f"[AppID={APP}][ClusterID=][NodeID={node}]: "
        "Certificate has Expired and needs to be changed at the earliest"
    )


class ExpiryMonitor:
    """The daily expiry check of every node."""

    def __init__(self, lab: Lab, *, warning_days: int = 30) -> None:
        self.lab = lab
        self.warning = timedelta(days=warning_days)
        self._reported: set[tuple[str, str, int, str]] = set()
        self.start()

    def start(self) -> None:
        """Schedule the daily run on the lab's current clock."""
        self.lab.clock.env.process(self._run())

    def _run(self) -> Generator[Any, Any, None]:
        while True:
            yield self.lab.clock.daemon_timeout(DAY)
            self.check()

    def check(self) -> None:
        """One pass over every node's identity and trust certificates."""
        now = self.lab.clock.now
        for node in self.lab.cluster.nodes:
            stores = self.lab.certs.stores(node)
            for unit, identity in sorted(stores.identities.items()):
                self._look(node.hostname, f"{unit}.pem", unit, "own-cert",
                           identity.certificate, now)  # fmt: skip
            for store, entries in sorted(stores.trust.items()):
                for filename, entry in sorted(entries.items()):
                    self._look(node.hostname, filename, store, "trust-cert",
                               entry.certificate, now)  # fmt: skip

    def _look(
        self,
        node: str,
        name: str,
        unit: str,
        kind: str,
        certificate: x509.Certificate,
        now: datetime,
    ) -> None:
        expires = certificate.not_valid_after_utc
        if expires <= now:
            condition = "expired"
        elif expires - now <= self.warning:
            condition = "expiring"
        else:
            return
        key = (node, name, certificate.serial_number, condition)
        if key in self._reported:
            return
        self._reported.add(key)
        details: dict[str, Any] = {
            "certificate": name,
            "unit": unit,
            "type": kind,
            "expiration": expires.isoformat(),
            "app": APP,
        }
        if condition == "expired":
            details["alarm"] = alarm_text(
                name.replace(".pem", ".der"), unit, kind, expires, node
            )
        self.lab.journal.emit(
            f"certificate.{condition}", node=node, subject=unit, **details
        )
