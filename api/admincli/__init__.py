"""The admin CLI: CUCM's ``admin:`` prompt, interpreted and served over SSH."""

from api.admincli.shell import AdminShell, Interrupted, Terminal
from api.admincli.ssh import start_ssh_server

__all__ = ["AdminShell", "Interrupted", "Terminal", "start_ssh_server"]
