"""Steps that go through a node's surfaces: an admin CLI line typed at a real
:class:`~api.admincli.shell.AdminShell`, and a REST call sent in-process to
the node's own FastAPI application, so a scenario meets what a person or a
script meets on a served lab.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TYPE_CHECKING, Any

import httpx

from api.admincli.shell import PROMPT, AdminShell
from api.certmgr import PREFIX
from api.scenarios import model as m
from api.scenarios.outcomes import Refusal, StepFailure
from emulator import CucmError
from emulator.cluster import Node
from emulator.errors import CATALOGUE

if TYPE_CHECKING:
    from api.scenarios.context import Run

_QUESTION = re.compile(r"\(y(es)?[|/]n(o)?\)|\?\s*:?\s*$", re.IGNORECASE)


# -- the admin CLI ------------------------------------------------------------------
class _ScriptedTerminal:
    """A client that types one command line, answers the questions it asks
    from the step's ``answers`` (then "yes" to anything asked as a question),
    and disconnects at the next ``admin:`` prompt."""

    def __init__(self, line: str, answers: list[str]) -> None:
        self.pending, self.answers = [line], answers
        self.text, self.defaults, self.stranded = "", 0, ""

    def write(self, text: str) -> None:
        self.text += text

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        if prompt == PROMPT:
            answer = self.pending.pop() if self.pending else None
        elif self.answers:
            answer = self.answers.pop(0)
        elif _QUESTION.search(prompt) and self.defaults < 20:
            self.defaults += 1
            answer = "yes"
        else:
            said = [t for t in self.text.splitlines() if t.strip()]
            self.stranded = prompt.strip() or (said[-1] if said else "a line")
            return None
        if answer is not None:
            self.text += f"{prompt}{answer if echo else ''}\n"
        return answer

    async def readkey(self, prompt: str) -> str | None:
        return " "


class _NotingShell(AdminShell):
    """An admin shell that keeps the CucmError behind the refusal it prints;
    the shell prints an error's text from inside its ``except`` clause."""

    refusal: CucmError | None = None

    def say(self, *lines: str) -> None:
        raised = sys.exc_info()[1]
        if isinstance(raised, CucmError):
            self.refusal = raised
        super().say(*lines)


def run_cli(run: Run, step: m.Cli) -> Refusal | None:
    line = run.rendered(step.line)
    for node in run.nodes(step.node):
        answers: list[str] = []
        for answer in step.answers:
            if isinstance(answer, str):
                answers.append(run.rendered(answer))
                continue
            # A pasted certificate is for the unit the command ends with.
            unit = line.split()[-1]
            pem = run.certificate_bytes(answer, node, unit).decode(errors="replace")
            answers += [*pem.strip().splitlines(), ""]
        terminal = _ScriptedTerminal(line, answers)
        shell = _NotingShell(run.runtime, node)
        asyncio.run(shell.run(terminal))
        run.output += f"{node.hostname} {terminal.text}"
        if terminal.stranded:
            raise StepFailure(
                f"'{line}' on {node.hostname} waited for input the step did not "
                f"give: {terminal.stranded!r}",
                "add what it asks for to answers",
            )
        if shell.refusal is not None:
            return Refusal.of(shell.refusal)
    return None


def run_rest(run: Run, step: m.Rest, allowed: int | None) -> Refusal | None:
    for node in run.nodes(step.node):
        path = step.path if step.path.startswith("/") else f"{PREFIX}/{step.path}"
        body = _resolved(run, step.json_body, node, "")
        run.rest_refusals.clear()
        response = asyncio.run(_send(run, node, step, run.rendered(path), body))
        run.status = response.status_code
        run.output += response.text
        if response.status_code < 400 or response.status_code == allowed:
            continue
        try:
            reply = dict(response.json())
        except (ValueError, TypeError):
            reply = {}
        code, message = reply.get("code"), str(reply.get("message", response.text))
        if code not in CATALOGUE:
            raise StepFailure(
                f"HTTP {response.status_code} from {node.hostname}: "
                f"{str(message)[:200]}",
                "expect its status: to allow it",
            )
        noted = [e for e in run.rest_refusals if e.code == code]
        if noted:
            return Refusal.of(noted[-1])
        return Refusal(code, message, CATALOGUE[code].hint)
    return None


async def _send(
    run: Run, node: Node, step: m.Rest, path: str, body: Any
) -> httpx.Response:
    credentials = run.runtime.credentials
    auth = httpx.BasicAuth(credentials.platform_user, credentials.platform_password)
    transport = httpx.ASGITransport(app=run.app(node))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://node", auth=auth
    ) as client:
        params = {k: run.rendered(v) for k, v in step.params.items()}
        return await client.request(step.method, path, json=body, params=params)


def _resolved(run: Run, value: Any, node: Node, unit: str) -> Any:
    """JSON with each ``{from: ...}`` mapping replaced by the certificate's PEM."""
    if isinstance(value, dict):
        if "from" in value:
            return run.certificate_bytes(m.source(value), node, unit).decode()
        service = value.get("service", unit)
        unit = str(service[0] if isinstance(service, list) and service else service)
        return {k: _resolved(run, v, node, unit) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(run, v, node, unit) for v in value]
    return run.rendered(value) if isinstance(value, str) else value
