"""A test harness for the SOAP surfaces: uvicorn on its own thread and loop,
serving the routers of whichever lab the current test mounts.

Starting one server per module and swapping the app per test saves uvicorn's
start and stop for every test.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from served import SHARED_WSDL

from api.runtime import LabRuntime

#: Cisco's own WSDLs (MIT licence), used as a real client would use them.
CISCO_WSDL = Path(os.environ.get("CISCO_WSDL_DIR", str(SHARED_WSDL)))


def cisco_wsdl(name):
    """The path of one of Cisco's WSDLs; tests that need it skip without it."""
    path = CISCO_WSDL / name
    if not path.exists():
        pytest.skip(f"Cisco's {name} is not in {CISCO_WSDL}; set CISCO_WSDL_DIR")
    return str(path)


# -- uvicorn on its own thread and loop, serving the lab each test mounts ------
class Mount:
    """The ASGI app uvicorn serves: it hands each request to the current test's
    app, so one server per module serves a fresh lab in every test."""

    def __init__(self):
        self.app = None

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


@dataclass
class Served:
    lab: object
    urls: list[str]
    auth: tuple[str, str]
    loop: asyncio.AbstractEventLoop

    @property
    def url(self):
        return self.urls[0]

    def on_loop(self, read):
        """Run ``read()`` on the server's loop, the only place the lab is touched."""

        async def run():
            return read()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=30)


@dataclass
class Listeners:
    mounts: list[Mount]
    urls: list[str]
    loop: asyncio.AbstractEventLoop

    def serve(self, lab, routers, nodes=None):
        """Serve ``routers(runtime, node)`` for each node, one node per port."""
        runtime = LabRuntime(lab)
        nodes = nodes or [lab.publisher]
        for mount, node in zip(self.mounts, nodes, strict=False):
            app = FastAPI()
            for router in routers(runtime, node):
                app.include_router(router)
            mount.app = app
        credentials = runtime.credentials
        auth = (credentials.application_user, credentials.application_password)
        return Served(lab, self.urls[: len(nodes)], auth, self.loop)


def start_listeners(count: int = 2):
    """Start ``count`` uvicorn servers on one background loop; yields Listeners."""
    mounts = [Mount() for _ in range(count)]
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                mount,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                lifespan="off",
                interface="asgi3",
            )
        )
        for mount in mounts
    ]

    async def serve_all():
        await asyncio.gather(*(server.serve() for server in servers))

    loop = asyncio.new_event_loop()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve_all(),), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not all(s.started for s in servers) and time.monotonic() < deadline:
        time.sleep(0.005)
    ports = [s.servers[0].sockets[0].getsockname()[1] for s in servers]
    yield Listeners(mounts, [f"http://127.0.0.1:{p}" for p in ports], loop)
    for server in servers:
        server.should_exit = True
    thread.join(timeout=10)
    loop.close()
