"""User management for admins (pääkäyttäjä). Access rule: ``UserManager``. Admins read no client
data: a user they create sees no client until a care team adds them."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col, select

from engine.bounds import Id
from engine.errors import InputRequired
from engine.models import User
from web.api.schemas import UserCreate, UserCreated, UserOut
from web.deps import ReadSessionDep, RuntimeDep, WriteSessionDep
from web.security import UserManager

router = APIRouter(prefix="/api/admin", tags=["admin"])


def user_out(user: User) -> UserOut:
    assert user.id is not None
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation_id=user.organisation_id,
        is_active=user.is_active,
        totp_enrolled=user.totp_secret is not None,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(_admin: UserManager, session: ReadSessionDep) -> list[UserOut]:
    """Every user, by username."""
    users = session.exec(select(User).order_by(col(User.username))).all()
    return [user_out(u) for u in users]


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserCreated)
def create_user(
    _admin: UserManager, body: UserCreate, runtime: RuntimeDep, session: WriteSessionDep
) -> UserCreated:
    """Create a user with an initial password and a TOTP secret; the provisioning URI (for the
    authenticator app) is shown only in this answer."""
    user, secret = runtime.auth.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        organisation_id=body.organisation_id,
        password=body.password,
        totp=True,
    )
    uri = runtime.auth.provisioning_uri(user.username, secret) if secret else None
    return UserCreated(user=user_out(user), totp_provisioning_uri=uri)


@router.post("/users/{user_id}/disable", response_model=UserOut)
def disable_user(
    user_id: Id, admin: UserManager, runtime: RuntimeDep, session: WriteSessionDep
) -> UserOut:
    """Disable a user: their sessions end and API tokens are revoked at once."""
    if user_id == admin.user_id:
        raise InputRequired("user_id", "an admin cannot disable themselves")
    return user_out(runtime.auth.disable_user(session, user_id))
