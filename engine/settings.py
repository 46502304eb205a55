"""One settings object for the whole application (pydantic-settings, env prefix ``POLKU_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    development = "development"
    demo = "demo"
    production = "production"
    test = "test"


class Settings(BaseSettings):
    """Read from the environment (``POLKU_DATABASE_URL`` ...) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="POLKU_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'polku.db'}")
    #: Comma-separated plugin names to load; empty means all (built-in + entry points).
    plugins: str = ""
    #: Trace every hook call to the ``polku.hooks`` logger.
    trace_hooks: bool = False
    #: SQLite durability: FULL whenever real client data lives in the database.
    sqlite_synchronous: str = "FULL"
    #: Connection pool size (per process).
    pool_size: int = 10
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
