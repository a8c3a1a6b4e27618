"""The Control Center services a node runs, as data.

Each :class:`ServiceSpec` is one line of Cisco Unified Serviceability's
Control Center: CUCM's exact name (``Cisco Tftp``, not ``Cisco TFTP``;
reference ``cucm-interfaces.md`` section 2), whether it is a feature service
(switched on and off on the Service Activation page) or a network service
(always activated), the roles of the nodes that have it, where it runs when a
lab starts, how long it takes to restart, and which certificate units it reads
when it starts. The last is what makes "installed versus loaded" work: a
service sees a new certificate of those units only after it restarts.

The reason codes are Control Center's own (``ReasonCode`` in its SOAP replies)
and the restart matrix is the reference's table (``cucm-certificates-and-
trust.md`` section 2.2), kept here so the GUI's "restart these services"
message and the model read the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Literal

from emulator.profile import ReleaseProfile
from emulator.services.settings import Triangular

ServiceKind = Literal["feature", "network"]


class ReasonCode(IntEnum):
    """Control Center's reason codes, with the texts clients compare against."""

    SUCCESSFUL = -1
    NO_SUCH_SERVICE = -1010
    BAD_ARGUMENTS = -1012
    NOT_RUNNING = -1019
    TIMED_OUT = -1031
    ALREADY_STARTED = -1039
    ALREADY_STOPPED = -1040
    ALREADY_IN_STATE = -1057
    NOT_ACTIVATED = -1068
    COMMANDED_OUT_OF_SERVICE = -1069

    @property
    def text(self) -> str:
        return _REASON_TEXTS[self]


_REASON_TEXTS = {
    ReasonCode.SUCCESSFUL: "Successful",
    ReasonCode.NO_SUCH_SERVICE: "No such service",
    ReasonCode.BAD_ARGUMENTS: "Bad arguments",
    ReasonCode.NOT_RUNNING: "Component is not running",
    ReasonCode.TIMED_OUT: "Operation timed-out",
    ReasonCode.ALREADY_STARTED: "Component already started",
    ReasonCode.ALREADY_STOPPED: "Component already stopped",
    ReasonCode.ALREADY_IN_STATE: "Component already in specified state",
    ReasonCode.NOT_ACTIVATED: "Service Not Activated",
    ReasonCode.COMMANDED_OUT_OF_SERVICE: "Commanded Out of Service",
}


class Runs(Enum):
    """Where a service is running when a lab starts (of the nodes that have it)."""

    EVERYWHERE = "every node that has it"
    PUBLISHER = "the publisher"
    TFTP_NODES = "the TFTP nodes"
    CALL_PROCESSING = "the call-processing nodes"
    NOWHERE = "nowhere until an administrator activates it"


PUBLISHER = frozenset({"publisher"})
CUCM = frozenset({"publisher", "subscriber"})
EVERY_NODE = frozenset({"publisher", "subscriber", "imp"})
IMP = frozenset({"imp"})


@dataclass(frozen=True)
class ServiceSpec:
    """One Control Center service."""

    name: str
    kind: ServiceKind
    roles: frozenset[str]
    runs: Runs
    restart: Triangular
    loads: tuple[str, ...] = ()
    #: False for the services Control Center's SOAP API refuses to stop.
    soap_controllable: bool = True
    #: The profile flag a release must set for the node to have the service.
    requires: str | None = None

    @property
    def is_feature(self) -> bool:
        return self.kind == "feature"

    def available(self, profile: ReleaseProfile) -> bool:
        """True when the release has this service at all."""
        return self.requires is None or bool(getattr(profile, self.requires))


# Whole-restart times, reference section 6 (UNCONFIRMED there). The reference
# gives a mode for Tomcat only; the others sit a quarter to a third of the way
# up their ranges, since most restarts go quickly and a few drag.
TOMCAT = Triangular(90, 150, 300)
CALLMANAGER = Triangular(60, 90, 180)
CTIMANAGER = Triangular(30, 45, 90)
TFTP = Triangular(30, 60, 120)
TVS = Triangular(10, 15, 30)
CAPF = Triangular(10, 15, 30)
DRF = Triangular(20, 30, 60)
OTHER = Triangular(10, 20, 40)

_WEB_UNITS = ("tomcat", "tomcat-ECDSA")
_CCM_UNITS = ("CallManager", "CallManager-ECDSA")

_F: ServiceKind = "feature"
_N: ServiceKind = "network"

# fmt: off
SPECS: tuple[ServiceSpec, ...] = (
    ServiceSpec("Cisco Tomcat", _N, EVERY_NODE, Runs.EVERYWHERE, TOMCAT,
                _WEB_UNITS, soap_controllable=False),
    ServiceSpec("Cisco CallManager", _F, CUCM, Runs.CALL_PROCESSING, CALLMANAGER,
                _CCM_UNITS),
    ServiceSpec("Cisco Tftp", _F, CUCM, Runs.TFTP_NODES, TFTP,
                ("CallManager", "ITLRecovery", "TVS", "CAPF", "tomcat")),
    ServiceSpec("Cisco CTIManager", _F, CUCM, Runs.CALL_PROCESSING, CTIMANAGER,
                _CCM_UNITS),
    ServiceSpec("Cisco Certificate Authority Proxy Function", _F, CUCM,
                Runs.PUBLISHER, CAPF, ("CAPF",)),
    ServiceSpec("Cisco Trust Verification Service", _N, CUCM, Runs.EVERYWHERE, TVS,
                ("TVS", "CallManager", "ITLRecovery")),
    ServiceSpec("Cisco CTL Provider", _F, CUCM, Runs.TFTP_NODES, OTHER),
    ServiceSpec("Cisco DRF Master", _N, PUBLISHER, Runs.EVERYWHERE, DRF, ("ipsec",)),
    ServiceSpec("Cisco DRF Local", _N, EVERY_NODE, Runs.EVERYWHERE, DRF, ("ipsec",)),
    ServiceSpec("Cisco HAProxy", _N, CUCM, Runs.EVERYWHERE, OTHER,
                ("tomcat", "CallManager"), requires="haproxy"),
    ServiceSpec("Cisco SSOSP Tomcat", _N, EVERY_NODE, Runs.EVERYWHERE, OTHER,
                _WEB_UNITS),
    ServiceSpec("Cisco UDS Tomcat", _N, CUCM, Runs.EVERYWHERE, OTHER, _WEB_UNITS,
                requires="uds_tomcat"),
    ServiceSpec("Cisco AXL Web Service", _F, EVERY_NODE, Runs.EVERYWHERE, OTHER),
    ServiceSpec("Cisco RIS Data Collector", _N, EVERY_NODE, Runs.EVERYWHERE, OTHER),
    ServiceSpec("Cisco CDR Agent", _N, CUCM, Runs.EVERYWHERE, OTHER),
    ServiceSpec("Cisco Certificate Expiry Monitor", _N, EVERY_NODE,
                Runs.EVERYWHERE, OTHER),
    ServiceSpec("Cisco Certificate Change Notification", _N, EVERY_NODE,
                Runs.EVERYWHERE, OTHER),
    ServiceSpec("Cisco Platform Administrative Web Service", _N, EVERY_NODE,
                Runs.EVERYWHERE, OTHER, soap_controllable=False),
    ServiceSpec("Cisco XCP Router", _N, IMP, Runs.EVERYWHERE, OTHER,
                ("cup-xmpp", "cup-xmpp-ECDSA")),
    # Federation is off in a fresh IM&P install, so its connection manager
    # starts out not activated.
    ServiceSpec("Cisco XCP XMPP Federation Connection Manager", _F, IMP,
                Runs.NOWHERE, OTHER, ("cup-xmpp-s2s", "cup-xmpp-s2s-ECDSA")),
    ServiceSpec("Cisco SIP Proxy", _F, IMP, Runs.EVERYWHERE, OTHER,
                ("cup", "cup-ECDSA")),
    ServiceSpec("Cisco Presence Engine", _F, IMP, Runs.EVERYWHERE, OTHER,
                ("cup", "cup-ECDSA")),
)
# fmt: on

BY_NAME: dict[str, ServiceSpec] = {spec.name: spec for spec in SPECS}

TOMCAT_SERVICE = "Cisco Tomcat"
CALLMANAGER_SERVICE = "Cisco CallManager"
TFTP_SERVICE = "Cisco Tftp"
CTIMANAGER_SERVICE = "Cisco CTIManager"
CAPF_SERVICE = "Cisco Certificate Authority Proxy Function"
TVS_SERVICE = "Cisco Trust Verification Service"
DRF_MASTER_SERVICE = "Cisco DRF Master"
DRF_LOCAL_SERVICE = "Cisco DRF Local"
HAPROXY_SERVICE = "Cisco HAProxy"

_CCM_RESTARTS = (
    CALLMANAGER_SERVICE,
    CTIMANAGER_SERVICE,
    TVS_SERVICE,
    TFTP_SERVICE,
    HAPROXY_SERVICE,
)

#: Unit -> the services to restart after it changes, in the reference's order
#: (section 2.2; the IM&P rows beyond cup-xmpp-s2s are UNCONFIRMED there).
RESTART_MATRIX: dict[str, tuple[str, ...]] = {
    "tomcat": (TOMCAT_SERVICE,),
    "tomcat-ECDSA": (TOMCAT_SERVICE,),
    "ipsec": (DRF_MASTER_SERVICE, DRF_LOCAL_SERVICE),
    "CAPF": (CAPF_SERVICE, TVS_SERVICE, TFTP_SERVICE),
    "CallManager": _CCM_RESTARTS,
    "CallManager-ECDSA": _CCM_RESTARTS,
    "TVS": (TVS_SERVICE, TFTP_SERVICE),
    "ITLRecovery": (TVS_SERVICE, TFTP_SERVICE),
    "cup-xmpp": ("Cisco XCP Router",),
    "cup-xmpp-ECDSA": ("Cisco XCP Router",),
    "cup-xmpp-s2s": ("Cisco XCP XMPP Federation Connection Manager",),
    "cup-xmpp-s2s-ECDSA": ("Cisco XCP XMPP Federation Connection Manager",),
    "cup": ("Cisco SIP Proxy", "Cisco Presence Engine"),
    "cup-ECDSA": ("Cisco SIP Proxy", "Cisco Presence Engine"),
}

_UNITS_BY_KEY = {unit.casefold(): unit for unit in RESTART_MATRIX}


def canonical_unit(unit: str) -> str:
    """The unit's own spelling, whatever case it was given in."""
    try:
        return _UNITS_BY_KEY[unit.casefold()]
    except KeyError:
        choices = ", ".join(RESTART_MATRIX)
        raise ValueError(f"unknown unit {unit!r}; units are {choices}") from None


def restart_matrix(unit: str, profile: ReleaseProfile) -> tuple[str, ...]:
    """The services to restart after ``unit`` changes, on ``profile``'s release."""
    names = RESTART_MATRIX[canonical_unit(unit)]
    return tuple(name for name in names if BY_NAME[name].available(profile))
