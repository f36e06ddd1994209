"""`ptbill backup FILE`: a copy of a SQLite ledger, consistent while others write.

SQLite's online backup API copies the database page by page inside one read transaction of
the source (opened read-only): the copy is the ledger as of one moment, whatever commits
meanwhile (WAL mode lets writers go on beside the reader). The copy is written beside FILE,
made a single self-contained file (rollback journal, no -wal), checked (PRAGMA quick_check),
then renamed to FILE: there is never half a backup under that name, and an existing FILE is
never overwritten.

A PostgreSQL ledger is backed up with PostgreSQL's own tools: the command says how, naming
the host, port, user and database of the URL (never its password).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from ptbill.errors import InputError
from ptbill.ledger.engine import connect_read_only, normalize_url, sqlite_path


@dataclass(frozen=True)
class Backup:
    source: str
    target: str
    pages: int
    bytes: int


def pg_dump_advice(url: str, target: str) -> InputError:
    """The error for a PostgreSQL ledger: how to back it up with pg_dump (no password)."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    options = [f"--host={host}"]
    if parsed.port:
        options.append(f"--port={parsed.port}")
    if parsed.username:
        options.append(f"--username={parsed.username}")
    database = parsed.database or "(the database)"
    connect = " ".join(options)
    dump = f"pg_dump --format=custom {connect} --file={target} {database}"
    restore = f"pg_restore {connect} --dbname=NEWDB {target}"
    return InputError(
        file="--db",
        visit_id=None,
        field=None,
        problem=(
            f"the ledger is the PostgreSQL database {database} on {host}: `ptbill backup` "
            "copies SQLite ledgers"
        ),
        fix=(
            f"back it up with `{dump}` (the password from PGPASSWORD or ~/.pgpass), and "
            f"restore it into a new, empty database with `{restore}`"
        ),
    )


def backup(url: str | None, target: str) -> Backup:
    """Copy the SQLite ledger at `url` to the new file `target`."""
    url = normalize_url(url)
    source = sqlite_path(url)
    if source is None:
        if make_url(url).get_backend_name() == "postgresql":
            raise pg_dump_advice(url, target)
        raise InputError(
            file="--db",
            visit_id=None,
            field=None,
            problem="an in-memory database has nothing to back up",
            fix="give --db the ledger's file",
        )
    out = Path(target)
    if out.exists():
        raise InputError(
            file=target,
            visit_id=None,
            field=None,
            problem="the file exists; a backup never overwrites one",
            fix="give a new file name, or move the old backup away first",
        )
    if not out.parent.is_dir():
        raise InputError(
            file=target,
            visit_id=None,
            field=None,
            problem="its folder does not exist",
            fix="create the folder first, or give another path",
        )
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    src = connect_read_only(source)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # one step: the whole database in one read transaction
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dst.close()
        if check != "ok":
            raise InputError(
                file=str(source),
                visit_id=None,
                field=None,
                problem=f"the copy fails SQLite's check ({check}); no backup was written",
                fix="run `sqlite3 LEDGER 'PRAGMA integrity_check'` and restore from an older "
                "backup if the ledger itself is damaged",
            )
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except sqlite3.Error as e:
        raise InputError(
            file=target,
            visit_id=None,
            field=None,
            problem=f"the backup failed: {e}; no backup was written",
            fix="check the free space and the permissions of the backup's folder",
        ) from None
    finally:
        src.close()
        tmp.unlink(missing_ok=True)
    return Backup(str(source), target, pages, out.stat().st_size)
