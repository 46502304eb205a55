"""The administration pages (web/admin_pages.py): each page and each write, as an admin would use
them -- and that the writes are logged with ids only, need the CSRF token, are refused to
everyone but an admin, and that an admin sees no client data anywhere."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pyotp
import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.models import ApiToken, Organisation, PartnerService, Role, User, UserSession
from engine.runtime import Runtime
from engine.testing import (
    make_client,
    make_organisation,
    make_user,
)
from tests.referral_kit import partner_service
from web.security import CSRF_HEADER
from web.testing import (
    UserClient,
)

ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/organisations",
    "/admin/tokens",
    "/admin/services",
    "/admin/plugins",
)


@pytest.fixture
def admin(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.admin)


def user_row(runtime: Runtime, user_id: int) -> User:
    with runtime.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def admin_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "polku.admin"]


def test_every_admin_page_opens_in_three_languages(admin: UserClient) -> None:
    for path in ADMIN_PAGES:
        for language, word in (("fi", "Ylläpito"), ("sv", "Administrering"), ("en", "Admin")):
            page = admin.get(path, headers={"Accept-Language": language})
            assert page.status_code == 200, path
            assert word in page.text, (path, language)


def test_creating_a_user_shows_the_totp_uri_once_and_logs_ids(
    runtime: Runtime, admin: UserClient, caplog: pytest.LogCaptureFixture
) -> None:
    organisation = make_organisation(runtime, "project")
    caplog.set_level(logging.INFO, logger="polku.admin")
    page = admin.post(
        "/admin/users",
        data={
            "username": "Uusi.Valmentaja",
            "display_name": "Uusi Valmentaja",
            "role": "coach",
            "organisation_id": str(organisation),
            "password": "alkusalasana-2026",
        },
    )
    assert page.status_code == 200
    uri = re.search(r'value="(otpauth://[^"]+)"', page.text)
    assert uri is not None
    assert "uusi.valmentaja" in uri.group(1)
    assert page.headers["cache-control"] == "no-store"
    with runtime.db.read() as session:
        user = session.execute(
            select(User).where(col(User.username) == "uusi.valmentaja")
        ).scalar_one()
    assert user.role == "coach"
    assert user.organisation_id == organisation
    secret = pyotp.parse_uri(uri.group(1).replace("&amp;", "&")).secret
    assert secret == user.totp_secret
    assert admin_lines(caplog) == [f"admin {admin.user_id}: created user {user.id}"]
    listing = admin.get("/admin/users").text
    assert "uusi.valmentaja" in listing
    assert "otpauth://" not in listing


def test_a_user_form_with_errors_keeps_what_was_typed(runtime: Runtime, admin: UserClient) -> None:
    partner_org = make_organisation(runtime, "partner")
    page = admin.post(
        "/admin/users",
        data={
            "username": "Ä bad name",
            "display_name": "Uusi <b>Käyttäjä</b>",
            "role": "coach",
            "organisation_id": str(partner_org),
            "password": "alkusalasana-2026",
        },
    )
    assert page.status_code == 422
    assert 'value="Ä bad name"' in page.text
    assert 'value="Uusi &lt;b&gt;Käyttäjä&lt;/b&gt;"' in page.text
    assert 'id="user-username-error"' in page.text
    assert "alkusalasana-2026" not in page.text  # a password is never sent back
    wrong_organisation = admin.post(
        "/admin/users",
        data={
            "username": "oikea.nimi",
            "display_name": "Oikea Nimi",
            "role": "coach",
            "organisation_id": str(partner_org),
            "password": "alkusalasana-2026",
        },
    )
    assert wrong_organisation.status_code == 422
    assert 'id="user-organisation-error"' in wrong_organisation.text
    with runtime.db.read() as session:
        assert (
            session.execute(select(User).where(col(User.username) == "oikea.nimi")).first() is None
        )


def test_disabling_a_user_ends_their_sessions(
    runtime: Runtime,
    admin: UserClient,
    api_as: Callable[..., UserClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    coach = api_as(Role.coach)
    caplog.set_level(logging.INFO, logger="polku.admin")
    response = admin.post(f"/admin/users/{coach.user_id}/disable", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?done=disabled"
    assert not user_row(runtime, coach.user_id).is_active
    assert coach.get("/api/auth/me").status_code == 401
    assert admin_lines(caplog) == [f"admin {admin.user_id}: disabled user {coach.user_id}"]
    assert "poistettiin käytöstä" in admin.get("/admin/users?done=disabled").text
    itself = admin.post(f"/admin/users/{admin.user_id}/disable")
    assert itself.status_code == 422
    assert user_row(runtime, admin.user_id).is_active


def test_resetting_the_second_factor_shows_a_new_key_once(
    runtime: Runtime, admin: UserClient, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as(Role.coach)
    before = user_row(runtime, coach.user_id).totp_secret
    page = admin.post(f"/admin/users/{coach.user_id}/reset-totp")
    assert page.status_code == 200
    after = user_row(runtime, coach.user_id).totp_secret
    assert after
    assert after != before
    assert after[:4] in page.text
    assert "otpauth://" in page.text
    with runtime.db.read() as session:
        sessions = session.execute(
            select(UserSession).where(col(UserSession.user_id) == coach.user_id)
        ).all()
    assert sessions == []


def test_setting_a_role_and_organisation(
    runtime: Runtime, admin: UserClient, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as(Role.coach)
    project = make_organisation(runtime, "project")
    partner_org = make_organisation(runtime, "partner")
    moved = admin.post(
        f"/admin/users/{coach.user_id}/role",
        data={"role": "coordinator", "organisation_id": str(project)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    user = user_row(runtime, coach.user_id)
    assert (user.role, user.organisation_id) == ("coordinator", project)
    refused = admin.post(
        f"/admin/users/{coach.user_id}/role",
        data={"role": "coach", "organisation_id": str(partner_org)},
    )
    assert refused.status_code == 422
    assert f'id="organisation-{coach.user_id}-error"' in refused.text
    assert user_row(runtime, coach.user_id).role == "coordinator"
    own = admin.post(f"/admin/users/{admin.user_id}/role", data={"role": "coach"})
    assert own.status_code == 422
    assert user_row(runtime, admin.user_id).role == "admin"


def test_organisations_are_created_and_listed(runtime: Runtime, admin: UserClient) -> None:
    created = admin.post(
        "/admin/organisations",
        data={"name": "Uusi Työpaja ry", "kind": "partner", "municipalities": "261, 320"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    with runtime.db.read() as session:
        row = session.execute(
            select(Organisation).where(col(Organisation.name) == "Uusi Työpaja ry")
        ).scalar_one()
    assert (row.kind, row.municipality_codes) == ("partner", "261,320")
    assert "Uusi Työpaja ry" in admin.get("/admin/organisations").text
    bad = admin.post(
        "/admin/organisations", data={"name": "Toinen", "kind": "partner", "municipalities": "26"}
    )
    assert bad.status_code == 422
    assert 'value="26"' in bad.text
    assert 'id="org-municipalities-error"' in bad.text
    no_kind = admin.post("/admin/organisations", data={"name": "Kolmas", "kind": ""})
    assert no_kind.status_code == 422
    assert 'id="org-kind-error"' in no_kind.text


def test_an_api_token_is_shown_once_works_and_is_revoked(
    runtime: Runtime, admin: UserClient, api: object, caplog: pytest.LogCaptureFixture
) -> None:
    coach = make_user(runtime, Role.coach)
    caplog.set_level(logging.INFO, logger="polku.admin")
    page = admin.post("/admin/tokens", data={"user_id": str(coach.id), "name": "Integraatio"})
    assert page.status_code == 200
    token = re.search(r'value="(polku_[^"]+)"', page.text)
    assert token is not None
    from fastapi.testclient import TestClient

    assert isinstance(api, TestClient)
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/auth/me", headers=bearer).status_code == 200
    listing = admin.get("/admin/tokens").text
    assert "Integraatio" in listing
    assert token.group(1) not in listing
    with runtime.db.read() as session:
        row = session.execute(
            select(ApiToken).where(col(ApiToken.name) == "Integraatio")
        ).scalar_one()
    revoked = admin.post(f"/admin/tokens/{row.id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    assert api.get("/api/auth/me", headers=bearer).status_code == 401
    assert admin_lines(caplog) == [
        f"admin {admin.user_id}: created api token {row.id}",
        f"admin {admin.user_id}: revoked api token {row.id}",
    ]
    assert token.group(1) not in caplog.text
    bad = admin.post("/admin/tokens", data={"user_id": str(coach.id), "name": "", "days": "0"})
    assert bad.status_code == 422
    assert 'id="token-days-error"' in bad.text


def test_the_partner_catalogue_is_edited(runtime: Runtime, admin: UserClient) -> None:
    partner = partner_service(runtime, "Työpaja Verstas", "kittila.verstas.workshop")
    edit = admin.get("/admin/services", params={"edit": "kittila.verstas.workshop"}).text
    assert 'value="kittila.verstas.workshop"' in edit
    saved = admin.post(
        "/admin/services",
        data={
            "target_key": "kittila.verstas.workshop",
            "organisation_id": str(partner.organisation_id),
            "service_type": "workshop",
            "municipality_code": "261",
            "capacity": "8",
            "response_days": "5",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with runtime.db.read() as session:
        row = session.execute(
            select(PartnerService).where(col(PartnerService.target_key) == partner.target_key)
        ).scalar_one()
    assert (row.service_type, row.capacity, row.response_days) == ("workshop", 8, 5)
    bad = admin.post(
        "/admin/services",
        data={
            "target_key": "kittila.verstas.workshop",
            "organisation_id": str(partner.organisation_id),
            "service_type": "workshop",
            "municipality_code": "261",
            "capacity": "-1",
            "response_days": "999",
        },
    )
    assert bad.status_code == 422
    assert 'id="service-capacity-error"' in bad.text
    assert 'id="service-response_days-error"' in bad.text
    assert 'value="999"' in bad.text
    wrong_type = admin.post(
        "/admin/services",
        data={
            "target_key": "kittila.verstas.workshop",
            "organisation_id": str(partner.organisation_id),
            "service_type": "circus",
            "municipality_code": "261",
        },
    )
    assert wrong_type.status_code == 422
    assert 'id="service-service_type-error"' in wrong_type.text


def test_the_plugins_page_lists_versions_and_municipalities(admin: UserClient) -> None:
    html = admin.get("/admin/plugins").text
    assert "<code>plugins.national</code>" in html  # the national rules, by their module
    assert "Kittilä (261)" in html
    assert "Parikkala" in html
    assert re.search(r"<td>\d+\.\d+", html)


def test_an_admin_sees_no_client_data(runtime: Runtime, admin: UserClient) -> None:
    client_id, _journey = make_client(
        runtime, organisation_id=admin.organisation_id, first_name="Salainen", last_name="Asiakas"
    )
    for path in ADMIN_PAGES:
        assert "Salainen" not in admin.get(path).text, path
    assert admin.get("/clients").status_code == 403
    assert admin.get(f"/clients/{client_id}").status_code == 403
    assert admin.get(f"/reports/client-log/{client_id}").status_code == 403
    assert admin.get("/reports/client-log", params={"q": "Salainen"}).status_code == 403


def test_only_an_admin_reaches_the_admin_pages_and_writes_need_the_token(
    runtime: Runtime, api_as: Callable[..., UserClient], admin: UserClient
) -> None:
    for role in (Role.coach, Role.coordinator, Role.partner):
        other = api_as(role)
        for path in ADMIN_PAGES:
            assert other.get(path).status_code == 403, (role, path)
        assert (
            other.post("/admin/organisations", data={"name": "X", "kind": "partner"}).status_code
            == 403
        )
    del admin.headers[CSRF_HEADER]
    refused = admin.post("/admin/organisations", data={"name": "Ilman", "kind": "partner"})
    assert refused.status_code == 403
    with runtime.db.read() as session:
        assert (
            session.execute(select(Organisation).where(col(Organisation.name) == "Ilman")).first()
            is None
        )


def test_the_admin_rules_live_in_the_engine(runtime: Runtime) -> None:
    """The pages only parse: the engine refuses an admin's own disable and role change, a
    token lasting 0 or over 3650 days and an empty initial password (and the CLI gets the same)."""
    from engine.auth import MAX_TOKEN_DAYS
    from engine.errors import InputRequired

    project = make_organisation(runtime, "project")
    with runtime.db.write() as session:
        admin, _secret = runtime.auth.create_user(
            session,
            username="saanto.admin",
            display_name="Sääntö Admin",
            role=Role.admin,
            organisation_id=None,
            password=None,
        )
        assert admin.id is not None
        for refused, field_name in (
            (lambda: runtime.auth.disable_user(session, admin.id or 0, by=admin.id), "self"),
            (
                lambda: runtime.auth.set_role(
                    session, admin.id or 0, "coach", project, by=admin.id
                ),
                "self",
            ),
            (lambda: runtime.auth.create_api_token(session, admin.id or 0, "t", days=0), "days"),
            (
                lambda: runtime.auth.create_api_token(
                    session, admin.id or 0, "t", days=MAX_TOKEN_DAYS + 1
                ),
                "days",
            ),
            (
                lambda: runtime.auth.create_user(
                    session,
                    username="tyhja.salasana",
                    display_name="Tyhjä Salasana",
                    role=Role.coach,
                    organisation_id=project,
                    password="",
                ),
                "password",
            ),
        ):
            with pytest.raises(InputRequired) as raised:
                refused()
            assert raised.value.field == field_name
        token, row = runtime.auth.create_api_token(session, admin.id, "pitkä", days=MAX_TOKEN_DAYS)
        assert token
        assert row.expires_at is not None
        assert runtime.auth.disable_user(session, admin.id, by=None).is_active is False
