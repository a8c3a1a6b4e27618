"""Cisco Unified CM Administration, as far as certificate work needs it.

System > Enterprise Parameters shows the security parameters a certificate
procedure reads or sets (Cluster Security Mode, Prepare Cluster for Rollback
to pre-8.0 and, from 14, Phone Interaction on Certificate Update) and has the
Reset and Apply Config buttons that push to every device; Device > Phone
lists the phones with the status and message a trust failure leaves. The
pages are the publisher's: a subscriber names the publisher instead.

The Reset confirmation is CUCM's text word for word (reference section 5).
Reset, Restart and Apply Config are the same model operations as the AXL
counterparts of these buttons.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.render import CM_ADMIN, Pages, Status, read_form
from emulator.phones.model import Registration

RESET_CONFIRMATION = (
    "You are about to reset all devices in the system. This action cannot be "
    "undone. Continue?"
)
APPLY_CONFIRMATION = (
    "You are about to apply the configuration to all devices in the system. "
    "Devices whose configuration changed restart. Continue?"
)
ROLLBACK = "Prepare Cluster for Rollback to pre-8.0"
PHONE_INTERACTION = "Phone Interaction on Certificate Update"
ROWS_PER_PAGE = 50


def routes(pages: Pages) -> APIRouter:
    """CM Administration on ``pages.node`` (the publisher's pages)."""
    api = APIRouter(prefix="/ccmadmin", include_in_schema=False)
    lab, node = pages.lab, pages.node
    security = lab.security

    def refuse(request: Request) -> Response | None:
        if not node.is_publisher:
            return pages.render(
                request, CM_ADMIN, "not_publisher.html",
                title="Cisco Unified CM Administration", status_code=404,
                publisher=lab.cluster.publisher,
            )  # fmt: skip
        return pages.guard(request, CM_ADMIN)

    def parameters(request: Request, status: Status | None = None) -> Response:
        return pages.render(
            request, CM_ADMIN, "enterprise_parameters.html",
            title="Enterprise Parameters Configuration", status=status,
            parameters=security.parameters,
            phone_interaction=lab.profile.phone_interaction_on_certificate_update,
            rollback_label=ROLLBACK, interaction_label=PHONE_INTERACTION,
        )  # fmt: skip

    @api.get("/")
    async def home(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        return pages.render(
            request, CM_ADMIN, "ccmadmin_home.html",
            title="Cisco Unified CM Administration",
        )  # fmt: skip

    @api.get("/enterpriseParamEdit.do")
    async def show(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        return parameters(request)

    @api.post("/enterpriseParamEdit.do")
    async def save(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        form = await read_form(request)
        if form.problem:
            return parameters(request, Status("error", form.problem))
        fields = [("rollback", ROLLBACK)]
        if lab.profile.phone_interaction_on_certificate_update:
            fields.append(("phone_interaction", PHONE_INTERACTION))
        chosen: dict[str, bool] = {}
        for name, label in fields:
            value = form.text(name)
            if value not in ("True", "False"):
                return parameters(
                    request,
                    Status(
                        "error",
                        f"Invalid value for {label}: {value or '(none)'}",
                        hint="choose True or False",
                    ),
                )
            chosen[name] = value == "True"

        current = security.parameters
        notes = []
        if chosen["rollback"] != current.prepare_cluster_for_rollback:
            security.set_prepare_cluster_for_rollback(chosen["rollback"])
            notes.append(
                f"{ROLLBACK} is now {chosen['rollback']}: TFTP rebuilt the ITL and "
                "every phone resets to fetch it; wait about ten minutes for them "
                "to register."
            )
        interaction = chosen.get("phone_interaction")
        if (
            interaction is not None
            and interaction != current.phone_interaction_on_certificate_update
        ):
            security.set_cluster_parameter(
                "PhoneInteractionOnCertificateUpdate", interaction
            )
            notes.append(f"{PHONE_INTERACTION} is now {interaction}.")
        return parameters(request, Status("success", "Update successful", tuple(notes)))

    @api.get("/enterpriseParamReset.do")
    async def confirm_reset(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        return pages.render(
            request, CM_ADMIN, "device_reset.html", title="Device Reset",
            status=Status("warning", RESET_CONFIRMATION), action="reset",
        )  # fmt: skip

    @api.get("/enterpriseParamApply.do")
    async def confirm_apply(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        return pages.render(
            request, CM_ADMIN, "device_reset.html", title="Apply Configuration",
            status=Status("warning", APPLY_CONFIRMATION), action="apply",
        )  # fmt: skip

    @api.post("/enterpriseParamReset.do")
    async def reset(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        form = await read_form(request)
        if form.problem:
            return parameters(request, Status("error", form.problem))
        kind = form.text("action")
        phones = lab.phones
        if kind == "reset":
            count, done = phones.reset(), "Reset"
        elif kind == "restart":
            count, done = phones.restart(), "Restart"
        elif kind == "apply":
            phones.apply_config()
            count, done = phones.restart(), "Apply Config"
        else:
            return parameters(
                request,
                Status(
                    "error",
                    f"Unknown device action: {kind or '(none)'}",
                    hint="choose Reset, Restart or Apply Config",
                ),
            )
        note = (
            "Watch the phones register again under Device > Phone or on the lab "
            "dashboard before the next certificate step."
        )
        return parameters(
            request,
            Status("success", f"{done} sent to {count} devices", (note,)),
        )

    @api.get("/phoneFindList.do")
    async def phone_list(request: Request) -> Response:
        if (refusal := refuse(request)) is not None:
            return refusal
        query = request.query_params
        text = query.get("text", "").strip()[:64]
        mode = "contains" if query.get("mode") == "contains" else "begins"
        status = query.get("status", "")
        statuses = [r.value for r in Registration]
        found = lab.phones.select(status=status if status in statuses else None)
        if text:
            wanted = text.upper()
            found = [
                p
                for p in found
                if (
                    wanted in p.name
                    if mode == "contains"
                    else p.name.startswith(wanted)
                )
            ]
        page_count = max(1, -(-len(found) // ROWS_PER_PAGE))
        number = query.get("page", "1")
        page = min(max(int(number) if number.isdigit() else 1, 1), page_count)
        start = (page - 1) * ROWS_PER_PAGE
        return pages.render(
            request, CM_ADMIN, "phone_list.html", title="Find and List Phones",
            phones=found[start : start + ROWS_PER_PAGE], total=len(found),
            page=page, page_count=page_count, text=text, mode=mode,
            status_filter=status, statuses=statuses, counts=lab.phones.counts(),
        )  # fmt: skip

    return api
