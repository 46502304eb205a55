"""Administration pages (pääkäyttäjä): users, organisations, API tokens, the partner service
catalogue and the loaded plugins. Admins read no client data: nothing here shows a client.

Every write calls the same engine function as the ``polku`` command and the JSON API
(:class:`engine.auth.Auth`, :mod:`engine.organisations`, ``Referrals.save_service``), is
CSRF-protected (a session POST, web/security.py) and logged with ids only (logger
``polku.admin``: who did what to which id). A failed form comes back with what was typed and the
message beside the field (422). Secrets are shown once: the TOTP provisioning URI after creating
a user or resetting their second factor, an API token after creating it.

Rules: ``manage_users`` (:func:`engine.access.can_manage_users`) for everything but the
catalogue, which is ``manage_services`` (:func:`engine.access.can_manage_partner_services`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine import partner_catalogue
from engine.access import Principal
from engine.auth import ROLE_ORGANISATION
from engine.bounds import Id
from engine.errors import NotFound, PolkuError
from engine.inputs import invalid_input
from engine.models import ApiToken, Organisation, OrganisationKind, PartnerService, Role, User
from engine.organisations import create_organisation, organisations
from engine.partner_catalogue import SERVICE_TYPES
from engine.plugins import describe_plugins
from web import i18n
from web.api.referrals import ServiceIn
from web.deps import ReadSessionDep, RuntimeDep, SubmittedForm, WriteSessionDep
from web.errors import page_router
from web.forms import Attempt, attempt, form_text, whole_number
from web.security import ServiceManager, UserManager
from web.templating import render, see_other

router = page_router(prefix="/admin", tags=["pages"])
log = logging.getLogger("polku.admin")

ROLES = tuple(r.value for r in Role)
KINDS = tuple(k.value for k in OrganisationKind)


def logged(admin: Principal, action: str, kind: str, object_id: object) -> None:
    """The admin audit line: ids and codes only (never names, usernames or secrets)."""
    log.info("admin %s: %s %s %s", admin.user_id, action, kind, object_id)


def role_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "coach": _("Coach"),
        "coordinator": _("Coordinator"),
        "partner": _("Partner worker"),
        "admin": _("Administrator"),
    }


def kind_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "project": _("Project (keeps client records)"),
        "partner": _("Partner agency"),
        "funder": _("Funder (receives a project's reports)"),
    }


def _labels(request: Request) -> dict[str, Any]:
    with i18n.use_language(i18n.request_language(request)):
        return {"role_labels": role_labels(), "kind_labels": kind_labels()}


# --- the overview ---------------------------------------------------------------------------------


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@router.get("", response_class=HTMLResponse, name="admin")
def overview(
    request: Request, _admin: UserManager, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """What there is to administer, with counts."""
    counts = {
        "users": _count(session, User, col(User.is_active)),
        "disabled": _count(session, User, col(User.is_active).is_(False)),
        "organisations": _count(session, Organisation),
        "tokens": _count(session, ApiToken, col(ApiToken.revoked_at).is_(None)),
        "services": _count(session, PartnerService),
        "plugins": len(runtime.pm.get_plugins()),
    }
    return render(request, "admin/index.html", {"counts": counts})


# --- users ----------------------------------------------------------------------------------------


@dataclass
class UserForm:
    """The new-user form as typed (never the password: it is not sent back)."""

    username: str = ""
    display_name: str = ""
    role: str = ""
    organisation_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RowError:
    user_id: Id
    field: str
    message: str

    @classmethod
    def of(cls, user_id: Id, error: PolkuError, errors: dict[str, str]) -> RowError:
        """The engine's refusal of a change to one user's row: its first field (or "form")."""
        name = next(iter(errors), "form")
        return cls(user_id, name, errors.get(name, str(error)))


def admin_page(
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    form: object,
    done: str,
    status_code: int,
) -> Response:
    """An admin list page with its form (as typed, with errors) and the note of what was just
    done; ``values`` are the page's own."""
    page = {**values, "form": form, "done": done, **_labels(request)}
    return render(request, template, page, status_code=status_code)


def users_page(
    request: Request,
    session: Session,
    *,
    form: UserForm | None = None,
    row_error: RowError | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    users = list(session.execute(select(User).order_by(col(User.username))).scalars())
    orgs = organisations(session)
    return admin_page(
        request,
        "admin/users.html",
        {
            "users": users,
            "organisations": orgs,
            "organisation_names": {o.id: o.name for o in orgs},
            "roles": ROLES,
            "role_organisation": {
                r.value: (k.value if k else "") for r, k in ROLE_ORGANISATION.items()
            },
            "row_error": row_error,
        },
        form=form or UserForm(),
        done=done,
        status_code=status_code,
    )


@router.get("/users", response_class=HTMLResponse, name="admin_users")
def list_users(
    request: Request, _admin: UserManager, session: ReadSessionDep, done: str = ""
) -> Response:
    """Every user: role, organisation, active, second factor; and the forms to change them."""
    return users_page(request, session, done=done if done in DONE else "")


#: What the last write did, for the notice after its redirect.
DONE = frozenset({"disabled", "role", "organisation", "revoked", "saved"})


def _organisation_id(value: str) -> int | None:
    return whole_number(value) if value else None


def secret_page(
    request: Request, *, kind: str, user: User, secret: str, uri: str = "", token_name: str = ""
) -> Response:
    """A secret shown once (never stored in the clear, never logged)."""
    grouped = (
        " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if kind == "totp" else ""
    )
    return render(
        request,
        "admin/secret.html",
        {
            "kind": kind,
            "user": user,
            "secret": secret,
            "grouped": grouped,
            "uri": uri,
            "token_name": token_name,
            **_labels(request),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    submitted: SubmittedForm,
    admin: UserManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Create a user with an initial password and a TOTP secret; the provisioning URI is shown
    on the answer page, once."""
    data = submitted
    form = UserForm(
        username=form_text(data, "username")[:100],
        display_name=form_text(data, "display_name")[:200],
        role=form_text(data, "role")[:20],
        organisation_id=form_text(data, "organisation_id")[:10],
    )
    password = form_text(data, "password")[:300]
    organisation_id = _organisation_id(form.organisation_id)
    if form.organisation_id and organisation_id is None:
        form.errors["organisation_id"] = "organisation"
    if not form.errors:
        done = attempt(
            session,
            lambda: runtime.auth.create_user(
                session,
                username=form.username,
                display_name=form.display_name,
                role=form.role,
                organisation_id=organisation_id,
                password=password,
                totp=True,
            ),
        )
        form.errors |= done.errors
        if done.result is not None:
            user, secret = done.result
            logged(admin, "created", "user", user.id)
            assert secret is not None
            uri = runtime.auth.provisioning_uri(user.username, secret)
            return secret_page(request, kind="totp", user=user, secret=secret, uri=uri)
    return users_page(request, session, form=form, status_code=422)


@router.post("/users/{user_id}/disable", response_class=HTMLResponse)
def disable_user(
    request: Request,
    user_id: Id,
    admin: UserManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Disable a user: their sessions end and their API tokens are revoked at once."""
    done = attempt(session, lambda: runtime.auth.disable_user(session, user_id, by=admin.user_id))
    if done.error is not None:
        error = RowError.of(user_id, done.error, done.errors)
        return users_page(request, session, row_error=error, status_code=422)
    logged(admin, "disabled", "user", user_id)
    return see_other("/admin/users?done=disabled")


@router.post("/users/{user_id}/reset-totp", response_class=HTMLResponse)
def reset_totp(
    request: Request,
    user_id: Id,
    admin: UserManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """A new second factor for a user (a lost phone); the provisioning URI is shown once."""
    user, secret = runtime.auth.reset_totp(session, user_id)
    logged(admin, "reset second factor of", "user", user_id)
    uri = runtime.auth.provisioning_uri(user.username, secret)
    return secret_page(request, kind="totp", user=user, secret=secret, uri=uri)


@router.post("/users/{user_id}/role", response_class=HTMLResponse)
def set_role(
    request: Request,
    submitted: SubmittedForm,
    user_id: Id,
    admin: UserManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Set a user's role and organisation (the same rules as creating a user)."""
    data = submitted
    role = form_text(data, "role")[:20]
    typed = form_text(data, "organisation_id")[:10]
    organisation_id = _organisation_id(typed)
    error: RowError | None = None
    if typed and organisation_id is None:
        error = RowError(user_id, "organisation_id", "organisation")
    else:
        done = attempt(
            session,
            lambda: runtime.auth.set_role(
                session, user_id, role, organisation_id, by=admin.user_id
            ),
        )
        if done.error is not None:
            error = RowError.of(user_id, done.error, done.errors)
    if error is not None:
        if session.get(User, user_id) is None:
            raise NotFound(f"user {user_id} not found")
        return users_page(request, session, row_error=error, status_code=422)
    logged(admin, "set role and organisation of", "user", user_id)
    return see_other("/admin/users?done=role")


# --- organisations --------------------------------------------------------------------------------


@dataclass
class OrganisationForm:
    name: str = ""
    kind: str = ""
    municipalities: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def organisations_page(
    request: Request,
    session: Session,
    *,
    form: OrganisationForm | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    return admin_page(
        request,
        "admin/organisations.html",
        {"organisations": organisations(session), "kinds": KINDS},
        form=form or OrganisationForm(),
        done=done,
        status_code=status_code,
    )


@router.get("/organisations", response_class=HTMLResponse, name="admin_organisations")
def list_organisations(
    request: Request, _admin: UserManager, session: ReadSessionDep, done: str = ""
) -> Response:
    """Every organisation with its kind and municipalities; a form to create one."""
    return organisations_page(request, session, done="saved" if done == "saved" else "")


@router.post("/organisations", response_class=HTMLResponse)
def add_organisation(
    request: Request, submitted: SubmittedForm, admin: UserManager, session: WriteSessionDep
) -> Response:
    data = submitted
    form = OrganisationForm(
        name=form_text(data, "name")[:300],
        kind=form_text(data, "kind")[:20],
        municipalities=form_text(data, "municipalities")[:500],
    )
    done = attempt(
        session,
        lambda: create_organisation(
            session, name=form.name, kind=form.kind, municipalities=form.municipalities
        ),
    )
    if done.result is None:
        form.errors |= done.errors
        return organisations_page(request, session, form=form, status_code=done.status)
    logged(admin, "created", "organisation", done.result.id)
    return see_other("/admin/organisations?done=saved")


# --- API tokens -----------------------------------------------------------------------------------


@dataclass
class TokenForm:
    user_id: str = ""
    name: str = ""
    days: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def tokens_page(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    *,
    form: TokenForm | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    users = list(
        session.execute(
            select(User).where(col(User.is_active)).order_by(col(User.username))
        ).scalars()
    )
    return admin_page(
        request,
        "admin/tokens.html",
        {"tokens": runtime.auth.api_tokens(session), "users": users, "now": runtime.clock.now()},
        form=form or TokenForm(),
        done=done,
        status_code=status_code,
    )


@router.get("/tokens", response_class=HTMLResponse, name="admin_tokens")
def list_tokens(
    request: Request,
    _admin: UserManager,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    done: str = "",
) -> Response:
    """API tokens for integrations (the tokens themselves are never shown again)."""
    return tokens_page(request, runtime, session, done="revoked" if done == "revoked" else "")


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    submitted: SubmittedForm,
    admin: UserManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Create an API token acting as a user; it is shown on the answer page, once."""
    data = submitted
    form = TokenForm(
        user_id=form_text(data, "user_id")[:10],
        name=form_text(data, "name")[:200],
        days=form_text(data, "days")[:10],
    )
    user_id = whole_number(form.user_id)
    days = whole_number(form.days) if form.days else None
    if user_id is None:
        form.errors["user_id"] = "user"
    if form.days and days is None:
        form.errors["days"] = "days"
    if not form.errors and user_id is not None:
        chosen = user_id
        try:
            done = attempt(
                session,
                lambda: runtime.auth.create_api_token(session, chosen, form.name, days=days),
            )
        except NotFound:  # the user chosen is gone: the form's problem, not a missing page
            done = Attempt(error=NotFound("user"), status=422, errors={"user_id": "user"})
        form.errors |= done.errors
        if done.result is not None:
            token, row = done.result
            logged(admin, "created", "api token", row.id)
            user = session.get(User, user_id)
            assert user is not None
            return secret_page(request, kind="token", user=user, secret=token, token_name=row.name)
    return tokens_page(request, runtime, session, form=form, status_code=422)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    token_id: Id, admin: UserManager, runtime: RuntimeDep, session: WriteSessionDep
) -> Response:
    """Revoke an API token at once."""
    runtime.auth.revoke_api_token(session, token_id)
    logged(admin, "revoked", "api token", token_id)
    return see_other("/admin/tokens?done=revoked")


# --- the partner service catalogue ----------------------------------------------------------------


SERVICE_FIELDS = (
    "target_key",
    "organisation_id",
    "service_type",
    "municipality_code",
    "capacity",
    "waiting_list",
    "response_days",
    "notify_email",
)


def service_type_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "rehabilitative_work_activity": _("Rehabilitative work activity"),
        "work_trial": _("Work trial"),
        "workshop": _("Workshop"),
        "studies": _("Studies"),
        "social_rehabilitation": _("Social rehabilitation"),
        "substance_rehabilitation": _("Substance rehabilitation"),
        "vocational_rehabilitation": _("Vocational rehabilitation"),
        "paid_work": _("Paid work"),
        "other": _("Other meaningful activity"),
    }


def services_page(
    request: Request,
    runtime: RuntimeDep,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    partners = [o for o in organisations(session) if o.kind == OrganisationKind.partner]
    language = i18n.request_language(request)
    with i18n.use_language(language):
        types = service_type_labels()
    return render(
        request,
        "admin/services.html",
        {
            "services": partner_catalogue.services(session),
            "partners": partners,
            "organisation_names": {o.id: o.name for o in organisations(session)},
            "service_types": SERVICE_TYPES,
            "type_labels": types,
            "municipalities": sorted(
                ((c, m.label(language)) for c, m in runtime.municipalities.items()),
                key=lambda item: item[1],
            ),
            "form": form or dict.fromkeys(SERVICE_FIELDS, ""),
            "errors": errors or {},
            "done": done,
        },
        status_code=status_code,
    )


@router.get("/services", response_class=HTMLResponse, name="admin_services")
def list_services(
    request: Request,
    _admin: ServiceManager,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    edit: str = "",
    done: str = "",
) -> Response:
    """The partner service catalogue: which organisation receives referrals to which target.
    ``?edit=<target>`` fills the form with that entry."""
    form = None
    for service in partner_catalogue.services(session):
        if service.target_key == edit:
            form = {
                name: "" if getattr(service, name) is None else str(getattr(service, name))
                for name in SERVICE_FIELDS
            }
    return services_page(
        request, runtime, session, form=form, done="saved" if done == "saved" else ""
    )


@router.post("/services", response_class=HTMLResponse)
def save_service(
    request: Request,
    submitted: SubmittedForm,
    admin: ServiceManager,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Add or update the catalogue entry of one referral target (the same rules as the API:
    its input model, then ``Referrals.save_service``)."""
    data = submitted
    form = {name: form_text(data, name)[:300] for name in SERVICE_FIELDS}
    errors: dict[str, str] = {}
    values = {k: (v or None) for k, v in form.items()}
    try:
        body = ServiceIn.model_validate(values)
    except ValidationError as exc:
        errors |= invalid_input(exc).errors  # each field's first problem, as the engine's
    else:
        done = attempt(
            session, lambda: partner_catalogue.save_service(session, **body.model_dump())
        )
        errors |= done.errors
        if done.result is not None:
            logged(admin, "saved", "partner service", done.result.id)
            return see_other("/admin/services?done=saved")
    return services_page(request, runtime, session, form=form, errors=errors, status_code=422)


# --- plugins --------------------------------------------------------------------------------------


@router.get("/plugins", response_class=HTMLResponse, name="admin_plugins")
def list_plugins(request: Request, _admin: UserManager, runtime: RuntimeDep) -> Response:
    """The loaded plugins: version, source, the municipalities each serves and its hooks."""
    return render(request, "admin/plugins.html", {"plugins": describe_plugins(runtime.pm)})
