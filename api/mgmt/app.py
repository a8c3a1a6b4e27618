"""The lab control plane: one management HTTP API for every lab of a server.

QA suites, trainers, the scenario runner and the ``cucm-lab`` command drive
labs from outside the simulated cluster through this API: they move the
clock, sign CSRs with the lab CA, reset phones, inject faults, read and
follow the journal, and rewind exercises. Every path names the lab it acts
on. The OpenAPI description is at ``/openapi.json`` and its pages at
``/docs``.

Every refusal is JSON ``{"detail": "..."}`` whose text starts with the field
at fault and lists the valid choices, and a refused request changes nothing.
Handlers are coroutines, so they run on the server's one asyncio loop beside
the labs' own surfaces and no thread ever touches a lab.

Error answers, by what went wrong::

    404  an unknown lab, node, phone, fault rule, snapshot or CA certificate
    409  a lab name already taken, or a lab busy being built or reset
    400  a request the lab refuses (fault rule, CA behaviour, CSR, filter)
    422  a body or query that does not parse (type, range, missing field)
    501  an operation this build of the model does not offer
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from api.mgmt.registry import HostedLab, LabConflict, LabRegistry, UnknownLab
from emulator.faults import FaultError
from emulator.pki.ca import UnknownBehaviour

log = logging.getLogger("cucm-lab.mgmt")

DESCRIPTION = """\
Control plane of a simulated Cisco Unified Communications Manager cluster.

Every path names a lab; `default` is the lab `cucm-lab serve` starts.
Times are simulated seconds since the lab started unless a field says
otherwise. Refusals answer `{"detail": "<field>: <why>; <choices>"}` and
leave the lab unchanged.
"""


def registry_of(request: Request) -> LabRegistry:
    return cast(LabRegistry, request.app.state.registry)


async def hosted_lab(lab: str, request: Request) -> HostedLab:
    """The lab a path names (404 naming the labs there are)."""
    return registry_of(request).get(lab)


#: A route's lab, resolved from its ``{lab}`` path segment.
Hosted = Annotated[HostedLab, Depends(hosted_lab)]


class Streams:
    """The open event streams, so a server that stops can end them."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[Any]] = set()

    def close_all(self) -> None:
        for queue in self.queues:
            queue.put_nowait(None)


def create_app(registry: LabRegistry) -> FastAPI:
    """The management application over ``registry``'s labs."""
    # The route modules import ``Hosted`` from here, so they load only now.
    from api.mgmt import ca, clock, dashboard, faults, journal, labs, phones

    app = FastAPI(
        title="cucm-lab control plane",
        description=DESCRIPTION,
        version="1",
        openapi_tags=[
            {"name": "labs", "description": "Create, inspect, reset, delete labs."},
            {"name": "nodes", "description": "Nodes and where their surfaces listen."},
            {"name": "clock", "description": "Read and move simulated time."},
            {"name": "ca", "description": "The lab's certificate authority."},
            {"name": "phones", "description": "List phones and act on them."},
            {"name": "faults", "description": "Inject catalogue errors and outcomes."},
            {"name": "journal", "description": "Every change of state, live too."},
            {"name": "snapshots", "description": "Save a lab and rewind to it."},
        ],
    )
    app.state.registry = registry
    app.state.streams = Streams()
    _install_error_handlers(app)

    @app.middleware("http")
    async def one_line_per_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.0f ms",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - began) * 1000,
        )
        return response

    for module in (labs, clock, ca, phones, faults, journal, dashboard):
        app.include_router(module.router)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    def refusal(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handler(request: Request, exc: Exception) -> Response:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        return handler

    app.add_exception_handler(UnknownLab, refusal(404))
    app.add_exception_handler(LabConflict, refusal(409))
    app.add_exception_handler(FaultError, refusal(400))
    app.add_exception_handler(UnknownBehaviour, behaviour_refused)
    app.add_exception_handler(RequestValidationError, malformed)


async def behaviour_refused(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": f"behaviour: {exc}"}, status_code=400)


async def malformed(request: Request, exc: Exception) -> Response:
    """A body or query that does not parse: one line per field at fault."""
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    return JSONResponse(
        {"detail": "; ".join(problems), "errors": problems}, status_code=422
    )


def _problem(error: Any) -> str:
    location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query")]
    # Unions name their branches in the location ("phones.list[str]"); the
    # field is what a client wrote.
    field = ".".join(p for p in location if "[" not in p and "-" not in p)
    return f"{field or 'body'}: {error.get('msg')}"
