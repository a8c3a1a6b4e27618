"""The SSH side of the admin CLI: login, the shell-only channel, the terminal.

The lab, its server loop and the paramiko console come from test_admincli.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import paramiko
import pytest
from test_admincli import PASTE, PROMPT, Served, loop_thread, pem, serving

from emulator import Lab

WAIT = 10.0


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    with loop_thread() as running:
        yield running


@pytest.fixture
def served(
    make_lab: Callable[..., Lab], loop: asyncio.AbstractEventLoop
) -> Iterator[Served]:
    with serving(make_lab, loop) as result:
        yield result


def live_sessions(served: Served) -> int:
    """Admin CLI sessions still running on the server loop."""

    def count(lab: Lab) -> int:
        return sum(
            "_ShellSession._serve" in repr(task.get_coro())
            for task in asyncio.all_tasks()
        )

    return served.call(count)


def wait_for_sessions(served: Served, expected: int) -> None:
    deadline = time.monotonic() + WAIT
    while live_sessions(served) != expected:
        assert time.monotonic() < deadline, "the server did not notice the hangup"
        time.sleep(0.02)


def test_password_login_shows_banner_then_prompt(served: Served) -> None:
    """After a password login CUCM greets with its banner, a blank line and the
    ``admin:`` prompt."""
    console = served.publisher.login()
    lines = console.banner.splitlines()
    assert "   Welcome to the Platform Command Line Interface" in lines
    assert lines[-2:] == ["", PROMPT]


def test_wrong_password_is_refused(served: Served) -> None:
    """A wrong platform password does not log in."""
    with pytest.raises(paramiko.AuthenticationException):
        served.publisher.login(password="not-the-password")


def test_keyboard_interactive_login(served: Served) -> None:
    """CUCM accepts keyboard-interactive login, answering its one password prompt."""
    credentials = served.runtime.credentials
    transport = paramiko.Transport(("127.0.0.1", served.publisher.port))
    try:
        transport.connect()
        prompts: list[str] = []

        def answer(
            title: str, instructions: str, asked: list[tuple[str, bool]]
        ) -> list[str]:
            prompts.extend(text for text, _ in asked)
            return [credentials.platform_password for _ in asked]

        remaining = transport.auth_interactive(credentials.platform_user, answer)
        assert remaining == []
        assert transport.is_authenticated()
        assert prompts == ["Password: "]
    finally:
        transport.close()


def test_exec_is_refused(served: Served) -> None:
    """CUCM does not run commands over SSH exec; only the interactive shell works."""
    console = served.publisher.login()
    with pytest.raises(paramiko.SSHException):
        console.client.exec_command("show version active")
    assert console.run("show version active").startswith("Active Master Version:")


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_each_line_ending_ends_one_line(served: Served, ending: str) -> None:
    """CR, LF and CRLF each end exactly one command line."""
    console = served.publisher.login()
    console.send("show version active" + ending)
    out = console.read_until(PROMPT)
    assert "Active Master Version:" in out
    assert console.idle(), "a CRLF was read as two lines"


def test_backspace_and_arrow_keys_edit_the_line(served: Served) -> None:
    """Backspace removes the last character typed; cursor keys are ignored."""
    console = served.publisher.login()
    console.send("show versiom\x7fn\x1b[D\x1bOC active\b\b\b\b\b\bactive\r\n")
    assert "Active Master Version:" in console.read_until(PROMPT)


def test_ctrl_c_abandons_a_confirmation(served: Served) -> None:
    """Ctrl-C at ``Proceed with regeneration`` returns to the prompt, regenerating
    nothing."""
    before = served.call(lambda lab: lab.certs.state())
    console = served.publisher.login()
    console.run("set cert regen tomcat", until="(yes|no)? ")
    console.send("\x03")
    assert console.read_until(PROMPT).endswith("^C\n" + PROMPT)
    assert served.call(lambda lab: lab.certs.state()) == before
    assert console.run("show version active").startswith("Active Master Version:")


def test_quit_ends_the_session(served: Served) -> None:
    """``quit`` closes the channel with exit status 0."""
    console = served.publisher.login()
    console.send("quit\n")
    assert console.channel.recv_exit_status() == 0


def test_secret_answers_are_not_echoed(served: Served) -> None:
    """The SFTP password ``file get`` asks for is not echoed back."""
    console = served.publisher.login()
    console.run("file get tftp ITLRecovery.p12", until="[y/n]? ")
    for answer, prompt in [
        ("y", "SFTP server IP: "),
        ("10.0.0.5", "SFTP server port [22]: "),
        ("22", "User ID: "),
        ("backup", "Password: "),
    ]:
        console.run(answer, until=prompt)
    console.send("S3cret-value\r\n")
    assert "S3cret-value" not in console.read_until("Download directory: ")
    assert "Transfer completed." in console.run("/backups")


def test_disconnect_mid_paste_changes_nothing(served: Served) -> None:
    """A client that disconnects during a paste leaves every store as it was, and
    the node goes on accepting sessions."""
    root = served.call(lambda lab: pem(lab.ca.root))
    before = served.call(lambda lab: lab.certs.state())
    baseline = live_sessions(served)

    for sent in (root[: len(root) // 2], root):  # half the PEM; all but the Enter
        console = served.publisher.login()
        console.run("set cert import trust tomcat", until=PASTE)
        console.send(sent)
        console.read_until(sent.splitlines()[-1])  # the server has read it
        console.close()
        wait_for_sessions(served, baseline)
        assert served.call(lambda lab: lab.certs.state()) == before

    again = served.publisher.login()
    assert again.run("show version active").startswith("Active Master Version:")


def test_sessions_are_independent(served: Served) -> None:
    """A session waiting for a paste does not hold up another, and pagination is
    set per session."""
    waiting = served.publisher.login()
    waiting.run("set cert import trust tomcat", until=PASTE)

    other = served.publisher.login()
    other.run("set cli pagination off")
    assert other.run("show version active").startswith("Active Master Version:")

    root = served.call(lambda lab: pem(lab.ca.root))
    waiting.send(root + "\r\n")
    assert "Successfully imported certificate for tomcat." in waiting.read_until(PROMPT)
    assert "Press <enter>" in waiting.run("show cert list trust", until="<q> to quit")


def test_paced_restart_follows_wall_time(served: Served) -> None:
    """In paced mode ``utils service restart`` takes the restart's simulated time
    divided by the lab's speed, printing progress as it goes."""
    speed = 400.0
    served.call(lambda lab: lab.clock.set_paced(speed))
    start = served.call(lambda lab: lab.clock.seconds)
    console = served.publisher.login()

    began = time.monotonic()
    lines = console.run("utils service restart Cisco Tomcat").splitlines()
    wall = time.monotonic() - began
    simulated = served.call(lambda lab: lab.clock.seconds) - start

    assert lines[-1] == "Cisco Tomcat[STARTED]"
    assert "Cisco Tomcat[STOPPING]" in lines
    assert simulated >= 90
    assert wall >= 90 / speed
