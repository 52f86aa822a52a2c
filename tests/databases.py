"""Fresh databases for store tests, on SQLite or on the session's PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

from tests.postgres import PostgresServer


class Databases:
    """Fresh, empty databases of one backend for one test: `await databases.url("loyalty")`."""

    def __init__(self, backend: str, directory: Path, server: PostgresServer | None) -> None:
        self.backend = backend
        self.directory = directory
        self.server = server
        self._created: list[str] = []

    async def url(self, name: str) -> str:
        if self.server is None:
            return f"sqlite+aiosqlite:///{self.directory / name}.db"
        database = await self.server.create_database(name)
        self._created.append(database)
        return self.server.url(database)

    async def drop_all(self) -> None:
        if self.server is not None:
            for database in self._created:
                await self.server.drop_database(database)
