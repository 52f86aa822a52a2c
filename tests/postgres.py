"""A real PostgreSQL server for tests, from the distribution's package (`postgresql`).

`initdb` makes a throwaway cluster in a temp dir, `pg_ctl` starts it on a free port (TCP on
127.0.0.1 only, trust authentication, durability off: it lives as long as the session), and every
test gets a database of its own. `pg_ctl` refuses to run as root, so as root the server runs as
the package's `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tools.stack.processes import free_port

SUPERUSER = "postgres"
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)


class PostgresUnavailable(Exception):
    """Why no server can be started here (the reason a test skips with)."""


def find_bin_dir() -> Path:
    """The directory of `initdb` and `pg_ctl`: on PATH, else Debian's versioned directory."""
    on_path = shutil.which("pg_ctl")
    if on_path is not None and shutil.which("initdb") is not None:
        return Path(on_path).resolve().parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3])
    )
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no pg_ctl on PATH or in /usr/lib/postgresql/*/bin): "
            "`apt-get install postgresql`, as .ci/run does"
        )
    return Path(found[-1]).parent


def _run_as() -> pwd.struct_passwd | None:
    """The user to run the server as: None for ourselves, `postgres` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root and there is no `postgres` user to run the server as"
        ) from None


class PostgresServer:
    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.user = _run_as()
        self.port = free_port()
        # Not under pytest's tmp dir: that one is private to us, and the server may be another user.
        self.root = Path(tempfile.mkdtemp(prefix="orders-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    def _run(self, *argv: str) -> None:
        user = self.user
        result = subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            check=False,
            user=None if user is None else user.pw_uid,
            group=None if user is None else user.pw_gid,
            extra_groups=None if user is None else [],
            env={**os.environ, "LC_ALL": "C"},
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}{log}")

    def start(self) -> None:
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "-N"
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {SERVER_OPTIONS}"
        data, log = str(self.data), str(self.log)
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", log, "-o", options)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    async def _admin(self, statement: str) -> None:
        engine = create_async_engine(
            self.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    async def create_database(self, hint: str) -> str:
        """A new, empty database; returns its name."""
        name = f"t_{hint.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        return name

    async def drop_database(self, name: str) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
