"""The scenario format as pydantic models: the lab, each action, each step.

Keys may be written with hyphens or underscores. Unknown keys are refused,
so a typo fails at load time instead of being ignored. What a value means to
CUCM (a unit, a purpose, a node's host name) is left for the model to judge
at run time, because doing the wrong thing on purpose is how a scenario
produces CUCM's errors; only what belongs to the lab itself (releases, CA
behaviours, service names, durations, expectations) is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from api.scenarios.expect import MODEL_CONFIG, Expect, Phones, Service, seconds
from emulator.pki.ca import BEHAVIOURS
from emulator.profile import PROFILES

#: The fields that name what a step acts on, in the order a label reads them.
_DESCRIBED = ("command", "unit", "purpose", "service", "store", "name", "target")


def release_names(value: Any) -> list[str]:
    """Release names; YAML reads 12.5 as a float and 15 as an int."""
    names = [str(v) for v in (value if isinstance(value, list) else [value])]
    for name in names:
        if name not in PROFILES:
            raise ValueError(
                f"unknown release {name!r}; expected one of: {', '.join(PROFILES)}"
            )
    return names


def _answer(value: Any) -> Any:
    # YAML 1.1 reads a bare yes or no as a boolean; the CLI wants the word.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return source(value)
    if not isinstance(value, str | int | float):
        raise ValueError(f"expected a line to type or {{from: ...}}, not {value!r}")
    return str(value)


Duration = Annotated[float, BeforeValidator(seconds)]
#: The enterprise parameters certificate work touches, as CM Administration
#: names them (Cluster Security Mode is set by ``utils ctl``, not here).
Parameter = Literal["PrepareClusterForRollback", "PhoneInteractionOnCertificateUpdate"]
NodeRef = Annotated[str, BeforeValidator(str)]


class Spec(BaseModel):
    """A step body; ``describe`` names what it acts on, for reports."""

    model_config = MODEL_CONFIG

    def describe(self) -> str:
        parts = [str(getattr(self, k)) for k in _DESCRIBED if getattr(self, k, None)]
        source, node = getattr(self, "source", None), getattr(self, "node", None)
        parts += [f"from {source}"] if source else []
        parts += [f"on {node}"] if node else []
        return " ".join(parts)


class Source(Spec):
    """Certificate bytes: a named source, inline PEM, or a file beside the scenario."""

    source: str | None = Field(default=None, alias="from")
    pem: str | None = None
    file: str | None = None
    from_node: NodeRef | None = None
    from_unit: str | None = None
    chain: bool = False
    format: Literal["pem", "der", "pkcs7"] = "pem"

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        if sum(getattr(self, k) is not None for k in ("source", "pem", "file")) != 1:
            raise ValueError("give exactly one of from, pem or file")
        return self


def source(value: dict[str, Any]) -> Source:
    """A ``{from: ...}`` mapping inside free-form data, as a :class:`Source`."""
    try:
        return Source.model_validate(value)
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'from'}: {e['msg']}"
            for e in invalid.errors()
        )
        raise ValueError(f"a certificate {{from: ...}}: {problems}") from None


class LabFault(Spec):
    """One rule of the lab's fault plan (``lab.faults.add``)."""

    target: str
    node: NodeRef | None = None
    unit: str | None = None
    service: Service | None = None
    phones: Phones | None = None
    count: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    start: Duration | None = None
    variant: str | None = None


class LabSpec(Spec):
    """The ``lab:`` section: the cluster built before the first step."""

    release: Annotated[list[str], BeforeValidator(release_names)] = ["15"]
    subscribers: int = Field(default=1, ge=0, le=8)
    imp: int = Field(default=0, ge=0, le=6)
    phones: int = Field(default=4, ge=0, le=2000)
    secure_phones: float = Field(default=0.0, ge=0.0, le=1.0)
    seed: int = 1
    mixed_mode: bool = False
    service_scale: float = Field(default=1.0, ge=0.0)
    phone_scale: float = Field(default=1.0, ge=0.0)
    ca_intermediate: bool = True
    installed_days_ago: int | None = Field(default=None, ge=0)
    parameters: dict[Parameter, bool] = {}
    faults: list[LabFault] = []


class Cli(Spec):
    node: NodeRef = "publisher"
    line: str = Field(min_length=1)
    answers: list[Annotated[str | Source, BeforeValidator(_answer)]] = []

    def describe(self) -> str:
        return f"'{self.line}' on {self.node}"


class Rest(Spec):
    node: NodeRef = "publisher"
    method: Literal["GET", "POST", "PUT", "DELETE"] = "GET"
    path: str = Field(min_length=1)
    json_body: Any = Field(default=None, alias="json")
    params: dict[str, str] = {}

    @model_validator(mode="after")
    def _sources(self) -> Rest:
        # A mistyped {from: ...} in the body fails at load time, not mid-run.
        pending = [self.json_body]
        while pending:
            value = pending.pop()
            if isinstance(value, dict) and "from" in value:
                source(value)
            elif isinstance(value, dict | list):
                pending += list(value.values() if isinstance(value, dict) else value)
        return self

    def describe(self) -> str:
        return f"{self.method} {self.path} on {self.node}"


class Restart(Spec):
    services: list[Service] = []
    for_unit: str | None = None
    nodes: NodeRef = "all"
    wait: bool = True
    within: Duration = 3600.0

    @model_validator(mode="after")
    def _what(self) -> Restart:
        if bool(self.services) == bool(self.for_unit):
            raise ValueError("give either services or for-unit (the restart matrix)")
        return self

    def describe(self) -> str:
        return f"{', '.join(self.services) or self.for_unit} on {self.nodes}"


class Wait(Spec):
    until: (
        Literal["all-phones-registered", "idle", "services-settled", "drf-idle"] | None
    ) = None
    span: Duration | None = Field(default=None, alias="for")
    within: Duration = 7200.0

    @model_validator(mode="after")
    def _what(self) -> Wait:
        if (self.until is None) == (self.span is None):
            raise ValueError("give either until (a condition) or for (a duration)")
        return self

    def describe(self) -> str:
        return f"until {self.until}" if self.until else f"for {self.span:g}s"


class GenerateCsr(Spec):
    node: NodeRef = "publisher"
    unit: str
    distribution: str = "this-server"
    common_name: str | None = None
    key_type: str | None = None
    key_length: int | None = None
    hash: str | None = None
    other_domains: list[str] = []
    parent_domain: str | None = None
    include_ou: bool | None = None


class UploadCertificate(Source):
    node: NodeRef = "publisher"
    purpose: str
    description: str = ""


class Regenerate(Spec):
    node: NodeRef = "publisher"
    unit: str
    key_length: int | None = None
    validity_years: int | None = None


class DeleteCertificate(Spec):
    node: NodeRef = "publisher"
    store: str
    file: str | None = None
    certificate: (
        Literal[
            "ca-root", "ca-intermediate", "previous-ca-root", "previous-ca-intermediate"
        ]
        | None
    ) = None


class ResetPhones(Spec):
    phones: Phones = "all"


class EnterpriseParameter(Spec):
    name: Parameter
    value: bool


class OnNode(Spec):
    node: NodeRef = "publisher"


class DrfBackup(Spec):
    name: str = "backup"
    duration: Duration = 900.0


class DrfRestore(Spec):
    name: str


class ControlCenter(Spec):
    node: NodeRef = "publisher"
    service: Service
    command: Literal["start", "stop", "restart", "activate", "deactivate"]
    wait: bool = True
    within: Duration = 3600.0


class Nothing(Spec):
    pass


GUI_ACTIONS: dict[str, type[Spec]] = {
    "generate-csr": GenerateCsr,
    "upload-certificate": UploadCertificate,
    "regenerate": Regenerate,
    "delete-certificate": DeleteCertificate,
    "reset-all-devices": Nothing,
    "reset-phones": ResetPhones,
    "set-enterprise-parameter": EnterpriseParameter,
    "enable-sso": Nothing,
    "disable-sso": Nothing,
    "sso-login": OnNode,
    "drf-backup": DrfBackup,
    "drf-restore": DrfRestore,
    "control-center": ControlCenter,
}


class CaSign(Spec):
    node: NodeRef = "publisher"
    unit: str
    behaviour: str = "faithful"
    validity_days: int = Field(default=730, ge=1)
    name: str | None = Field(default=None, alias="as")
    other_node: NodeRef | None = None
    other_unit: str | None = None

    @model_validator(mode="after")
    def _known(self) -> CaSign:
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(
                f"unknown CA behaviour {self.behaviour!r}; expected one "
                f"of: {', '.join(BEHAVIOURS)}"
            )
        return self


class Advance(Spec):
    by: Duration


class PhoneAction(Spec):
    phones: Phones = "all"
    factory: bool = False

    def describe(self) -> str:
        return f"phones {self.phones}"


#: Lab actions: the model of the body and the field a bare value fills.
LAB_ACTIONS: dict[str, tuple[type[Spec], str | None]] = {
    "ca-sign": (CaSign, None),
    "ca-renew": (Nothing, None),
    "advance": (Advance, "by"),
    "power-off": (PhoneAction, "phones"),
    "power-on": (PhoneAction, "phones"),
    "erase-trust": (PhoneAction, "phones"),
    "apply-config": (Nothing, None),
    "inject": (LabFault, "target"),
    "clear-faults": (Nothing, None),
}
STEP_KINDS = ("cli", "rest", "gui", "lab", "restart", "wait")


@dataclass(frozen=True)
class StepSpec:
    """One step: where it is, its action (a named GUI or lab action, or a body)."""

    index: int
    line: int
    kind: str
    action: str
    body: Spec
    expect: Expect | None = None
    name: str | None = None
    releases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How reports name the step: ``gui regenerate TVS on all-cucm``."""
        words = " ".join(w for w in (self.kind, self.action, self.body.describe()) if w)
        return f"{self.name} ({words})" if self.name else words


@dataclass(frozen=True)
class Scenario:
    """One runnable scenario: a file's header and steps on one release."""

    path: Path
    name: str
    description: str
    lab: LabSpec
    release: str
    steps: tuple[StepSpec, ...]
    variants: int = 1

    @property
    def title(self) -> str:
        return f"{self.name} [{self.release}]" if self.variants > 1 else self.name

    def active_steps(self) -> list[StepSpec]:
        return [s for s in self.steps if not s.releases or self.release in s.releases]
