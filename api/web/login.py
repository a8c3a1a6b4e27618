"""The login page of each administration application, and its logout.

A browser that opens a page without a session lands here, keeps the page it
asked for in ``next`` and goes back to it once signed in. The user name and
password are the lab's (``cucm-lab`` prints them, the control plane lists
them): the platform administrator for OS Administration, Serviceability and
the lab dashboard, an application user for CM Administration. A refused
login changes nothing and says so in the form's status area, as CUCM does.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.web import session
from api.web.render import (
    ENVIRONMENT,
    PRODUCTS,
    STATIC_PREFIX,
    Pages,
    Product,
    Status,
    log,
    read_form,
)

REFUSED = "Invalid username or password. Please try again."
SIGNED_OUT = "You have successfully logged out."


def routes(pages: Pages) -> APIRouter:
    """``login`` and ``logout`` under every application's home."""
    api = APIRouter(include_in_schema=False)
    for product in PRODUCTS:
        _product_routes(api, pages, product)
    return api


def _product_routes(api: APIRouter, pages: Pages, product: Product) -> None:
    runtime = pages.runtime

    def page(
        request: Request, status: Status | None, next_page: str, code: int = 200
    ) -> Response:
        html = ENVIRONMENT.get_template("login.html").render(
            product=product, node=pages.node, lab=pages.lab, status=status,
            release=pages.lab.profile.active_version, static=STATIC_PREFIX,
            next_page=next_page, account=_account_label(product),
        )  # fmt: skip
        outcome = status.text if status else "page"
        log.info(
            "%s %s %s: %d %s",
            pages.node.hostname, request.method, request.url.path, code, outcome,
        )  # fmt: skip
        return HTMLResponse(html, status_code=code)

    async def show(request: Request) -> Response:
        return page(request, None, _safe_next(request.query_params.get("next")))

    async def submit(request: Request) -> Response:
        form = await read_form(request)
        next_page = _safe_next(form.text("next"))
        if form.problem:
            return page(request, Status("error", form.problem), next_page, 400)
        user, password = form.text("j_username"), form.fields.get("j_password", "")
        wanted_user = pages.user(product)
        c = runtime.credentials
        wanted_password = (
            c.platform_password
            if product.account == "platform"
            else c.application_password
        )
        user_ok = secrets.compare_digest(user.encode(), wanted_user.encode())
        password_ok = secrets.compare_digest(
            password.encode(), wanted_password.encode()
        )
        if not (user_ok and password_ok):
            refused = Status("error", REFUSED, hint=_account_hint(product))
            return page(request, refused, next_page, 401)
        answer = RedirectResponse(next_page or product.home, 303)
        session.remember(answer, runtime, product.account, wanted_user)
        log.info("%s %s signed in to %s", pages.node.hostname, user, product.key)
        return answer

    async def logout(request: Request) -> Response:
        answer = page(request, Status("info", SIGNED_OUT), "")
        session.forget(answer, product.account)
        return answer

    api.add_api_route(f"{product.home}login", show, methods=["GET"])
    api.add_api_route(f"{product.home}login", submit, methods=["POST"])
    api.add_api_route(f"{product.home}logout", logout, methods=["GET"])


def _safe_next(value: str | None) -> str:
    """A page of this node to return to, never another site."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return ""
    return value if "\\" not in value else ""


def _account_label(product: Product) -> str:
    if product.account == "platform":
        return "platform administrator (OS Administration account)"
    return "application user with the Standard CCM Super Users role"


def _account_hint(product: Product) -> str:
    return (
        f"{product.title} takes the {_account_label(product)}; `cucm-lab` "
        "prints the lab's accounts when it starts"
    )
