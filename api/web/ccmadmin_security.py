"""CM Administration: SAML Single Sign-On and the ITL File Status report.

System > SAML Single Sign-On enables or disables SSO for the cluster and
runs the SSO test per node. Enabling takes each node's presented tomcat
certificate into the SP metadata and restarts the Tomcat services, so the
test fails again as soon as a node presents another tomcat certificate
(reference section 2.3) until SSO is disabled and enabled again.

Device > ITL File Status lists the phones whose ITL differs from the one
their TFTP server serves, with the SHA-1 of each file, as ``show itl`` and
the phone's Security Configuration menu print it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.render import CM_ADMIN, Pages, Status, read_form
from api.web.trust_view import MATCHED, itl_statuses
from emulator.errors import CucmError

ENABLE_WARNING = (
    "Enabling SSO restarts Cisco Tomcat, Cisco SSOSP Tomcat and Cisco UDS Tomcat "
    "on every node; web pages are unavailable until they have started."
)
DISABLED = "SAML SSO is disabled"
TEST_PASSED = "SSO Test Succeeded"


def routes(pages: Pages) -> APIRouter:
    """The SSO and ITL pages on ``pages.node`` (the publisher's pages)."""
    api = APIRouter(prefix="/ccmadmin", include_in_schema=False)
    lab, node = pages.lab, pages.node

    def refuse(request: Request) -> Response | None:
        if not node.is_publisher:
            return pages.render(
                request, CM_ADMIN, "not_publisher.html",
                title="Cisco Unified CM Administration", status_code=404,
                publisher=lab.cluster.publisher,
            )  # fmt: skip
        return pages.guard(request, CM_ADMIN)

    def sso_page(request: Request, status: Status | None = None) -> Response:
        sso = lab.sso
        nodes = [(n, n.hostname in sso.metadata) for n in lab.cluster.nodes]
        return pages.render(
            request, CM_ADMIN, "sso.html", title="SAML Single Sign-On",
            status=status, enabled=sso.enabled, nodes=nodes,
            warning=ENABLE_WARNING,
        )  # fmt: skip

    @api.get("/ssoConfig.do")
    async def sso_show(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        return sso_page(request)

    @api.post("/ssoConfig.do")
    async def sso_change(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        form = await read_form(request)
        if form.problem:
            return sso_page(request, Status("error", form.problem))
        action = form.text("action")
        if action == "enable":
            lab.sso.enable()
            done = Status("success", "SAML SSO enabled successfully", (ENABLE_WARNING,))
        elif action == "disable":
            lab.sso.disable()
            done = Status("success", DISABLED)
        elif action == "test":
            done = _sso_test(pages, form.text("node"))
        else:
            done = Status(
                "error",
                f"Unknown SSO action: {action or '(none)'}",
                hint="choose Enable SAML SSO, Disable SAML SSO or Run SSO Test",
            )
        return sso_page(request, done)

    @api.get("/itlFileStatus.do")
    async def itl_report(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        show_all = request.query_params.get("show") == "all"
        statuses = itl_statuses(lab)
        different = [s for s in statuses if s.state != MATCHED]
        return pages.render(
            request, CM_ADMIN, "itl_status.html", title="ITL File Status",
            rows=statuses if show_all else different, show_all=show_all,
            total=len(statuses), different=len(different),
        )  # fmt: skip

    return api


def _sso_test(pages: Pages, hostname: str) -> Status:
    """An SSO login on one node, as the Run SSO Test button makes."""
    lab = pages.lab
    found = lab.cluster.find(hostname) if hostname else None
    if found is None:
        names = ", ".join(n.hostname for n in lab.cluster.nodes)
        return Status(
            "error", f"No node {hostname or '(none)'}", hint=f"choose one of {names}"
        )
    if not lab.sso.enabled:
        return Status("error", DISABLED, hint="enable SAML SSO before testing it")
    try:
        lab.sso.login(found.hostname)
    except CucmError as exc:
        return Status.refused(exc)
    return Status("success", f"{TEST_PASSED} on {found.hostname}")
