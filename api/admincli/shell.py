"""The ``admin:`` prompt of one node, whatever carries the keystrokes.

:class:`AdminShell` is one CLI session: it reads a line, finds the command by
its keywords, runs it against the lab and prints what CUCM prints. It knows
nothing of SSH; a transport hands it a :class:`Terminal` (the SSH server in
:mod:`api.admincli.ssh` is one, a test double could be another).

Texts are CUCM's wherever the reference quotes them (cucm-interfaces.md
section 5, cucm-certificates-and-trust.md section 4). A refusal by the model
prints the catalogue's message and nothing else: CUCM shows no hint, so the
catalogue's hint stays for the web pages. The CLI's own refusals (unknown
command, wrong arguments) always open with "Executed command unsuccessfully"
and then name the nearest valid step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn, Protocol

from api.admincli import commands_cert, commands_system
from api.runtime import LabRuntime
from emulator import Lab
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.profile import ReleaseProfile

PROMPT = "admin:"
PAGER_PROMPT = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
#: Lines a page holds before the pager asks (a 24-row terminal, less room).
PAGE_LINES = 20
FAILED = "Executed command unsuccessfully"

logger = logging.getLogger("api.admincli")


class Terminal(Protocol):
    """What a transport offers the shell.

    ``readline`` and ``readkey`` return None once the client has gone, and
    raise :class:`Interrupted` when the user presses Ctrl-C.
    """

    def write(self, text: str) -> None: ...

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None: ...

    async def readkey(self, prompt: str) -> str | None: ...


class Interrupted(Exception):
    """Ctrl-C: the command waiting for input is abandoned, changing nothing."""


class _Hangup(Exception):
    """The client went away in the middle of a command."""


class _UsageError(Exception):
    """The words after the keywords do not fit the command's syntax."""


Handler = Callable[["AdminShell", str], Awaitable[None]]


@dataclass(frozen=True)
class _Command:
    keywords: tuple[str, ...]
    syntax: str
    handler: Handler


class _CommandTable:
    """Commands by their keywords: the leading words of a syntax line."""

    def __init__(self, entries: Iterable[tuple[str, Handler]]) -> None:
        self._commands: list[_Command] = []
        for syntax, handler in entries:
            keywords: list[str] = []
            for word in syntax.split():
                if word[0] in "<[":
                    break
                keywords.append(word.casefold())
            self._commands.append(_Command(tuple(keywords), syntax, handler))

    def find(self, words: Sequence[str]) -> _Command | None:
        """The command whose keywords open ``words``, the longest if several."""
        folded = tuple(w.casefold() for w in words)
        fitting = [c for c in self._commands if folded[: len(c.keywords)] == c.keywords]
        return max(fitting, key=lambda c: len(c.keywords), default=None)

    def next_keywords(self, words: Sequence[str]) -> tuple[int, list[str]]:
        """How many of ``words`` are known keywords, and what may follow them."""
        folded = tuple(w.casefold() for w in words)
        depth = 0
        while depth < len(folded) and any(
            c.keywords[: depth + 1] == folded[: depth + 1] for c in self._commands
        ):
            depth += 1
        following = {
            c.keywords[depth]
            for c in self._commands
            if len(c.keywords) > depth and c.keywords[:depth] == folded[:depth]
        }
        return depth, sorted(following)


async def _quit(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    shell.finished = True


async def _pagination(shell: AdminShell, args: str) -> None:
    (setting,) = shell.words(args, 1, 1)
    if setting.casefold() not in ("on", "off"):
        shell.usage()
    shell.pagination = setting.casefold() == "on"
    shell.say(f"Automatic pagination is turned {setting.casefold()}")


_TABLE = _CommandTable(
    [
        ("quit", _quit),
        ("exit", _quit),
        ("set cli pagination <on|off>", _pagination),
        *commands_cert.COMMANDS,
        *commands_system.COMMANDS,
    ]
)


class AdminShell:
    """One session at a node's ``admin:`` prompt."""

    def __init__(self, runtime: LabRuntime, node: Node) -> None:
        self.runtime = runtime
        self.node = node
        #: ``set cli pagination``; CUCM pages long outputs until told not to.
        self.pagination = True
        #: Set by ``quit``; the session ends after the command.
        self.finished = False
        self._terminal: Terminal | None = None

    @property
    def lab(self) -> Lab:
        return self.runtime.lab

    @property
    def profile(self) -> ReleaseProfile:
        return self.lab.profile

    @property
    def terminal(self) -> Terminal:
        if self._terminal is None:
            raise RuntimeError("the shell has no terminal; call run() first")
        return self._terminal

    async def run(self, terminal: Terminal) -> None:
        """Prompt, read, execute, until ``quit`` or the client goes away."""
        self._terminal = terminal
        while not self.finished:
            try:
                line = await terminal.readline(PROMPT)
            except Interrupted:
                continue
            if line is None:
                return
            try:
                await self.execute(line)
            except _Hangup:
                return

    async def execute(self, line: str) -> None:
        """Run one command line; every failure ends as text, never as an error."""
        words = line.split()
        if not words:
            return
        command = _TABLE.find(words)
        if command is None:
            self._unknown(words)
            return

        logger.info("%s admin:%s", self.node.hostname, " ".join(command.keywords))
        remainder = line.split(None, len(command.keywords))
        args = remainder[-1] if len(remainder) > len(command.keywords) else ""
        try:
            await command.handler(self, args)
        except CucmError as error:
            self.say(error.message)
        except _UsageError:
            self.refuse(f"Syntax: {command.syntax}")
        except Interrupted:
            pass
        except _Hangup:
            raise
        except Exception:
            # A bug must not cost the administrator the session.
            logger.exception("%s admin:%s failed", self.node.hostname, line)
            self.refuse()

    def _unknown(self, words: Sequence[str]) -> None:
        depth, following = _TABLE.next_keywords(words)
        if depth == 0:
            self.refuse("Invalid command. Valid commands: " + ", ".join(following))
            return
        known = " ".join(words[:depth])
        self.refuse(
            f'Invalid command. Valid keywords after "{known}": ' + ", ".join(following)
        )

    # -- what commands use --------------------------------------------------------
    def say(self, *lines: str) -> None:
        """Print ``lines`` at once, unpaged (progress and short answers)."""
        self.terminal.write("".join(f"{line}\n" for line in lines))

    def refuse(self, *details: str) -> None:
        """The CLI's own refusal: CUCM's opening line, then what would work."""
        self.say(FAILED, *details)

    async def show(self, text: str | Sequence[str]) -> None:
        """Print a listing, a page at a time while pagination is on."""
        lines = text.splitlines() if isinstance(text, str) else list(text)
        if not self.pagination or len(lines) <= PAGE_LINES:
            self.say(*lines)
            return
        shown, step = 0, PAGE_LINES
        while shown < len(lines):
            self.say(*lines[shown : shown + step])
            shown += step
            if shown >= len(lines):
                return
            key = await self._key(PAGER_PROMPT)
            self.terminal.write("\r" + " " * len(PAGER_PROMPT) + "\r")
            while key not in ("\r", "\n", " ", "q", "Q"):
                key = await self._key("")
            if key in ("q", "Q"):
                return
            step = PAGE_LINES if key == " " else 1

    async def _key(self, prompt: str) -> str:
        key = await self.terminal.readkey(prompt)
        if key is None:
            raise _Hangup
        return key

    async def ask(self, prompt: str, *, secret: bool = False) -> str:
        """One line of input after ``prompt``; ``secret`` input is not echoed."""
        line = await self.terminal.readline(prompt, echo=not secret)
        if line is None:
            raise _Hangup
        return line

    async def confirm(self, question: str, *, short: bool = False) -> bool:
        """Ask until the answer is yes or no (or y and n for a ``(y/n)`` question)."""
        answers = {"yes": True, "no": False}
        if short:
            answers |= {"y": True, "n": False}
        while True:
            answer = (await self.ask(question)).strip().casefold()
            if answer in answers:
                return answers[answer]

    def words(self, args: str, least: int, most: int) -> list[str]:
        """The arguments as words, refused unless there are ``least`` to ``most``."""
        found = args.split()
        if not least <= len(found) <= most:
            self.usage()
        return found

    def usage(self) -> NoReturn:
        """Refuse the arguments: the shell prints the command's syntax."""
        raise _UsageError
