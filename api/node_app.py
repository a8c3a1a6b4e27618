"""One node's HTTPS application: every web surface the node offers.

While Cisco Tomcat is stopping or starting, the node's web surfaces answer
503 as Tomcat's front end does; the TLS certificate itself is swapped by the
host when Tomcat has started again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api import certmgr, soap, web
from api.runtime import LabRuntime
from emulator.cluster import Node

#: Requests larger than this are refused before they are read.
MAX_BODY = 4 * 1024 * 1024

UNAVAILABLE_PAGE = (
    "<html><head><title>Apache Tomcat - Error report</title></head><body>"
    "<h1>HTTP Status 503 - Service Unavailable</h1></body></html>"
)


def create_node_app(runtime: LabRuntime, node: Node) -> FastAPI:
    """The HTTPS application of ``node``."""
    lab = runtime.lab
    app = FastAPI(
        title=f"cucm-lab node {node.hostname}",
        description=f"CUCM {lab.profile.active_version} surfaces of {node.fqdn}",
        docs_url=None,
        redoc_url=None,
    )

    @app.middleware("http")
    async def tomcat_gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        tomcat = lab.services.find(node, "Cisco Tomcat")
        if tomcat is None or not tomcat.running:
            return HTMLResponse(UNAVAILABLE_PAGE, status_code=503)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return _too_large(request)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        problems = [_problem(e) for e in exc.errors()]
        message = "Invalid request: " + "; ".join(problems)
        return JSONResponse({"message": message, "messages": problems}, status_code=400)

    app.include_router(certmgr.router(runtime, node))
    for router in soap.routers(runtime, node):
        app.include_router(router)
    app.include_router(web.router(runtime, node))
    return app


def _problem(error: dict[str, object]) -> str:
    """One validation error as "field: what was wrong"."""
    location = error.get("loc", ())
    parts = location if isinstance(location, tuple | list) else ()
    field = ".".join(str(p) for p in parts if p != "body") or "body"
    return f"{field}: {error.get('msg')}"


def _too_large(request: Request) -> Response:
    if request.url.path.startswith(certmgr.PREFIX):
        message = f"Request body too large (at most {MAX_BODY} bytes)"
        return JSONResponse(
            {"message": message, "messages": [message]}, status_code=413
        )
    return HTMLResponse("<h1>HTTP Status 413 - Request Entity Too Large</h1>", 413)
