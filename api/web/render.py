"""What every administration page shares: templates, sign-in, the status area.

CUCM keeps its web applications apart: Cisco Unified OS Administration and
Cisco Unified Serviceability take the platform administrator, Cisco Unified
CM Administration takes an application user. Each page here names its
:class:`Product`, which says whose password opens it.

Pages answer 200 even when an operation was refused, as CUCM's do: the
refusal is the page's status area, showing the
:class:`~emulator.errors.CucmError` message word for word (the text the
admin CLI prints and the REST API returns) and, below it and marked as the
lab's own, the catalogue's hint on what to do instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from api.auth import authorised, unauthorised
from api.runtime import LabRuntime
from api.web import session
from emulator.cluster import Node
from emulator.errors import CucmError

log = logging.getLogger("cucm-lab")

#: Where the router serves the style sheet.
STATIC_PREFIX = "/cucm-lab/static"
STYLESHEET = "cucm.css"
_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".png": "image/png"}
#: The longest value a text field may carry; the model judges what is shorter.
FIELD_LIMIT = 8192

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("api.web", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _date(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y")


def _instant(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S %Z %Y")


ENVIRONMENT.filters["cucm_date"] = _date
ENVIRONMENT.filters["instant"] = _instant


@functools.cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """The files under ``api/web/static``, read once: name -> (bytes, type)."""
    found = {}
    for entry in resources.files("api.web").joinpath("static").iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in _MEDIA_TYPES:
            found[entry.name] = (entry.read_bytes(), _MEDIA_TYPES[suffix])
    return found


def inline_stylesheet() -> str:
    """The style sheet's text, for a page that must not ask for it separately."""
    return static_files()[STYLESHEET][0].decode("utf-8")


@dataclass(frozen=True)
class Product:
    """One of CUCM's web applications (or the lab's own dashboard)."""

    key: str
    title: str
    realm: str
    account: Literal["platform", "application"]
    home: str
    menu: tuple[tuple[str, str], ...] = ()


OS_ADMIN = Product(
    "cmplatform",
    "Cisco Unified Operating System Administration",
    "CMPlatform",
    "platform",
    "/cmplatform/",
    (
        ("Security > Certificate Management", "/cmplatform/certificateFindList.do"),
        ("Upload Certificate", "/cmplatform/certificateUpload.do"),
        ("Generate CSR", "/cmplatform/certificateGenerateCsr.do"),
    ),
)
SERVICEABILITY = Product(
    "ccmservice",
    "Cisco Unified Serviceability",
    "CMPlatform",
    "platform",
    "/ccmservice/",
    (
        ("Tools > Control Center - Feature Services", "/ccmservice/featureServices"),
        ("Tools > Control Center - Network Services", "/ccmservice/networkServices"),
    ),
)
CM_ADMIN = Product(
    "ccmadmin",
    "Cisco Unified CM Administration",
    "Cisco Unified CM Administration",
    "application",
    "/ccmadmin/",
    (
        ("System > Enterprise Parameters", "/ccmadmin/enterpriseParamEdit.do"),
        ("System > SAML Single Sign-On", "/ccmadmin/ssoConfig.do"),
        ("Device > Phone", "/ccmadmin/phoneFindList.do"),
        ("Device > ITL File Status", "/ccmadmin/itlFileStatus.do"),
    ),
)
LAB = Product(
    "lab",
    "cucm-lab dashboard (lab only, not part of CUCM)",
    "CMPlatform",
    "platform",
    "/lab/",
    (
        ("Overview", "/lab/"),
        ("Sign a CSR with the lab CA", "/lab/#sign"),
        ("Registered phones (RTMT)", "/lab/#registration"),
    ),
)
PRODUCTS = (OS_ADMIN, SERVICEABILITY, CM_ADMIN, LAB)


@dataclass(frozen=True)
class Status:
    """The status area at the top of a page."""

    kind: Literal["success", "error", "warning", "info"]
    text: str
    notes: tuple[str, ...] = ()
    hint: str = ""

    @classmethod
    def refused(cls, error: CucmError) -> Status:
        """A refusal by the model: its message, and the catalogue's hint."""
        return cls("error", error.message, hint=error.hint)


@dataclass
class Form:
    """A submitted form: text fields and at most one file."""

    fields: Mapping[str, str] = field(default_factory=dict)
    file: UploadFile | None = None
    problem: str | None = None

    def text(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()


class Pages:
    """One node's pages: its lab, its accounts and the templates."""

    def __init__(self, runtime: LabRuntime, node: Node) -> None:
        self.runtime = runtime
        self.lab = runtime.lab
        self.node = node

    def guard(self, request: Request, product: Product) -> Response | None:
        """None when the request carries the product's account, by HTTP Basic or
        by a session from the login page; otherwise a browser is sent to the
        login page and any other client gets Tomcat's 401."""
        c = self.runtime.credentials
        user, password = (
            (c.platform_user, c.platform_password)
            if product.account == "platform"
            else (c.application_user, c.application_password)
        )
        if authorised(request, user, password):
            return None
        if session.signed_in(self.runtime, request, product.account) == user:
            return None
        path = request.url.path
        if session.wants_page(request):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            log.info("%s GET %s: 303 to the login page", self.node.hostname, path)
            return RedirectResponse(
                f"{product.home}login?next={quote(target, safe='')}", 303
            )
        log.info("%s %s %s: 401", self.node.hostname, request.method, path)
        return unauthorised(product.realm)

    def user(self, product: Product) -> str:
        c = self.runtime.credentials
        return c.platform_user if product.account == "platform" else c.application_user

    def render(
        self,
        request: Request,
        product: Product,
        template: str,
        *,
        title: str,
        status: Status | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A page of ``product`` with the header, menus and status area.

        While Cisco Tomcat is not running, the node answers any further
        request with 503, the style sheet included; a page rendered then (the
        answer to a Tomcat restart) carries its styles inside.
        """
        tomcat = self.lab.services.find(self.node, "Cisco Tomcat")
        inline = tomcat is not None and not tomcat.running
        html = ENVIRONMENT.get_template(template).render(
            product=product,
            products=PRODUCTS,
            node=self.node,
            lab=self.lab,
            release=self.lab.profile.active_version,
            user=self.user(product),
            title=title,
            status=status,
            static=STATIC_PREFIX,
            stylesheet=inline_stylesheet() if inline else None,
            **context,
        )
        outcome = f"{status.kind} {status.text!r}" if status else "page"
        log.info(
            "%s %s %s: %d %s",
            self.node.hostname,
            request.method,
            request.url.path,
            status_code,
            outcome,
        )
        return HTMLResponse(html, status_code=status_code)

    def download(
        self, request: Request, body: bytes, filename: str, media_type: str
    ) -> Response:
        """A file the browser saves as ``filename``."""
        log.info(
            "%s %s %s: 200 %s",
            self.node.hostname,
            request.method,
            request.url.path,
            filename,
        )
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


async def read_form(request: Request, *, files: int = 0) -> Form:
    """The fields of a POSTed form; an unreadable body becomes ``problem``."""
    try:
        data: FormData = await request.form(max_files=files, max_fields=64)
    except (MultiPartException, StarletteHTTPException) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "message", str(exc))
        return Form(problem=f"The form could not be read: {detail}")
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in data.multi_items():
        if isinstance(value, UploadFile):
            upload = upload or value
        elif name not in fields:
            fields[name] = value[:FIELD_LIMIT]
    return Form(fields, upload)
