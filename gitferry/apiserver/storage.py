"""Durable storage of the embedded cluster: one SQLite database in WAL mode.

Every object is one row (resource key, namespace, name, resourceVersion, JSON body); the
cluster-wide resourceVersion counter is one more row. A write and the counter move in one
transaction that is committed before the API answers, so a `kill -9` at any moment loses no
acknowledged write and leaves nothing half-written (SQLite's WAL guarantees it; the default
`synchronous=NORMAL` survives process crashes, `durable=True` also survives power loss).

Only `store.Store` uses this module: it loads everything at start-up and writes through.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    resource  TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    rv        INTEGER NOT NULL,
    body      BLOB NOT NULL,
    PRIMARY KEY (resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES ('resourceVersion', 1);
"""


class StorageError(Exception):
    """The database cannot be opened or written (disk full, corrupt file, wrong path)."""


class Storage:
    """The SQLite file of one cluster."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as err:
            raise StorageError(f"{path}: cannot open the cluster database: {err}") from err
        self.path = path

    def resource_version(self) -> int:
        row = self._db.execute(
            "SELECT value FROM counters WHERE name = 'resourceVersion'"
        ).fetchone()
        return int(row[0])

    def load(self) -> Iterator[tuple[str, str, str, int, bytes]]:
        """Every stored object as (resource, namespace, name, rv, body)."""
        yield from self._db.execute("SELECT resource, namespace, name, rv, body FROM objects")

    def put(self, resource: str, namespace: str, name: str, rv: int, body: bytes) -> None:
        """Store one object at `rv` and move the counter to `rv`, atomically."""
        self._write(
            "INSERT OR REPLACE INTO objects (resource, namespace, name, rv, body) "
            "VALUES (?, ?, ?, ?, ?)",
            (resource, namespace, name, rv, body),
            rv,
        )

    def delete(self, resource: str, namespace: str, name: str, rv: int) -> None:
        """Remove one object and move the counter to `rv`, atomically."""
        self._write(
            "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
            rv,
        )

    def _write(self, sql: str, params: tuple[object, ...], rv: int) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(sql, params)
                self._db.execute(
                    "UPDATE counters SET value = ? WHERE name = 'resourceVersion'", (rv,)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise StorageError(f"{self.path}: write failed: {err}") from err

    def integrity_check(self) -> str:
        """SQLite's own verdict on the file: "ok" when nothing is corrupt."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._db.close()
