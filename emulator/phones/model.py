"""Phones: what each one holds, and the timings of what it does.

A phone is small on purpose (``__slots__``, no per-phone copies of trust
files): a cluster of 40,000 shares a handful of parsed ITL and CTL objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from emulator.trustfiles.trustlist import TrustList


class Registration(Enum):
    """RisPort70's device status values."""

    REGISTERED = "Registered"
    UNREGISTERED = "UnRegistered"
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"


class StatusReason:
    """CcmDevFailCauseCode values RisPort70 reports (reference: interfaces 3)."""

    NO_ERROR = 0
    CONNECTIVITY_ERROR = 6
    DEVICE_INITIATED_RESET = 8
    CALLMANAGER_RESET = 9
    AUTHENTICATION_ERROR = 10
    INVALID_X509_NAME = 11


@dataclass(frozen=True)
class PhoneModel:
    """A phone model as RisPort70 and CM Administration name it."""

    name: str
    ris_model: int


#: The models a lab's phones are drawn from; RisPort70 model numbers are
#: listed as approximations.
MODELS = (
    PhoneModel("Cisco 8845", 36670),
    PhoneModel("Cisco 8865", 36677),
    PhoneModel("Cisco 7841", 622),
    PhoneModel("Cisco 7821", 621),
    PhoneModel("Cisco 8811", 36213),
)


@dataclass(frozen=True)
class Spread:
    """A triangular duration: low, most likely, high (seconds)."""

    low: float
    mode: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return rng.triangular(self.low, self.high, self.mode)


@dataclass(frozen=True)
class PhoneTiming:
    """How long phones take; ``scale`` 0 makes every step instant.

    Defaults follow the reference's section 6: a reset reaches Registered in
    one to three minutes, a restart in well under one, and each TFTP node
    serves a bounded number of transfers at once, so a mass reset queues.
    """

    reset: Spread = Spread(40.0, 60.0, 110.0)
    restart: Spread = Spread(8.0, 12.0, 25.0)
    register: Spread = Spread(2.0, 4.0, 10.0)
    failover: Spread = Spread(1.0, 2.0, 5.0)
    transfer_seconds: float = 2.0
    tftp_capacity: int = 200
    scale: float = 1.0


class Phone:
    """One IP phone."""

    __slots__ = (
        "booting",
        "config_generation",
        "ctl",
        "description",
        "directory_number",
        "ip_address",
        "itl",
        "mac",
        "message",
        "model",
        "name",
        "powered",
        "primary",
        "reason",
        "registered_to",
        "secondary",
        "secure",
        "status",
        "tftp",
        "timestamp",
        "token",
    )

    def __init__(
        self,
        *,
        mac: str,
        model: PhoneModel,
        directory_number: str,
        ip_address: str,
        primary: str,
        secondary: str | None,
        tftp: str,
        secure: bool,
    ) -> None:
        self.mac = mac
        self.name = f"SEP{mac}"
        self.model = model
        self.description = f"{model.name} {directory_number}"
        self.directory_number = directory_number
        self.ip_address = ip_address
        self.primary = primary
        self.secondary = secondary
        self.tftp = tftp
        self.secure = secure
        self.powered = True
        self.itl: TrustList | None = None
        self.ctl: TrustList | None = None
        self.config_generation = 0
        self.status = Registration.UNREGISTERED
        self.reason = StatusReason.NO_ERROR
        self.registered_to: str | None = None
        self.message = ""
        self.timestamp = 0.0
        #: Bumped by every reset and power change, so a boot that was
        #: overtaken by a newer one gives up at its next step.
        self.token = 0
        #: True from a reset until the phone has its files (it reboots, so a
        #: CallManager coming back does not hurry it).
        self.booting = False

    @property
    def group(self) -> tuple[str, ...]:
        """The CallManager group: primary, then secondary."""
        return (self.primary, self.secondary) if self.secondary else (self.primary,)

    @property
    def registered(self) -> bool:
        return self.status is Registration.REGISTERED

    def __repr__(self) -> str:
        return f"<Phone {self.name} {self.status.value} on {self.registered_to}>"
