"""What an ``expect:`` block may say: the expectation models and the
validators that turn YAML values into checked ones (durations, counts such
as ">0", service and outcome names with "did you mean")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

from emulator.errors import CATALOGUE
from emulator.phones.trust import Outcome
from emulator.pki.units import UNITS
from emulator.services.catalogue import SPECS

MODEL_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    alias_generator=lambda name: name.replace("_", "-"),
    validate_by_name=True,
    validate_by_alias=True,
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SERVICES = {" ".join(s.name.split()).casefold(): s.name for s in SPECS}
_COUNT = re.compile(r"^(all|none|(>=|<=|==|!=|>|<)?\s*(\d+))$")


def seconds(value: Any) -> float:
    """A duration: a number of seconds, or text such as 30s, 5m, 2h, 90d, 1h30m."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    text = str(value).replace(" ", "")
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(
            f"expected a duration such as 30s, 5m, 2h or 90d, not {value!r}"
        )
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def choice(value: Any, known: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``known``; else the closest, or all of them."""
    text, names = str(value), list(known)
    if text in names:
        return text
    close = difflib.get_close_matches(text, names, n=1, cutoff=0.7)
    if close:
        raise ValueError(f"unknown {what} {text!r}; did you mean {close[0]!r}?")
    raise ValueError(f"unknown {what} {text!r}; expected one of: {', '.join(names)}")


def _service(value: Any) -> str:
    # Control Center forgives case and spacing ("Cisco TFTP" is Cisco Tftp).
    found = _SERVICES.get(" ".join(str(value).split()).casefold())
    return found or choice(value, _SERVICES.values(), "service")


def _one_of(names: Iterable[str], what: str) -> Callable[[Any], str]:
    known = list(names)
    return lambda value: choice(value, known, what)


def _count(value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, bool) or not _COUNT.match(text):
        raise ValueError(
            f"expected a count: a number, all, none, or a comparison "
            f"such as '>0' or '<=3', not {value!r}"
        )
    return text


_SELECTIONS = ("all", "powered-off", "secure", "non-secure")


def _phone_selection(value: Any) -> Any:
    names = isinstance(value, list) and all(isinstance(v, str) for v in value)
    count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not (names or count or value in _SELECTIONS):
        raise ValueError(
            "expected a number of phones (the first N), one of "
            f"{', '.join(_SELECTIONS)}, or a list of phone names, not {value!r}"
        )
    return value


def _many(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


Service = Annotated[str, BeforeValidator(_service)]
Count = Annotated[str, BeforeValidator(_count)]
Unit = Annotated[str, BeforeValidator(_one_of(UNITS, "unit"))]
Code = Annotated[str, BeforeValidator(_one_of(CATALOGUE, "catalogue code"))]
OutcomeName = Annotated[str, BeforeValidator(_one_of(Outcome.__members__, "outcome"))]
#: Phones by count (the first N in the fleet), by name, or a selection.
Phones = Annotated[int | str | list[str], BeforeValidator(_phone_selection)]
State = Literal["Started", "Stopped", "Starting", "Stopping", "Not Activated"]
CaCert = Literal[
    "ca-root", "ca-intermediate", "previous-ca-root", "previous-ca-intermediate"
]


class _Model(BaseModel):
    model_config = MODEL_CONFIG


class PhonesExpect(_Model):
    registered: Count | None = None
    unregistered: Count | None = None
    locked: Count | None = None
    trusting: Count | None = None
    powered_off: Count | None = None


class CertificateExpect(_Model):
    node: str = "publisher"
    unit: Unit
    issuer: str | None = None
    serial: Literal["changed", "unchanged"] | None = None
    sans: list[str] | None = None
    common_name: str | None = None
    distribution: Literal["this-server", "multi-server"] | None = None
    csr: Literal["pending", "none"] | None = None
    key_length: int | None = None
    same_as: str | None = None


class PresentsExpect(_Model):
    node: str = "publisher"
    service: Literal[
        "Cisco Tomcat",
        "Cisco Trust Verification Service",
        "Cisco CallManager",
        "Cisco Tftp",
    ]
    certificate: Literal["installed", "previous"] = "installed"


class JournalExpect(_Model):
    kind: str
    node: str | None = None
    subject: str | None = None
    outcome: OutcomeName | None = None
    injected: bool | None = None
    count: Count = ">0"
    since: Literal["scenario", "step"] = "scenario"


class TrustExpect(_Model):
    node: str = "publisher"
    store: str
    holds: list[CaCert] = []
    lacks: list[CaCert] = []


class DrfExpect(_Model):
    backup: str
    status: Literal["running", "completed", "failed"]


class SecurityExpect(_Model):
    mode: Literal["mixed", "non-secure"] | None = None
    ctl: Literal["present", "absent"] | None = None


class Expect(_Model):
    """The ``expect:`` of a step; every key given must hold."""

    error: Code | None = None
    message: str | None = None
    output: Annotated[list[str], BeforeValidator(_many)] = []
    status: int | None = None
    phones: PhonesExpect | None = None
    services: dict[str, dict[Service, State]] = {}
    certificate: Annotated[list[CertificateExpect], BeforeValidator(_many)] = []
    presents: Annotated[list[PresentsExpect], BeforeValidator(_many)] = []
    journal: Annotated[list[JournalExpect], BeforeValidator(_many)] = []
    trust: Annotated[list[TrustExpect], BeforeValidator(_many)] = []
    drf: DrfExpect | None = None
    security: SecurityExpect | None = None
