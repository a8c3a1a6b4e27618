"""The management API's listener, on the loop that serves the labs.

Like each node's listeners, it is a uvicorn server started on a socket of
our own, inside the running loop, so the control plane and every lab share
the one asyncio loop the design asks for. Loopback by default: the control
plane can do anything to a lab and asks for no password.
"""

from __future__ import annotations

import socket
from typing import cast

import uvicorn

from api.mgmt import DEFAULT_PORT
from api.mgmt.app import Streams, create_app
from api.mgmt.registry import LabRegistry

#: How long a stopping server waits for requests in flight (an event stream
#: is told to end first, so this is only a backstop).
GRACE = 2


class ManagementServer:
    """The control plane of ``registry``, listening on ``address:port``."""

    def __init__(
        self,
        registry: LabRegistry,
        *,
        address: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
    ) -> None:
        self.registry = registry
        self.address = address
        self.port = port
        self.app = create_app(registry)
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    async def start(self) -> str:
        """Listen (port 0 picks a free one) and answer the bound URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.address, self.port))
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=GRACE,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self._server, self._socket = server, sock
        return self.url

    async def stop(self) -> None:
        """End the event streams, then stop listening."""
        cast(Streams, self.app.state.streams).close_all()
        if self._server is not None and self._socket is not None:
            self._server.should_exit = True
            await self._server.shutdown(sockets=[self._socket])
        self._server = self._socket = None
