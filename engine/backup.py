"""``polku backup`` and ``polku restore``: a consistent copy while the app serves, and a restore
that refuses a copy whose chains or journeys do not verify (docs/operations.md, "Backup").

- SQLite: the online backup API (``sqlite3.Connection.backup``), never a file copy of a live
  database; WAL readers do not block the app's writers.
- PostgreSQL: ``pg_dump --format=custom`` from a snapshot exported by a REPEATABLE READ
  transaction, so the manifest counted in that transaction describes exactly what the dump holds.

Next to every copy ``PATH`` lies ``PATH.manifest.json``: row counts per table and a digest of
every hash chain's head, taken from the copy's own snapshot. ``restore`` checks both after
verifying the restored database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Session

from engine.chain import verify_database


class RestoreRefused(Exception):
    """The copy does not verify (or does not match its manifest); nothing is left restored."""


@dataclass
class Manifest:
    tables: dict[str, int]
    heads: str
    rows_verified: int | None = None

    def as_json(self) -> str:
        return json.dumps(
            {"tables": self.tables, "heads": self.heads, "rows_verified": self.rows_verified},
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        return cls(data["tables"], data["heads"], data.get("rows_verified"))


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _tables(conn: Connection) -> list[str]:
    if conn.dialect.name == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    else:
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        )
    return [r[0] for r in conn.execute(text(sql))]


def take_manifest(conn: Connection) -> Manifest:
    """Counts and the chain heads' digest, read in ``conn``'s current snapshot."""
    tables = {
        t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())  # noqa: S608
        for t in _tables(conn)
    }
    digest = hashlib.sha256()
    for row in conn.execute(text("SELECT id, event_hash FROM journey ORDER BY id")):
        digest.update(f"j{row[0]}:{row[1]};".encode())
    for row in conn.execute(
        text("SELECT stream, client_id, head, anchor FROM log_chain ORDER BY stream, client_id")
    ):
        digest.update(f"{row[0]}{row[1]}:{row[2]}:{row[3]};".encode())
    return Manifest(tables, digest.hexdigest())


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore (the password goes in the environment, not argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client programs")
    return found


def backup(url: str, path: Path) -> Manifest:
    """Copy the database at ``url`` to ``path`` consistently while it is in use."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source_file = make_url(url).database
        assert source_file
        tmp = path.with_name(path.name + ".partial")
        tmp.unlink(missing_ok=True)
        source = sqlite3.connect(source_file, timeout=30)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(tmp, path)
        try:
            manifest = _verified_manifest(f"sqlite:///{path}")
        except RestoreRefused:  # a copy of a broken database is still a copy: keep it, say so
            engine = create_engine(f"sqlite:///{path}")
            try:
                with engine.connect() as conn:
                    manifest = take_manifest(conn)
            finally:
                engine.dispose()
    else:
        engine = create_engine(url, isolation_level="REPEATABLE READ")
        try:
            with engine.connect() as conn:
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                manifest = take_manifest(conn)
                with Session(bind=conn) as session:
                    found = verify_database(session)  # the very snapshot the dump holds
                manifest.rows_verified = found.rows if found.ok else None
                libpq, env = _libpq(url)
                subprocess.run(  # noqa: S603 (a found program, arguments from settings)
                    [
                        _tool("pg_dump"),
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={path}",
                        "--dbname",
                        libpq,
                    ],
                    check=True,
                    env=env,
                    capture_output=True,
                )
                conn.rollback()
        finally:
            engine.dispose()
    manifest_path(path).write_text(manifest.as_json())
    return manifest


def _verified_manifest(url: str) -> Manifest:
    """Verify the database at ``url`` and take its manifest; raise RestoreRefused if broken."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            with Session(bind=conn) as session:
                found = verify_database(session)
            if not found.ok:
                raise RestoreRefused("; ".join(found.problems[:5]))
            manifest = take_manifest(conn)
    finally:
        engine.dispose()
    manifest.rows_verified = found.rows
    return manifest


def _empty(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not _tables(conn)
    finally:
        engine.dispose()


def restore(path: Path, url: str, *, app_role: str | None = None) -> Manifest:
    """Restore the copy at ``path`` into the empty database at ``url`` (the owner's), verify it
    and compare it with its manifest. A copy that fails is refused and nothing of it is left."""
    path = Path(path)
    expected = Manifest.read(manifest_path(path)) if manifest_path(path).exists() else None
    if url.startswith("sqlite"):
        target_file = Path(str(make_url(url).database))
        if target_file.exists() and target_file.stat().st_size and not _empty(url):
            raise RestoreRefused(f"{target_file} is not empty: restore into a fresh database")
        found = _verified_manifest(f"sqlite:///{path}")  # refuses before anything is written
        _compare(found, expected)
        source = sqlite3.connect(path)
        target = sqlite3.connect(target_file)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return found
    if not _empty(url):
        raise RestoreRefused("the target database is not empty: restore into a fresh database")
    libpq, env = _libpq(url)
    subprocess.run(  # noqa: S603 (a found program, arguments from settings)
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            libpq,
            str(path),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    try:
        found = _verified_manifest(url)
        _compare(found, expected)
    except RestoreRefused:
        _wipe(url)
        raise
    if app_role:
        from engine.roles import grant_app_role

        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                grant_app_role(conn, app_role)
        finally:
            engine.dispose()
    return found


def _compare(found: Manifest, expected: Manifest | None) -> None:
    if expected is None:
        return
    if found.tables != expected.tables:
        differ = sorted(
            t
            for t in {*found.tables, *expected.tables}
            if found.tables.get(t) != expected.tables.get(t)
        )
        raise RestoreRefused(f"row counts differ from the manifest: {', '.join(differ)}")
    if found.heads != expected.heads:
        raise RestoreRefused("the chain heads differ from the manifest")


def _wipe(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
