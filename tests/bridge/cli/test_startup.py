"""Start-up mistakes are one or two plain lines and exit code 2, never a traceback.

Each case runs the real `chatkit-bridge serve` (or `migrate`) in a subprocess, as a user would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bridge.cli.startup import explain

from ...conftest import PG_URL, require_postgres
from ...live import free_port


def run_cli(
    *argv: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m bridge ARGV` with `env` over a clean environment; serve never gets to listen."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AUTH_"))}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *argv],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_plain_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit code 2, at most two lines on stderr, each part of `expected` in them, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert 1 <= len(lines) <= 2, result.stderr
    assert "Traceback" not in result.stderr
    for part in expected:
        assert part in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_unsupported_url(tmp_path: Path, command: str) -> None:
    result = run_cli(command, env={"DATABASE_URL": "mysql://me:s3cret@db/app"}, cwd=tmp_path)
    assert_plain_failure(result, "unsupported database URL mysql://me:***@db/app", "SQLite")
    assert "s3cret" not in result.stderr


def test_not_a_url(tmp_path: Path) -> None:
    result = run_cli("serve", env={"DATABASE_URL": "bridge.db"}, cwd=tmp_path)
    assert_plain_failure(result, "DATABASE_URL is not a database URL")


def test_sqlite_folder_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    url = f"sqlite:///{tmp_path}/file/bridge.db"
    result = run_cli("serve", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert_plain_failure(result, "cannot open the SQLite database", "folder")


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_unreachable_server(tmp_path: Path, command: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    result = run_cli(command, env={"DATABASE_URL": url}, cwd=tmp_path)
    assert_plain_failure(result, "cannot reach the database server at 127.0.0.1", "running")


@pytest.mark.postgres
def test_missing_database(tmp_path: Path) -> None:
    require_postgres()
    url = PG_URL.rsplit("/", 1)[0] + "/no_such_db_for_bridge"
    result = run_cli("serve", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert_plain_failure(result, "'no_such_db_for_bridge' does not exist", "createdb")


@pytest.mark.postgres
def test_unknown_user(tmp_path: Path) -> None:
    require_postgres()
    url = PG_URL.replace("postgresql://postgres@", "postgresql://nobody_here:pw@")
    result = run_cli("serve", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert_plain_failure(result, "no user 'nobody_here'", "DATABASE_URL")
    assert ":pw@" not in result.stderr


def test_wrong_password_is_explained() -> None:
    # The test server trusts every local user, so the server's words are given here as
    # psycopg reports them.
    exc = OperationalError(
        "connect",
        {},
        Exception(
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  password authentication failed for user "app"\nmore'
        ),
    )
    error = explain(exc, "postgresql://app:hunter2@10.0.0.5/app")
    assert error.lines[0].startswith("the database server at 10.0.0.5:5432 refused the user")
    assert error.lines[1] == "check the user and password in DATABASE_URL"
    assert "hunter2" not in str(error)


def test_schema_behind(tmp_path: Path) -> None:
    # A database from before migrations were versioned (tables, no alembic_version) is behind.
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE threads (id TEXT PRIMARY KEY)")
    result = run_cli("serve", env={"DATABASE_URL": f"sqlite:///{db}"}, cwd=tmp_path)
    assert_plain_failure(result, "schema is at revision (none)", "chatkit-bridge migrate")


def test_traceback_at_debug_level(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    result = run_cli("serve", "--log-level", "debug", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "cannot reach the database server" in result.stderr


def test_a_bad_setting(tmp_path: Path) -> None:
    result = run_cli("serve", env={"BRIDGE_PAGE_SIZE": "many"}, cwd=tmp_path)
    assert_plain_failure(result, "BRIDGE_PAGE_SIZE must be a whole number")


def test_schema_missing_tables(tmp_path: Path) -> None:
    # Bug: a dropped table left the bridge starting (and every request a 503).
    db = tmp_path / "bridge.db"
    made = run_cli("migrate", env={"DATABASE_URL": f"sqlite:///{db}"}, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE feedback")
    result = run_cli("serve", env={"DATABASE_URL": f"sqlite:///{db}"}, cwd=tmp_path)
    assert_plain_failure(result, "is not usable: missing tables: feedback", "restore them")
