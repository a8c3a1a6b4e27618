"""What each phone trusts compared with what its TFTP server hands out.

A phone keeps the ITL it last accepted. When TFTP serves a different one
(a new signer after a CallManager or ITLRecovery change, a TVS added) the
phone must accept the new file at its next boot, directly or through TVS;
one that refused it shows "Trust List Update Failed" and is locked until
its ITL is reset. The ITL File Status report and the trainers' dashboard
both read this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.lab import Lab
from emulator.phones.fleet import TRUST_LIST_UPDATE_FAILED
from emulator.phones.model import Phone
from emulator.tftp import TftpFiles
from emulator.trustfiles.trustlist import TrustList

TFTP = "Cisco Tftp"
MATCHED, DIFFERENT, NO_ITL, NOT_SERVED = (
    "Matched", "Different", "No ITL", "TFTP not serving",
)  # fmt: skip


@dataclass(frozen=True)
class ItlStatus:
    """One phone's ITL beside the one its TFTP server serves."""

    phone: Phone
    held: TrustList | None
    served: TrustList | None

    @property
    def state(self) -> str:
        if self.served is None:
            return NOT_SERVED
        if self.held is None:
            return NO_ITL
        return MATCHED if self.held.raw == self.served.raw else DIFFERENT

    @property
    def locked(self) -> bool:
        return self.phone.message == TRUST_LIST_UPDATE_FAILED

    @property
    def held_hash(self) -> str:
        return self.held.sha1 if self.held is not None else ""

    @property
    def served_hash(self) -> str:
        return self.served.sha1 if self.served is not None else ""


def served_itl(lab: Lab, tftp: str) -> TrustList | None:
    """The ITL the TFTP service on ``tftp`` loaded when it last started."""
    service = lab.services.find(tftp, TFTP)
    if service is None or not isinstance(service.loaded, TftpFiles):
        return None
    return service.loaded.itl


def itl_statuses(lab: Lab) -> list[ItlStatus]:
    """Every phone's ITL status, in the fleet's order."""
    served: dict[str, TrustList | None] = {}
    found = []
    for phone in lab.phones.phones:
        if phone.tftp not in served:
            served[phone.tftp] = served_itl(lab, phone.tftp)
        found.append(ItlStatus(phone, phone.itl, served[phone.tftp]))
    return found


def trust_counts(statuses: list[ItlStatus]) -> dict[str, int]:
    """Phones by trust: locked first, then by how their ITL compares."""
    counts = {"Locked (Trust List Update Failed)": 0, MATCHED: 0, DIFFERENT: 0,
              NO_ITL: 0, NOT_SERVED: 0}  # fmt: skip
    for status in statuses:
        if status.locked:
            counts["Locked (Trust List Update Failed)"] += 1
        else:
            counts[status.state] += 1
    return counts
