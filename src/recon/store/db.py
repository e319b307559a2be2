"""The SQLite database under $RECON_HOME (WAL mode, append-only migrations). It holds prompts and outputs,
so it is private: a home folder recon creates is 0700, the database and its -wal/-shm files are 0600.

    >>> db = Database(Path(getfixture("tmp_path")) / "recon.sqlite3")
    >>> db.schema_version() == len(MIGRATIONS), oct(db.path.stat().st_mode & 0o777)
    (True, '0o600')
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

from recon.paths import default_db_path, private_folder

# Append-only: never edit or reorder an applied entry; add a new one. PRAGMA user_version counts them.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        op TEXT NOT NULL,              -- generate | logprob
        fingerprint TEXT NOT NULL,     -- canonical JSON of the backend fingerprint
        payload TEXT NOT NULL,         -- canonical JSON of the result
        created REAL NOT NULL
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        run TEXT NOT NULL,
        stage TEXT NOT NULL,
        op TEXT NOT NULL,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        cache_hit INTEGER NOT NULL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        latency_s REAL,
        error TEXT,
        key TEXT
    );
    CREATE INDEX calls_run ON calls(run);
    """,
    # what a result cost to compute, kept with it: a cache hit reports the original compute time
    """
    ALTER TABLE cache ADD COLUMN seconds REAL;
    ALTER TABLE calls ADD COLUMN compute_s REAL;
    """,
]



def _private_file(path: Path) -> None:
    """Take group and other permissions off an existing file."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)
        except PermissionError:                     # someone else's database: use it as it is
            pass


class Database:
    """One connection per process, shared by threads under a lock; WAL lets processes read while one writes."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        private_folder(self.path.parent)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))     # SQLite gives -wal/-shm its mode
        for path in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))):
            if path.exists():
                _private_file(path)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                version = self.schema_version()
                for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    for statement in filter(str.strip, script.split(";")):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version = {i}")
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.write([(sql, rows)])

    def write(self, statements: list[tuple[str, list[tuple]]]) -> None:
        """Several `executemany` statements in one transaction: all of them are stored, or none."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                for sql, rows in statements:
                    self.conn.executemany(sql, rows)
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back a failed write, unless SQLite already did (it does on SQLITE_FULL): a ROLLBACK then
        would fail with "no transaction is active" and hide the real error."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        with self.lock:
            self.conn.close()
