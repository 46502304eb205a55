"""Sessions, login, the second factor, throttling and API tokens (ASVS 6.x, 7.x)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from engine.clock import FrozenClock
from engine.models import ApiToken, LoginAttempt, Role, User, UserSession
from engine.runtime import Runtime
from engine.settings import Environment
from engine.testing import TEST_PASSWORD, make_user, totp_code
from web.app import create_app
from web.security import session_cookie_name
from web.testing import UserClient, login

ME = "/api/auth/me"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def timed(make_runtime: Callable[..., Runtime], clock: FrozenClock) -> Runtime:
    """A runtime on a frozen clock, with short timeouts and low throttling limits."""
    return make_runtime(
        clock=clock,
        session_idle_minutes=30,
        session_absolute_hours=8,
        login_max_failures=3,
        login_max_failures_per_ip=5,
        login_throttle_minutes=15,
    )


@pytest.fixture
def http(timed: Runtime) -> TestClient:
    return TestClient(create_app(runtime=timed))


def cookie(runtime: Runtime, http: TestClient) -> str | None:
    return http.cookies.get(session_cookie_name(runtime.settings))


def sessions(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(UserSession)).scalar_one())


def test_login_sets_a_hardened_cookie_and_only_its_hash_is_stored(
    timed: Runtime, http: TestClient
) -> None:
    user = make_user(timed, Role.coach)
    response = login(http, user.username, code=totp_code(timed, user))
    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "path=/" in set_cookie
    token = cookie(timed, http)
    assert token
    assert len(token) >= 43
    with timed.db.read() as session:
        stored = session.execute(select(col(UserSession.token_hash))).scalars().all()
    assert len(stored) == 1
    assert token not in stored[0]
    assert len(stored[0]) == 64
    assert http.get(ME).json()["id"] == user.id


def test_new_session_id_at_every_login_and_the_old_one_ends(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    login(http, user.username, code=totp_code(timed, user))
    first = cookie(timed, http)
    clock.advance(seconds=30)  # the next TOTP step: a code is accepted only once
    login(http, user.username, code=totp_code(timed, user))
    second = cookie(timed, http)
    assert first
    assert second
    assert first != second
    assert sessions(timed) == 1
    stale = TestClient(http.app)
    stale.cookies.set(session_cookie_name(timed.settings), first)
    assert stale.get(ME).status_code == 401


def test_logout_ends_the_session_for_good(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    login(http, user.username, code=totp_code(timed, user))
    old = cookie(timed, http)
    assert http.post("/api/auth/logout").status_code == 204
    assert sessions(timed) == 0
    replay = TestClient(http.app)
    replay.cookies.set(session_cookie_name(timed.settings), old or "")
    response = replay.get(ME)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_idle_timeout(timed: Runtime, http: TestClient, clock: FrozenClock) -> None:
    user = make_user(timed, Role.coach)
    login(http, user.username, code=totp_code(timed, user))
    for _ in range(3):  # activity keeps it alive past the idle limit
        clock.advance(minutes=29)
        assert http.get(ME).status_code == 200
    clock.advance(minutes=30)
    assert http.get(ME).status_code == 401
    assert sessions(timed) == 0


def test_absolute_timeout_despite_activity(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    login(http, user.username, code=totp_code(timed, user))
    for _ in range(16):
        clock.advance(minutes=29)
        assert http.get(ME).status_code == 200
    clock.advance(minutes=29)  # 17 x 29 min > 8 h
    assert http.get(ME).status_code == 401


def test_disabled_users_next_request_is_401(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach, admin = api_as("coach"), api_as("admin")
    assert coach.get(ME).status_code == 200
    assert admin.post(f"/api/admin/users/{coach.user_id}/disable").status_code == 200
    assert coach.get(ME).status_code == 401
    assert sessions(runtime) == 1  # the admin's


def test_disabled_flag_alone_also_locks_out(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    with runtime.db.write() as session:
        user = session.get(User, coach.user_id)
        assert user is not None
        user.is_active = False
    assert coach.get(ME).status_code == 401


def test_throttling_after_failures_per_username(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    for _ in range(3):
        assert login(http, user.username, "vaara-salasana-1").status_code == 401
    right = login(http, user.username, code=totp_code(timed, user))
    assert right.status_code == 429  # the N+1th attempt is throttled, even with the right password
    assert right.json()["error"] == "throttled"
    assert cookie(timed, http) is None


def test_throttling_lifts_after_the_window(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    for _ in range(3):
        login(http, user.username, "vaara-salasana-1")
    clock.advance(minutes=16)
    assert login(http, user.username, code=totp_code(timed, user)).status_code == 200


def test_throttling_per_address_across_usernames(timed: Runtime, http: TestClient) -> None:
    for i in range(5):
        assert login(http, f"arvaus{i}", "vaara-salasana-1").status_code == 401
    user = make_user(timed, Role.coach)
    assert login(http, user.username, code=totp_code(timed, user)).status_code == 429


def test_the_address_limit_slows_down_and_never_locks_every_account_out(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    """Behind one office proxy, a guesser's failures make the address wait a minute (the short
    window), not lock every colleague out for the 15-minute account window (issue 11)."""
    colleague = make_user(timed, Role.coach)
    for i in range(5):
        assert login(http, f"arvaus{i}", "vaara-salasana-1").status_code == 401
    assert login(http, colleague.username, code=totp_code(timed, colleague)).status_code == 429
    clock.advance(seconds=timed.settings.login_ip_window_seconds + 1)
    assert login(http, colleague.username, code=totp_code(timed, colleague)).status_code == 200


def test_the_account_limit_still_holds_after_the_address_window(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    for _ in range(3):
        assert login(http, user.username, "vaara-salasana-1").status_code == 401
    clock.advance(seconds=timed.settings.login_ip_window_seconds + 1)
    assert login(http, user.username, code=totp_code(timed, user)).status_code == 429


def _guesses_from(http: TestClient, forwarded_for: str, n: int) -> list[int]:
    return [
        http.post(
            "/api/auth/login",
            json={"username": f"arvaus{i}", "password": "vaara-salasana-1"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for i in range(n)
    ]


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    """Without POLKU_TRUSTED_PROXIES a client cannot dodge the address limit by inventing a
    new X-Forwarded-For for every guess: the connection's peer is the address."""
    runtime = make_runtime(clock=clock, login_max_failures_per_ip=5)
    http = TestClient(create_app(runtime=runtime))
    statuses = [_guesses_from(http, f"198.51.100.{i}", 1)[0] for i in range(7)]
    assert statuses == [401] * 5 + [429] * 2


def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(
    make_runtime: Callable[..., Runtime], clock: FrozenClock
) -> None:
    """Behind the proxy named in trusted_proxies each client address has its own limit, and a
    forged left part of the header is not believed (the last untrusted hop is the client)."""
    runtime = make_runtime(clock=clock, login_max_failures_per_ip=5, trusted_proxies="10.0.0.2")
    http = TestClient(create_app(runtime=runtime), client=("10.0.0.2", 50000))
    assert _guesses_from(http, "203.0.113.9", 5) == [401] * 5
    assert _guesses_from(http, "192.0.2.1, 203.0.113.9", 1) == [429]
    # another client behind the same proxy is not slowed down by the first one's guesses
    assert _guesses_from(http, "203.0.113.8", 1) == [401]


def test_failed_attempts_keep_no_username_in_clear(timed: Runtime, http: TestClient) -> None:
    login(http, "Salasana-kirjoitettu-tunnukseksi", "x")
    with timed.db.read() as session:
        row = session.execute(select(LoginAttempt)).scalar_one()
    assert "Salasana" not in row.username_hash
    assert len(row.username_hash) == 64
    assert row.succeeded is False


def test_totp_is_required_outside_demo_mode(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    assert login(http, user.username).status_code == 401
    assert login(http, user.username, code="000000").status_code == 401
    assert cookie(timed, http) is None
    assert login(http, user.username, code=totp_code(timed, user)).status_code == 200


def test_a_totp_code_is_accepted_once(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    code = totp_code(timed, user)
    assert login(http, user.username, code=code).status_code == 200
    other = TestClient(http.app)
    assert login(other, user.username, code=code).status_code == 401


def test_every_role_needs_totp_outside_demo_mode(timed: Runtime) -> None:
    from engine.errors import InputRequired

    for role in Role:
        with pytest.raises(InputRequired, match="demo mode"):
            make_user(timed, role, totp=False)


def test_demo_mode_logs_in_without_totp(make_runtime: Callable[..., Runtime]) -> None:
    demo = make_runtime(environment=Environment.demo)
    user = make_user(demo, Role.coach, totp=False)
    http = TestClient(create_app(runtime=demo))
    assert login(http, user.username).status_code == 200


def test_wrong_password_unknown_user_and_disabled_user_look_the_same(
    timed: Runtime, http: TestClient
) -> None:
    user = make_user(timed, Role.coach)
    disabled = make_user(timed, Role.coach)
    with timed.db.write() as session:
        timed.auth.disable_user(session, disabled.id or 0)
    answers = [
        login(http, user.username, "vaara-salasana-1", totp_code(timed, user)).json(),
        login(http, "ei-ketaan", TEST_PASSWORD, "123456").json(),
        login(http, disabled.username, TEST_PASSWORD, totp_code(timed, disabled)).json(),
    ]
    assert answers[0] == answers[1] == answers[2]


def test_password_change_ends_other_sessions(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    login(http, user.username, code=totp_code(timed, user))
    clock.advance(seconds=30)
    other = TestClient(http.app)
    login(other, user.username, code=totp_code(timed, user))
    wrong = http.post(
        "/api/auth/password",
        json={"current_password": "vaara-salasana-1", "new_password": "uusi-salasana-456"},
    )
    assert wrong.status_code == 422
    changed = http.post(
        "/api/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": "uusi-salasana-456"},
    )
    assert changed.status_code == 204
    assert http.get(ME).status_code == 200
    assert other.get(ME).status_code == 401
    clock.advance(seconds=30)
    fresh = TestClient(http.app)
    assert (
        login(fresh, user.username, "uusi-salasana-456", totp_code(timed, user)).status_code == 200
    )


def test_html_login_form(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    page = http.get("/login")
    assert page.status_code == 200
    assert 'name="totp_code"' in page.text
    failed = http.post(
        "/login", data={"username": user.username, "password": "vaara-salasana-1", "totp_code": "1"}
    )
    assert failed.status_code == 401
    assert "väärin" in failed.text
    ok = http.post(
        "/login",
        data={
            "username": user.username,
            "password": TEST_PASSWORD,
            "totp_code": totp_code(timed, user),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/clients"
    assert http.get(ME).json()["id"] == user.id


# --- API tokens -----------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_token_is_hashed_at_rest_and_acts_as_its_user(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coordinator)
    with timed.db.write() as session:
        token, _row = timed.auth.create_api_token(session, user.id or 0, "ESF-raportointi")
    assert token.startswith("polku_")
    with timed.db.read() as session:
        stored = session.execute(select(col(ApiToken.token_hash))).scalar_one()
    assert token not in stored
    assert len(stored) == 64
    assert http.get(ME, headers=bearer(token)).json()["id"] == user.id
    assert http.get(ME, headers=bearer(token)).json()["csrf_token"] is None
    assert http.get("/api/reports/funnel", headers=bearer(token)).status_code == 200


def test_revoked_expired_unknown_and_malformed_tokens_are_401(
    timed: Runtime, http: TestClient, clock: FrozenClock
) -> None:
    user = make_user(timed, Role.coach)
    with timed.db.write() as session:
        revoked, revoked_row = timed.auth.create_api_token(session, user.id or 0, "vanha")
        expiring, _row = timed.auth.create_api_token(session, user.id or 0, "lyhyt", days=1)
    with timed.db.write() as session:
        timed.auth.revoke_api_token(session, revoked_row.id or 0)
    assert http.get(ME, headers=bearer(expiring)).status_code == 200
    clock.advance(days=1)
    for headers in (
        bearer(revoked),
        bearer(expiring),
        bearer("polku_tuntematon"),
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ):
        assert http.get(ME, headers=headers).status_code == 401, headers


def test_disabling_a_user_revokes_their_tokens(timed: Runtime, http: TestClient) -> None:
    user = make_user(timed, Role.coach)
    with timed.db.write() as session:
        token, _row = timed.auth.create_api_token(session, user.id or 0, "integraatio")
    with timed.db.write() as session:
        timed.auth.disable_user(session, user.id or 0)
    with timed.db.write() as session:
        found = session.get(User, user.id)
        assert found is not None
        found.is_active = True
    assert http.get(ME, headers=bearer(token)).status_code == 401  # revoked, not merely inactive


def test_an_invalid_bearer_header_does_not_fall_back_to_the_cookie(
    api_as: Callable[..., UserClient],
) -> None:
    coach = api_as("coach")
    assert coach.get(ME, headers=bearer("polku_tuntematon")).status_code == 401


# --- cookies outside local use ------------------------------------------------------------------


def test_secure_host_cookie_and_hsts_in_production(make_runtime: Callable[..., Runtime]) -> None:
    production = make_runtime(
        environment=Environment.production, allowed_origins="https://polku.example.fi"
    )
    user = make_user(production, Role.coach)
    http = TestClient(create_app(runtime=production), base_url="https://polku.example.fi")
    response = login(http, user.username, code=totp_code(production, user))
    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("__Host-polku_session=")
    assert "Secure" in set_cookie
    assert "HttpOnly" in set_cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert http.get(ME).status_code == 200


def test_no_secure_flag_or_hsts_on_localhost(make_runtime: Callable[..., Runtime]) -> None:
    local = make_runtime(
        environment=Environment.development, allowed_origins="http://127.0.0.1:8000"
    )
    assert not local.settings.https
    user = make_user(local, Role.coach)
    http = TestClient(create_app(runtime=local), base_url="http://127.0.0.1:8000")
    response = login(http, user.username, code=totp_code(local, user))
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


def _parallel_logins(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, attempts: list[tuple[str, str, str | None]]
) -> list[str]:
    """Run the login attempts at once, each in its own write transaction; the password check
    waits until every other attempt waits for the lock (or has finished), so that, without
    serialisation, every attempt would read the state before any other one commits (and the
    wait fails the attempt)."""
    import threading

    from tests.lock_kit import hold_until_others_wait

    real_verify = runtime.auth.verify_password

    def slow_verify(*args: object, **kwargs: object) -> bool:
        hold_until_others_wait(runtime, threads)
        return real_verify(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime.auth, "verify_password", slow_verify)
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def attempt(username: str, password: str, code: str | None) -> None:
        barrier.wait()
        with runtime.db.write() as session:
            result = runtime.auth.login(
                session, username=username, password=password, totp_code=code, ip="198.51.100.7"
            )
        outcomes.append(result.outcome.value)

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


def test_parallel_guesses_cannot_all_slip_under_the_throttle(
    timed: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(timed, Role.coach)
    outcomes = _parallel_logins(timed, monkeypatch, [(user.username, "wrong", None)] * 6)
    # login_max_failures=3: three attempts are checked and fail, the other three are refused
    assert outcomes == ["failed"] * 3 + ["throttled"] * 3


def test_one_totp_code_logs_in_once_even_in_parallel(
    timed: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(timed, Role.coach)
    code = totp_code(timed, user)
    outcomes = _parallel_logins(timed, monkeypatch, [(user.username, TEST_PASSWORD, code)] * 2)
    assert outcomes == ["failed", "ok"]
