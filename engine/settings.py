"""One settings object for the whole application (pydantic-settings, env prefix ``POLKU_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Environment(StrEnum):
    development = "development"
    demo = "demo"
    production = "production"
    test = "test"


class Settings(BaseSettings):
    """Read from the environment (``POLKU_DATABASE_URL`` ...) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="POLKU_", env_file=".env", extra="ignore")

    #: Production unless said otherwise: a deployment that forgets to set it gets the safe
    #: behaviour (no /docs, no demo data, TOTP required). `make run` sets demo.
    environment: Environment = Environment.production
    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'polku.db'}")
    #: The schema owner's URL (migrations, retention, backup and restore; docs/operations.md).
    #: Empty: the same as ``database_url`` (SQLite, or a PostgreSQL without separate roles).
    owner_database_url: str = ""
    #: Comma-separated plugin names to load; empty means all (built-in + entry points).
    plugins: str = ""
    #: Trace every hook call to the ``polku.hooks`` logger.
    trace_hooks: bool = False
    #: SQLite durability: FULL whenever real client data lives in the database.
    sqlite_synchronous: str = "FULL"
    #: Connections each process keeps open (as many again may open for a burst and close after).
    #: 20 + 20 matches the 40 threads that run a worker's request handlers: fewer, and a busy
    #: worker closes and reopens connections all the time (docs/operations.md, "Connections").
    pool_size: int = Field(default=20, ge=1)
    host: str = "127.0.0.1"
    port: int = 8000
    #: The largest request body (JSON or form) accepted; larger ones are answered 413.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    #: Proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client;
    #: empty: none, the client is the connection's peer (docs/operations.md, "Reverse proxy").
    trusted_proxies: str = ""
    #: Local time zone: decides what "today" is for care-team validity dates.
    timezone: str = "Europe/Helsinki"

    # --- security (docs/security.md) ----------------------------------------------------------
    #: Origins (scheme://host[:port]) that may send state-changing requests, comma-separated.
    #: Empty: http://{host}:{port} plus the same port on localhost and 127.0.0.1.
    allowed_origins: str = ""
    #: Secure cookies and HSTS. None: on unless in demo/test mode or every origin is local http.
    secure_cookies: bool | None = None
    #: A session ends after this long without a request (idle timeout) ...
    session_idle_minutes: int = Field(default=30, ge=1)
    #: ... and this long after login whatever happens (absolute timeout).
    session_absolute_hours: int = Field(default=12, ge=1)
    #: Failed logins per username within ``login_throttle_minutes`` before that username is
    #: throttled for the rest of the window (since its last success).
    login_max_failures: int = Field(default=5, ge=1)
    login_throttle_minutes: int = Field(default=15, ge=1)
    #: Failed logins from one client address within ``login_ip_window_seconds`` before that
    #: address waits (429) until the window has room again: it slows a guesser down and never
    #: locks out the other users behind the same address (an office's proxy) for long.
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_ip_window_seconds: int = Field(default=60, ge=1)
    #: Argon2id cost (argon2-cffi defaults, RFC 9106 low-memory profile); tests lower them.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    #: Issuer shown in authenticator apps.
    totp_issuer: str = "Polku"
    #: Days a partner has to answer a referral when its service promises none (docs/referrals.md).
    referral_response_days: int = Field(default=14, ge=1)
    #: SMTP server for ``polku outbox send`` (generic notices only, never client data).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "polku@localhost"
    #: Give up on an e-mail after this many failed attempts (backoff doubles from 1 minute).
    outbox_max_attempts: int = Field(default=8, ge=1)
    #: Retention (engine/retention.py): override the law's periods (years) only when a later
    #: decision or the organisation's own archive plan (arkistonmuodostussuunnitelma) says so.
    retention_years: int | None = Field(default=None, ge=1)
    log_retention_years: int | None = Field(default=None, ge=1)
    #: GAS T-score: the assumed correlation between a client's goals (0.3 by convention).
    gas_rho: float = Field(default=0.3, ge=0, lt=1)
    #: How far ahead the next agreed contact may be, in days (engine/dates.py).
    next_contact_max_days: int = Field(default=365, ge=1, le=3650)
    #: How long a one-time feedback link given to a client stays usable, in days
    #: (engine/voice.py).
    feedback_link_days: int = Field(default=7, ge=1, le=60)
    #: The coordinator's feedback summary shows a period's figures only when at least this
    #: many clients gave feedback in it (fewer: "too few to show"), so no answer can be
    #: told apart (engine/voice.py).
    feedback_min_answers: int = Field(default=5, ge=1, le=100)
    #: ESF+ report exports: a count below this shows as "<N" unless exact figures are asked for
    #: (and that request is logged). docs/reporting.md
    report_small_cell: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _argon2_memory_fits_parallelism(self) -> Settings:
        if self.password_memory_kib < 8 * self.password_parallelism:
            raise ValueError("password_memory_kib must be at least 8 x password_parallelism")
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """``trusted_proxies`` parsed (an address is a network of one)."""
        return tuple(
            ip_network(p.strip(), strict=False)
            for p in self.trusted_proxies.split(",")
            if p.strip()
        )

    @model_validator(mode="after")
    def _trusted_proxies_parse(self) -> Settings:
        try:
            self.trusted_proxy_networks  # noqa: B018 (refuse a typo at start-up)
        except ValueError as exc:
            raise ValueError(f"trusted_proxies: {exc}") from None
        return self

    @property
    def owner_url(self) -> str:
        """The URL migrations and retention connect with (the owner role on PostgreSQL)."""
        return self.owner_database_url or self.database_url

    @property
    def app_role(self) -> str | None:
        """The role the app connects as, when it is not the owner (PostgreSQL only)."""
        from engine.roles import role_of

        app, owner = role_of(self.database_url), role_of(self.owner_url)
        return app if app and app != owner else None

    @property
    def require_totp(self) -> bool:
        """Two-factor login is required everywhere except demo mode (fictional data only)."""
        return self.environment != Environment.demo

    @property
    def origins(self) -> frozenset[str]:
        listed = [o.strip().rstrip("/").lower() for o in self.allowed_origins.split(",")]
        found = {o for o in listed if o}
        if not found:
            found = {f"http://{h}:{self.port}" for h in {self.host, "localhost", "127.0.0.1"}}
        return frozenset(found)

    @property
    def is_local(self) -> bool:
        """Every allowed origin is plain http on this machine."""
        return all(
            urlsplit(o).scheme == "http" and urlsplit(o).hostname in LOCAL_HOSTS
            for o in self.origins
        )

    @property
    def https(self) -> bool:
        """Secure cookies and HSTS apply (see ``secure_cookies``)."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        if self.environment in (Environment.demo, Environment.test):
            return False
        return not self.is_local


def is_trusted_proxy(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in network for network in networks)


@lru_cache
def get_settings() -> Settings:
    return Settings()
