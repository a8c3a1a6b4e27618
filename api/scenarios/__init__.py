"""Scenario suites: a procedure and its expected outcome, as a YAML file.

A file holds one scenario::

    name: CallManager, CA-signed            # required
    description: what it rehearses and why
    lab:                                    # the cluster built before step 1
      release: [11.5, 12.5, 15]             # one run per release listed
      subscribers: 1                        # also: imp, phones, secure_phones,
      phones: 6                             # seed, mixed_mode, service_scale,
                                            # phone_scale, ca_intermediate,
                                            # parameters, faults
    steps:
      - gui: {action: generate-csr, node: all-cucm, unit: CallManager}
      - lab: {ca-sign: {node: all-cucm, unit: CallManager}}
      - gui: {action: upload-certificate, node: all-cucm, purpose: CallManager,
              from: signed}
        expect:
          certificate: {node: all-cucm, unit: CallManager, issuer: lab-ca}

A step holds one action and may carry ``expect``, ``name``, ``note`` and
``releases`` (the releases it runs on). Actions: ``cli`` (a line typed at a
node's admin prompt, ``answers`` to its questions, "yes" by default, and
``{from: ...}`` to paste a certificate); ``rest`` (a request to a node's
certificate REST API); ``gui`` (an OS Administration, CM Administration,
Serviceability or DRS action by name, see :data:`model.GUI_ACTIONS`); ``lab``
(the lab CA signing with a behaviour, the clock, phones' power and trust
lists, faults; :data:`model.LAB_ACTIONS`); ``restart`` (services, or what a
unit's restart matrix lists, one node at a time, each waited for until
Started); ``wait`` (until a condition, within a simulated-time limit, or for
a duration). Nodes are ``publisher``, ``subscriberN``, ``impN``,
``subscribers``, ``imps``, ``all``, ``all-cucm`` or a host name. Durations read 30s,
5m, 2h, 90d. Certificates come ``from`` the CA (``ca-root``,
``ca-intermediate``, ``ca-chain``, ``previous-ca-...`` after ``ca-renew``),
what it signed (``signed``, ``last-signed``, a name given with ``as``), or
the node (``csr``, ``private-key``), or are given as ``pem``/``file``.

``expect`` keys: ``error`` (the step must be refused with this catalogue code;
without it the step must succeed), ``message``, ``output``, ``status``,
``phones`` (counts: registered, unregistered, locked, trusting, powered-off),
``services``, ``certificate``, ``presents`` (what a service has loaded),
``trust``, ``journal`` (events, by kind and trust ``outcome``), ``drf`` and
``security``. Texts may name ``{publisher}`` (its FQDN), ``{subscriber1.host}``,
``{imp1.ip}`` and ``{domain}``.

:func:`load_file` reads a file. PyYAML composes the node tree, which keeps
the line of every key, and pydantic checks the data a section at a time;
each problem is mapped back along its location to the node it names, so it
reads ``file:line: where: what was expected``, and every problem of a file
is reported at once.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from api.scenarios.expect import Expect
from api.scenarios.model import (
    GUI_ACTIONS,
    LAB_ACTIONS,
    STEP_KINDS,
    Cli,
    LabSpec,
    Rest,
    Restart,
    Scenario,
    Spec,
    StepSpec,
    Wait,
    release_names,
)

__all__ = ["Scenario", "ScenarioFormatError", "StepSpec", "load_file"]

Loc = tuple[str | int, ...]
_DIRECT: dict[str, type[Spec]] = {
    "cli": Cli,
    "rest": Rest,
    "restart": Restart,
    "wait": Wait,
}
_STEP_KEYS = (*STEP_KINDS, "expect", "name", "note", "releases")


class _Header(Spec):
    name: str = Field(min_length=1)
    description: str = ""
    lab: LabSpec = LabSpec()
    steps: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where, and what was expected there."""

    line: int
    where: str
    message: str


class ScenarioFormatError(Exception):
    """A scenario file that cannot be run, with every problem found in it."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path, self.problems = path, problems
        super().__init__(
            "\n".join(
                f"{path}:{p.line}: {p.where + ': ' if p.where else ''}{p.message}"
                for p in problems
            )
        )


@dataclass
class _Reader:
    """Checks a file's data a section at a time, collecting every problem."""

    root: yaml.Node | None
    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(_line(self.root, loc), _where(loc), message))

    def check(self, model: type[BaseModel], data: Any, loc: Loc) -> Any:
        try:
            return model.model_validate({} if data is None else data)
        except ValidationError as invalid:
            for error in invalid.errors():
                self.add(loc + tuple(error["loc"]), _explain(model, error))
            return None

    def step(self, raw: Any, index: int) -> StepSpec | None:
        loc: Loc = ("steps", index)
        if not isinstance(raw, dict):
            self.add(loc, f"expected a mapping with one of: {', '.join(STEP_KINDS)}")
            return None
        for key in (k for k in raw if k not in _STEP_KEYS):
            self.add((*loc, key), _unknown(str(key), _STEP_KEYS))
        kinds = [k for k in raw if k in STEP_KINDS]
        if len(kinds) != 1:
            self.add(
                loc,
                f"a step holds exactly one action of: {', '.join(STEP_KINDS)}"
                f" (found {', '.join(kinds) or 'none'})",
            )
            return None
        kind = kinds[0]
        action, body = self._action(kind, raw[kind], (*loc, kind))
        expect = None
        if raw.get("expect") is not None:
            expect = self.check(Expect, raw["expect"], (*loc, "expect"))
        releases: list[str] = []
        try:
            releases = release_names(raw["releases"]) if "releases" in raw else []
        except ValueError as bad:
            self.add((*loc, "releases"), str(bad))
        if body is None:
            return None
        name = str(raw["name"]) if raw.get("name") else None
        line = _line(self.root, loc)
        return StepSpec(
            index + 1, line, kind, action, body, expect, name, tuple(releases)
        )

    def _action(self, kind: str, raw: Any, loc: Loc) -> tuple[str, Spec | None]:
        if kind in _DIRECT:
            if kind == "cli" and isinstance(raw, str):
                raw = {"line": raw}
            return "", self.check(_DIRECT[kind], raw, loc)
        if kind == "gui":
            if not isinstance(raw, dict) or "action" not in raw:
                self.add(
                    loc,
                    "missing key 'action'; expected one of: " + ", ".join(GUI_ACTIONS),
                )
                return "", None
            name = str(raw["action"])
            if name not in GUI_ACTIONS:
                self.add((*loc, "action"), _unknown(name, list(GUI_ACTIONS), "action"))
                return "", None
            rest = {k: v for k, v in raw.items() if k != "action"}
            return name, self.check(GUI_ACTIONS[name], rest, loc)
        if not isinstance(raw, dict) or len(raw) != 1:
            self.add(loc, "a lab step holds one action of: " + ", ".join(LAB_ACTIONS))
            return "", None
        ((name, value),) = raw.items()
        if name not in LAB_ACTIONS:
            self.add((*loc, name), _unknown(str(name), list(LAB_ACTIONS), "action"))
            return "", None
        model, shorthand = LAB_ACTIONS[name]
        if shorthand is not None and not isinstance(value, dict):
            value = {shorthand: value}
        elif value is True:
            value = {}
        return name, self.check(model, value, (*loc, name))


def load_file(path: Path | str) -> list[Scenario]:
    """The scenarios of one file: one per release its ``lab.release`` names."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as unreadable:
        raise ScenarioFormatError(path, [Problem(1, "", str(unreadable))]) from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as broken:
        mark = broken.problem_mark or broken.context_mark
        where = mark.line + 1 if mark is not None else 1
        text = f"invalid YAML: {broken.problem or broken}"
        if broken.context and broken.context_mark is not None:
            text += f" ({broken.context} on line {broken.context_mark.line + 1})"
        raise ScenarioFormatError(path, [Problem(where, "", text)]) from None
    finally:
        loader.dispose()

    reader = _Reader(root)
    reader.problems += _duplicates(root)
    if not isinstance(data, dict):
        raise ScenarioFormatError(
            path, [Problem(1, "", "expected a mapping with name, lab and steps")]
        )
    header = reader.check(_Header, data, ())
    raw_steps = data["steps"] if isinstance(data.get("steps"), list) else []
    steps = [reader.step(raw, i) for i, raw in enumerate(raw_steps)]
    if reader.problems or header is None:
        raise ScenarioFormatError(path, reader.problems)
    return [
        Scenario(
            path,
            header.name,
            header.description.strip(),
            header.lab,
            release,
            tuple(s for s in steps if s is not None),
            len(header.lab.release),
        )
        for release in header.lab.release
    ]


# -- problems, mapped to lines ---------------------------------------------------
def _same_key(written: Any, wanted: str | int) -> bool:
    if not isinstance(written, str) or not isinstance(wanted, str):
        return False
    return written.replace("-", "_") == wanted.replace("-", "_")


def _line(root: yaml.Node | None, loc: Loc) -> int:
    """The line of what ``loc`` names, or of its nearest parent that exists."""
    if root is None:
        return 1
    node, mark = root, root.start_mark
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next((p for p in node.value if _same_key(p[0].value, part)), None)
            if pair is None:
                break
            mark, node = pair[0].start_mark, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return int(mark.line) + 1


def _duplicates(node: yaml.Node | None) -> list[Problem]:
    """Keys given twice in one mapping: YAML would silently keep the last."""
    found: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value).replace("-", "_")
            if name in seen:
                line = key.start_mark.line + 1
                found.append(Problem(line, str(key.value), "key given twice"))
            seen.add(name)
            found += _duplicates(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicates(item)
    return found


def _where(loc: Loc) -> str:
    text = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc)
    return re.sub(r"^\.steps\[(\d+)\]\.?", r"step \1 ", text).strip(" .")


def _explain(model: type[BaseModel], error: Any) -> str:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "extra_forbidden":
        return _unknown(str(loc[-1]), _keys_at(model, loc[:-1]))
    if kind == "missing":
        keys = _keys_at(model, loc[:-1])
        return f"missing key {loc[-1]!r}" + (
            f"; this mapping takes: {', '.join(keys)}" if keys else ""
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return message
    return f"{message} (got {error.get('input')!r})"


def _unknown(key: str, choices: typing.Sequence[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, list(choices), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {key!r}; {hint}expected one of: {', '.join(choices)}"


def _keys_at(model: Any, loc: Loc) -> list[str]:
    """The keys the mapping at ``loc`` inside ``model`` accepts."""
    for part in loc:
        if isinstance(part, int) or not _is_model(model):
            continue
        found = next(
            (
                f
                for n, f in model.model_fields.items()
                if _same_key(n, part) or _same_key(f.alias, part)
            ),
            None,
        )
        if found is None:
            return []
        model = _model_in(found.annotation)
    if not _is_model(model):
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if _is_model(annotation):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict):
        for argument in typing.get_args(annotation):
            if (found := _model_in(argument)) is not None:
                return found
    return None
