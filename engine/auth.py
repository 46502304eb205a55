"""Who is this (tunnistautuminen): users, passwords, the TOTP second factor, server-side sessions,
API tokens and login throttling. What a user may then see is :mod:`engine.access`'s business.

- Passwords: argon2id (argon2-cffi), rehashed when the cost settings change; an unknown username
  costs one verification too, so timing does not tell which usernames exist.
- Second factor: TOTP (RFC 6238, pyotp) for every role outside demo mode; a code is accepted once.
- Sessions: a random 256-bit token in the cookie, only its SHA-256 in ``user_session``; a fresh
  token at every login (the old one is deleted); idle and absolute timeouts; logout deletes the
  row. The CSRF token is an HMAC of the session token, so it is bound to the session.
- API tokens: ``polku_...`` bearer tokens for integrations, SHA-256 at rest, revocable, optional
  expiry; they act as their user.
- Throttling: after ``login_max_failures`` failures for a username within
  ``login_throttle_minutes``, further attempts on it are refused without checking; after
  ``login_max_failures_per_ip`` failures from one address within ``login_ip_window_seconds``
  (a minute), that address waits until the window has room: slowed down, never a lock-out of
  every account behind a shared proxy.
  Attempts on one username run one at a time (SQLite: the write lock; PostgreSQL: a transaction
  advisory lock on the username's hash), so parallel guesses cannot all slip under the limit
  and two logins with one TOTP code cannot both succeed.

Application logs name user ids, never usernames, names or passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session, col

from engine.access import Principal
from engine.clock import Clock, as_utc
from engine.db import Database
from engine.driver import DriverStatement
from engine.errors import InputRequired, NotFound
from engine.models import (
    ApiToken,
    LoginAttempt,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserSession,
)
from engine.settings import Settings

log = logging.getLogger("polku.auth")

ROLES = frozenset(r.value for r in Role)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 256
API_TOKEN_PREFIX = "polku_"  # noqa: S105 (a prefix, not a secret)
#: ``last_seen_at`` is written at most this often (idle timeout precision).
TOUCH_EVERY = timedelta(seconds=60)
#: Login attempts are kept this long, then purged.
ATTEMPTS_KEPT = timedelta(days=1)
#: Which organisation kind each role belongs to (None: any or none).
ROLE_ORGANISATION: dict[Role, OrganisationKind | None] = {
    Role.coach: OrganisationKind.project,
    Role.coordinator: OrganisationKind.project,
    Role.partner: OrganisationKind.partner,
    Role.admin: None,
}


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (session and API tokens): enough at rest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The session's CSRF token: derived from the session token, useless without it."""
    return hmac.new(session_token.encode(), b"polku-csrf-v1", hashlib.sha256).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


#: The longest an API token may be made to last (ten years).
MAX_TOKEN_DAYS = 3650


@dataclass(frozen=True)
class Authentication:
    """The result of authenticating one request: who, and through what."""

    principal: Principal
    #: The ``user_session`` row (None when a bearer token was used).
    session_id: int | None = None
    #: The ``api_token`` row (None when a session cookie was used).
    token_id: int | None = None
    #: This session's CSRF token (None for bearer tokens: no cookies, no CSRF).
    csrf_token: str | None = None
    #: The user's display name, for the signed-in header (never logged).
    display_name: str = ""


class LoginOutcome(StrEnum):
    ok = "ok"
    failed = "failed"
    throttled = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user_id: int | None = None
    #: The new session's token (for the cookie) and CSRF token, when ``outcome`` is ok.
    session_token: str | None = None
    csrf_token: str | None = None


def principal_of(user: User) -> Principal | None:
    """The policy's view of a user; None (fail closed) for an unknown role or a disabled user."""
    if not user.is_active or user.id is None or user.role not in ROLES:
        return None
    return Principal(user.id, Role(user.role), user.organisation_id)


class Auth:
    """The authentication service. Built once per process by :class:`engine.runtime.Runtime`.

    Methods taking a ``session`` run in the caller's transaction; ``authenticate_*`` open their
    own short transactions on ``db`` (they run before the request's own transaction starts).
    """

    def __init__(self, settings: Settings, clock: Clock, db: Database):
        self.settings = settings
        self.clock = clock
        self.db = db
        self.hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash(secrets.token_urlsafe(16))

    # --- passwords and the second factor ------------------------------------------------------

    def hash_password(self, password: str, *, username: str = "") -> str:
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise InputRequired(
                "password", f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters"
            )
        if username and normalise_username(password) == normalise_username(username):
            raise InputRequired("password", "the password may not be the username")
        return self.hasher.hash(password)

    def verify_password(self, user: User | None, password: str) -> bool:
        """Check a password; costs one argon2 verification even for an unknown user."""
        stored = user.password_hash if user is not None else None
        try:
            self.hasher.verify(stored or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if stored is None or user is None:
            return False
        if self.hasher.check_needs_rehash(stored):
            user.password_hash = self.hasher.hash(password)
        return True

    @staticmethod
    def new_totp_secret() -> str:
        return pyotp.random_base32()

    def provisioning_uri(self, username: str, secret: str) -> str:
        """The ``otpauth://`` URI an authenticator app reads (usually as a QR code)."""
        return pyotp.TOTP(secret).provisioning_uri(
            name=username, issuer_name=self.settings.totp_issuer
        )

    def totp_step(self, user: User, code: str | None, now: datetime) -> int | None:
        """The time step a valid, unused code belongs to (one step of clock drift either way)."""
        if not code or not user.totp_secret:
            return None
        code = code.replace(" ", "").strip()
        totp = pyotp.TOTP(user.totp_secret)
        current = totp.timecode(now)
        for step in (current - 1, current, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                if user.totp_last_step is not None and step <= user.totp_last_step:
                    return None  # replayed
                return step
        return None

    # --- users --------------------------------------------------------------------------------

    def create_user(
        self,
        session: Session,
        *,
        username: str,
        display_name: str,
        role: Role | str,
        organisation_id: int | None,
        password: str | None,
        totp: bool = True,
    ) -> tuple[User, str | None]:
        """Create a user; return it and its TOTP secret (None when ``totp`` is False).

        Coaches and coordinators belong to a project organisation, partner workers to a partner
        organisation. Leaving out the second factor is possible only in demo mode.
        """
        name = normalise_username(username)
        if not USERNAME.fullmatch(name):
            raise InputRequired("username", "a username has 2-100 characters: a-z, 0-9 and . _ @ -")
        if role not in ROLES:
            raise InputRequired("role", "unknown role", [r.value for r in Role])
        role = Role(role)
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 200:
            raise InputRequired("display_name", "a display name has 1-200 characters")
        if password is not None and not password:
            raise InputRequired("password", "missing")  # None: no password yet (tests, bench)
        self._check_organisation(session, role, organisation_id)
        if not totp and self.settings.require_totp:
            raise InputRequired("totp", "two-factor login may be left out only in demo mode")
        if session.execute(select(col(User.id)).where(col(User.username) == name)).first():
            raise InputRequired("username", "this username is taken")
        secret = self.new_totp_secret() if totp else None
        user = User(
            username=name,
            display_name=display_name,
            role=role.value,
            organisation_id=organisation_id,
            password_hash=self.hash_password(password, username=name) if password else None,
            totp_secret=secret,
            created_at=self.clock.now(),
        )
        session.add(user)
        session.flush()
        log.info("user %s created with role %s", user.id, role.value)
        return user, secret

    def _check_organisation(
        self, session: Session, role: Role, organisation_id: int | None
    ) -> None:
        wanted = ROLE_ORGANISATION[role]
        if organisation_id is None:
            if wanted is not None:
                raise InputRequired(
                    "organisation_id", f"a {role} belongs to a {wanted} organisation"
                )
            return
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise InputRequired("organisation_id", f"organisation {organisation_id} not found")
        if wanted is not None and organisation.kind != wanted:
            raise InputRequired("organisation_id", f"a {role} belongs to a {wanted} organisation")

    def set_password(self, session: Session, user_id: int, password: str) -> None:
        """Set a new password and end every session of the user."""
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        user.password_hash = self.hash_password(password, username=user.username)
        self.end_sessions_of(session, user_id)

    def change_password(
        self, session: Session, auth: Authentication, current: str, new: str
    ) -> bool:
        """The user changes their own password; other sessions end, this one stays."""
        user = session.get(User, auth.principal.user_id)
        if user is None or not self.verify_password(user, current):
            return False
        user.password_hash = self.hash_password(new, username=user.username)
        stmt = delete(UserSession).where(col(UserSession.user_id) == user.id)
        if auth.session_id is not None:
            stmt = stmt.where(col(UserSession.id) != auth.session_id)
        session.execute(stmt)
        return True

    def disable_user(self, session: Session, user_id: int, *, by: int | None = None) -> User:
        """Disable a user: their sessions end and their API tokens are revoked at once. An admin
        (``by``) cannot disable themselves (nobody would be left to undo it)."""
        if by is not None and by == user_id:
            raise InputRequired("self", "an admin cannot disable themselves")
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        user.is_active = False
        self.end_sessions_of(session, user_id)
        session.execute(
            update(ApiToken)
            .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=self.clock.now())
        )
        log.info("user %s disabled", user_id)
        return user

    def reset_totp(self, session: Session, user_id: int) -> tuple[User, str]:
        """A new TOTP secret (a lost phone): the old codes stop working and every session of the
        user ends. Returns the user and the secret (for the provisioning URI, shown once)."""
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        user.totp_secret = self.new_totp_secret()
        user.totp_last_step = None
        self.end_sessions_of(session, user_id)
        log.info("user %s: second factor reset", user_id)
        return user, user.totp_secret

    def set_role(
        self,
        session: Session,
        user_id: int,
        role: Role | str,
        organisation_id: int | None,
        *,
        by: int | None = None,
    ) -> User:
        """Give a user another role and/or organisation (the same rules as creating one); their
        sessions end, so the next request runs with the new rights from a fresh login. An admin
        (``by``) cannot change their own."""
        if by is not None and by == user_id:
            raise InputRequired("self", "an admin cannot change their own role")
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        if role not in ROLES:
            raise InputRequired("role", "unknown role", [r.value for r in Role])
        role = Role(role)
        self._check_organisation(session, role, organisation_id)
        user.role, user.organisation_id = role.value, organisation_id
        self.end_sessions_of(session, user_id)
        log.info("user %s: role set to %s, organisation %s", user_id, role.value, organisation_id)
        return user

    # --- login, sessions ----------------------------------------------------------------------

    def login(
        self,
        session: Session,
        *,
        username: str,
        password: str,
        totp_code: str | None,
        ip: str,
        previous_token: str | None = None,
    ) -> LoginResult:
        """Check a login attempt and start a fresh session. Never raises for a failed login: the
        attempt row must be committed whatever the answer."""
        now = self.clock.now()
        name = normalise_username(username)[:100]
        name_hash = digest(name)
        ip = (ip or "unknown")[:45]
        _one_attempt_at_a_time(session, name_hash)
        session.execute(
            delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < now - ATTEMPTS_KEPT)
        )
        if self._throttled(session, name_hash, ip, now):
            log.warning("login throttled (too many failures for a username or address)")
            return LoginResult(LoginOutcome.throttled)
        user = session.execute(select(User).where(col(User.username) == name)).scalar_one_or_none()
        ok = self.verify_password(user, password[:PASSWORD_MAX])
        ok = ok and user is not None and principal_of(user) is not None
        if ok and user is not None and self.settings.require_totp:
            step = self.totp_step(user, totp_code, now)
            ok = step is not None
            if step is not None:
                user.totp_last_step = step
        session.add(LoginAttempt(username_hash=name_hash, ip=ip, succeeded=ok, attempted_at=now))
        if not ok or user is None or user.id is None:
            log.info("login failed (user %s)", user.id if user is not None else "unknown")
            return LoginResult(LoginOutcome.failed)
        if previous_token:
            self.end_session(session, previous_token)
        token, csrf = self.start_session(session, user.id)
        log.info("user %s logged in", user.id)
        return LoginResult(LoginOutcome.ok, user.id, token, csrf)

    def _throttled(self, session: Session, name_hash: str, ip: str, now: datetime) -> bool:
        """Too many recent failures for this username (since its last success) or address."""
        window_start = now - timedelta(minutes=self.settings.login_throttle_minutes)
        last_success = session.execute(
            select(func.max(col(LoginAttempt.attempted_at))).where(
                col(LoginAttempt.username_hash) == name_hash, col(LoginAttempt.succeeded)
            )
        ).scalar_one_or_none()
        since = max(window_start, as_utc(last_success)) if last_success else window_start
        failures = select(func.count()).where(
            col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.attempted_at) >= since
        )
        by_name = session.execute(
            failures.where(col(LoginAttempt.username_hash) == name_hash)
        ).scalar_one()
        if by_name >= self.settings.login_max_failures:
            return True
        # the address: a short sliding window, so one guesser behind an office's proxy slows that
        # address down for a minute, never every account behind it for the whole window
        by_ip = session.execute(
            select(func.count()).where(
                col(LoginAttempt.succeeded).is_(False),
                col(LoginAttempt.attempted_at)
                >= now - timedelta(seconds=self.settings.login_ip_window_seconds),
                col(LoginAttempt.ip) == ip,
            )
        ).scalar_one()
        return bool(by_ip >= self.settings.login_max_failures_per_ip)

    def start_session(self, session: Session, user_id: int) -> tuple[str, str]:
        """A new session for the user; return (cookie token, CSRF token)."""
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        session.add(
            UserSession(token_hash=digest(token), user_id=user_id, created_at=now, last_seen_at=now)
        )
        session.flush()
        return token, csrf_token_for(token)

    def end_session(self, session: Session, token: str) -> bool:
        result = session.execute(
            delete(UserSession).where(col(UserSession.token_hash) == digest(token))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def end_sessions_of(self, session: Session, user_id: int) -> None:
        session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))

    def session_expired(self, row: UserSession, now: datetime) -> bool:
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        absolute = timedelta(hours=self.settings.session_absolute_hours)
        return now >= as_utc(row.last_seen_at) + idle or now >= as_utc(row.created_at) + absolute

    def authenticate_session(self, token: str) -> Authentication | None:
        """The session a cookie token belongs to, if it is still valid; touches ``last_seen_at``
        at most every :data:`TOUCH_EVERY`. An expired session's row is deleted."""
        now = self.clock.now()
        with self.db.read_once() as conn:
            row = _SESSION_OF_FAST.first(conn, {"token_hash": digest(token)})
        if row is None:
            return None
        session_id, created_at, last_seen_at, user_id, role, organisation_id, active, name = row
        principal = _principal(user_id, role, organisation_id, active)
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        absolute = timedelta(hours=self.settings.session_absolute_hours)
        last_seen = as_utc(last_seen_at)
        if principal is None or now >= last_seen + idle or now >= as_utc(created_at) + absolute:
            with self.db.write() as session:
                session.execute(delete(UserSession).where(col(UserSession.id) == session_id))
            return None
        if now - last_seen >= TOUCH_EVERY:
            with self.db.write() as session:
                session.execute(
                    update(UserSession)
                    .where(col(UserSession.id) == session_id)
                    .values(last_seen_at=now)
                )
        return Authentication(
            principal,
            session_id=session_id,
            csrf_token=csrf_token_for(token),
            display_name=name,
        )

    # --- API tokens ---------------------------------------------------------------------------

    def create_api_token(
        self, session: Session, user_id: int, name: str, *, days: int | None = None
    ) -> tuple[str, ApiToken]:
        """A new bearer token for the user, valid ``days`` (1-3650; None: until revoked); the
        token itself is shown once and never stored."""
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            raise InputRequired("days", f"a token lasts 1-{MAX_TOKEN_DAYS} days")
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound(f"active user {user_id} not found")
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InputRequired("name", "a token name has 1-100 characters")
        now = self.clock.now()
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(
            token_hash=digest(token),
            user_id=user_id,
            name=name,
            created_at=now,
            expires_at=now + timedelta(days=days) if days else None,
        )
        session.add(row)
        session.flush()
        log.info("API token %s created for user %s", row.id, user_id)
        return token, row

    def revoke_api_token(self, session: Session, token_id: int) -> None:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"API token {token_id} not found")
        if row.revoked_at is None:
            row.revoked_at = self.clock.now()
        log.info("API token %s revoked", token_id)

    def api_tokens(self, session: Session) -> list[tuple[ApiToken, User]]:
        """Every API token (never the token itself: only its hash is kept) with its user, newest
        first."""
        rows = session.execute(
            select(ApiToken, User)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .order_by(col(ApiToken.id).desc())
        ).all()
        return [(t, u) for t, u in rows]

    def authenticate_token(self, token: str) -> Authentication | None:
        """The user a bearer token acts as, if the token is known, unrevoked and unexpired."""
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        now = self.clock.now()
        with self.db.read_once() as conn:
            row = _TOKEN_OF_FAST.first(conn, {"token_hash": digest(token)})
        if row is None:
            return None
        token_id, expires_at, revoked_at, user_id, role, organisation_id, active = row
        principal = _principal(user_id, role, organisation_id, active)
        if principal is None or revoked_at is not None:
            return None
        if expires_at is not None and now >= as_utc(expires_at):
            return None
        return Authentication(principal, token_id=token_id)


def _principal(
    user_id: int | None, role: str, organisation_id: int | None, active: bool
) -> Principal | None:
    """:func:`principal_of` from the columns of a user row."""
    if not active or user_id is None or role not in ROLES:
        return None
    return Principal(user_id, Role(role), organisation_id)


# Each request's authentication: one statement each, built once; plain columns, no ORM objects.
_SESSION_OF = (
    select(
        col(UserSession.id),
        col(UserSession.created_at),
        col(UserSession.last_seen_at),
        col(User.id),
        col(User.role),
        col(User.organisation_id),
        col(User.is_active),
        col(User.display_name),
    )
    .join(User, col(User.id) == col(UserSession.user_id))
    .where(col(UserSession.token_hash) == bindparam("token_hash"))
)
_TOKEN_OF = (
    select(
        col(ApiToken.id),
        col(ApiToken.expires_at),
        col(ApiToken.revoked_at),
        col(User.id),
        col(User.role),
        col(User.organisation_id),
        col(User.is_active),
    )
    .join(User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == bindparam("token_hash"))
)

#: Sent on the driver's cursor (engine/driver.py): one statement per request, compiled once.
_SESSION_OF_FAST = DriverStatement(_SESSION_OF)
_TOKEN_OF_FAST = DriverStatement(_TOKEN_OF)


def _one_attempt_at_a_time(session: Session, name_hash: str) -> None:
    """Serialise login attempts on one username until this transaction ends. SQLite's write
    transactions (``BEGIN IMMEDIATE``) already run one at a time; PostgreSQL's READ COMMITTED
    would let parallel attempts all read the same failure count and the same last TOTP step."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(name_hash[:16], 16) - (1 << 63)  # a signed 64-bit advisory lock key
        session.execute(select(func.pg_advisory_xact_lock(key)))
