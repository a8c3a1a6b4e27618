"""The administration web pages of one node, behind one router.

``router(runtime, node)`` gathers the pages a node serves over HTTPS:

- ``/``: the landing page (CUCM's "Installed Applications"), open to all;
- ``/cmplatform/``: Cisco Unified OS Administration, Certificate Management;
- ``/ccmservice/``: Cisco Unified Serviceability, Control Center;
- ``/ccmadmin/``: Cisco Unified CM Administration (the publisher's pages);
- ``<application>/login`` and ``logout``: the sign-in form of each;
- ``/lab/``: the lab dashboard, which is the lab's own and not CUCM's;
- ``/cucm-lab/static/``: the style sheet.

Each page calls the model operations the admin CLI, the REST API and the
SOAP services call; none of them judges a certificate or a command itself.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.runtime import LabRuntime
from api.web import (
    ccmadmin,
    ccmadmin_security,
    certificate_forms,
    certificates,
    dashboard,
    login,
    serviceability,
)
from api.web.render import (
    ENVIRONMENT,
    PRODUCTS,
    STATIC_PREFIX,
    Pages,
    log,
    static_files,
)
from emulator.cluster import Node


def router(runtime: LabRuntime, node: Node) -> APIRouter:
    """Every administration page of ``node``."""
    pages = Pages(runtime, node)
    static = static_files()
    api = APIRouter(include_in_schema=False)

    @api.get("/")
    async def landing(request: Request) -> Response:
        lab = runtime.lab
        html = ENVIRONMENT.get_template("landing.html").render(
            node=node,
            lab=lab,
            products=PRODUCTS,
            release=lab.profile.active_version,
            static=STATIC_PREFIX,
            stylesheet=None,
            publisher=lab.cluster.publisher,
        )
        log.info("%s GET /: 200 page", node.hostname)
        return HTMLResponse(html)

    @api.get(STATIC_PREFIX + "/{name}")
    async def static_file(name: str) -> Response:
        if name not in static:
            return Response("Not Found", status_code=404, media_type="text/plain")
        body, media_type = static[name]
        return Response(
            body, media_type=media_type, headers={"Cache-Control": "max-age=3600"}
        )

    api.include_router(login.routes(pages))
    api.include_router(certificates.routes(pages))
    api.include_router(certificate_forms.routes(pages))
    api.include_router(serviceability.routes(pages))
    api.include_router(ccmadmin.routes(pages))
    api.include_router(ccmadmin_security.routes(pages))
    api.include_router(dashboard.routes(pages))
    return api
