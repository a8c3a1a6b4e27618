"""The admin CLI over SSH, as administrators and their scripts reach it.

CUCM's sshd lets the platform administrator in with a password or through
keyboard-interactive login, offers an interactive shell and nothing else (no
exec, no subsystem: reference cucm-interfaces.md section 5), and greets with
a banner before the first ``admin:`` prompt.

asyncssh's own line editor is off: it would end a line at CR and again at
the LF of a CRLF, and it cannot hand the pager a single key. The small line
discipline here does what the CLI needs: echo when the client asked for a
terminal, CR, LF and CRLF each as one line end, backspace, Ctrl-U, Ctrl-C,
escape sequences (arrow keys) swallowed, and single keys for the pager.

Each session runs as a task on the lab's loop. When the client goes away the
task is cancelled at whatever it was waiting for; since the model changes
state only inside synchronous calls, a command cut short mid-dialogue (a
half-pasted certificate, an unanswered confirmation) has changed nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Mapping, Sequence

import asyncssh

from api.admincli.shell import AdminShell, Interrupted
from api.runtime import LabRuntime
from emulator.cluster import Node

BANNER = (
    "\nCommand Line Interface is starting up, please wait ...\n\n"
    "   Welcome to the Platform Command Line Interface\n\n"
)
_ERASE = "\b \b"
_CTRL_C, _CTRL_U, _ESC = "\x03", "\x15", "\x1b"

logger = logging.getLogger("api.admincli.ssh")


async def start_ssh_server(
    runtime: LabRuntime, node: Node, *, host: str, port: int
) -> asyncssh.SSHAcceptor:
    """Serve ``node``'s admin CLI on ``host``:``port`` (0 picks a free port).

    The caller reads the port from ``acceptor.get_port()`` and stops the
    server with ``acceptor.close()``.
    """
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    return await asyncssh.create_server(
        lambda: _PlatformServer(runtime, node),
        host,
        port,
        server_host_keys=[host_key],
        line_editor=False,
        encoding="utf-8",
        errors="replace",
    )


class _PlatformServer(asyncssh.SSHServer):
    """One client connection: login as the platform administrator."""

    def __init__(self, runtime: LabRuntime, node: Node) -> None:
        self._runtime = runtime
        self._node = node
        self._peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate; none gets in without

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return self._accept(username, password)

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> bool:
        return len(responses) == 1 and self._accept(username, responses[0])

    def _accept(self, username: str, password: str) -> bool:
        credentials = self._runtime.credentials
        # Both always compared: the time taken does not tell which was wrong.
        good = secrets.compare_digest(
            username.encode(), credentials.platform_user.encode()
        ) & secrets.compare_digest(
            password.encode(), credentials.platform_password.encode()
        )
        logger.info(
            "%s ssh login %s from %s: %s",
            self._node.hostname,
            username,
            self._peer,
            "accepted" if good else "refused",
        )
        return good

    def session_requested(self) -> _ShellSession:
        return _ShellSession(self._runtime, self._node)


class _ShellSession(asyncssh.SSHServerSession[str]):
    """One channel: the terminal an :class:`AdminShell` reads and writes."""

    def __init__(self, runtime: LabRuntime, node: Node) -> None:
        self._shell = AdminShell(runtime, node)
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: deque[str] = deque()
        self._arrived = asyncio.Event()
        self._echo_out: list[str] = []
        self._terminal = False
        self._ended = False
        self._closed = False
        self._after_cr = False

    # -- asyncssh callbacks ------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(
        self,
        term_type: str,
        term_size: tuple[int, int, int, int],
        term_modes: Mapping[int, int],
    ) -> bool:
        self._terminal = True
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # CUCM offers no exec: scripts must drive the interactive shell.
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self._pending.extend(data)
        self._arrived.set()

    def eof_received(self) -> bool:
        # Keep the channel half open: what was sent before EOF still runs.
        self._ended = True
        self._arrived.set()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = self._closed = True
        self._arrived.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _serve(self) -> None:
        try:
            self.write(BANNER)
            await self._shell.run(self)
        except Exception:
            logger.exception("admin CLI session failed")
        # Cancelled, the task skips this: the connection is already going.
        if not self._closed and self._chan is not None:
            self._flush()
            self._chan.exit(0)

    # -- the Terminal the shell uses ----------------------------------------------
    def write(self, text: str) -> None:
        self._flush()
        self._send(text.replace("\r\n", "\n").replace("\n", "\r\n"))

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        self.write(prompt)
        echo = echo and self._terminal
        line: list[str] = []
        while True:
            key = await self._key()
            if key is None:
                return None
            if key in "\r\n":
                if self._terminal:
                    self._echo("\r\n")
                self._flush()
                return "".join(line)
            if key in ("\x7f", "\b"):
                if line:
                    line.pop()
                    if echo:
                        self._echo(_ERASE)
            elif key == _CTRL_U:
                if echo:
                    self._echo(_ERASE * len(line))
                line.clear()
            elif key == _CTRL_C:
                self._interrupt()
            elif key == "\t" or key.isprintable():
                line.append(" " if key == "\t" else key)
                if echo:
                    self._echo(line[-1])

    async def readkey(self, prompt: str) -> str | None:
        self.write(prompt)
        key = await self._key()
        if key == _CTRL_C:
            self._interrupt()
        return key

    # -- input -----------------------------------------------------------------------
    async def _key(self) -> str | None:
        """The next key pressed: the LF of a CRLF and escape sequences dropped."""
        while True:
            char = await self._char()
            if char is None:
                return None
            if char == "\n" and self._after_cr:
                self._after_cr = False
                continue
            self._after_cr = char == "\r"
            if char != _ESC:
                return char
            # An escape sequence: ESC [ params final, or ESC O final.
            lead = await self._char()
            if lead == "[":
                while (char := await self._char()) is not None and not (
                    "@" <= char <= "~"
                ):
                    pass
            elif lead == "O":
                await self._char()

    async def _char(self) -> str | None:
        while not self._pending:
            if self._ended:
                return None
            self._flush()
            self._arrived.clear()
            await self._arrived.wait()
        return self._pending.popleft()

    def _interrupt(self) -> None:
        if self._terminal:
            self._echo("^C\r\n")
        self._flush()
        raise Interrupted

    # -- output ----------------------------------------------------------------------
    def _echo(self, text: str) -> None:
        # Echo is gathered and sent when input runs dry, so a pasted
        # certificate goes back in a few packets rather than one per byte.
        self._echo_out.append(text)

    def _flush(self) -> None:
        if self._echo_out:
            text, self._echo_out = "".join(self._echo_out), []
            self._send(text)

    def _send(self, text: str) -> None:
        if self._closed or self._chan is None or not text:
            return
        with contextlib.suppress(BrokenPipeError):
            self._chan.write(text)
