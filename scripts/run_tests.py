"""`make test`: the suite on SQLite, then on PostgreSQL.

PostgreSQL is TEST_DATABASE_URL (default: the local server's `test` database). When it cannot be
reached the PostgreSQL run is skipped and says so, except on CI (CI=true), where that fails.
"""
import os
import subprocess  # nosec B404
import sys

import psycopg

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PYTEST = [sys.executable, "-m", "pytest", "-n", os.environ.get("TEST_WORKERS", "auto"),
          "-p", "no:cacheprovider", *sys.argv[1:]]


def run(label: str, env: dict) -> int:
    print(f"\n=== test suite on {label} ===", flush=True)
    # Our own interpreter with a fixed argument list (bandit B603).
    code = subprocess.call(PYTEST, env=env)  # nosec B603
    if code == 5:
        print(f"no tests ran on {label}: that is a failure", flush=True)
    return code


def postgres_reachable(url: str) -> bool:
    try:
        psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3).close()
        return True
    except psycopg.Error as error:
        print(f"PostgreSQL at {url} is not reachable: {error}", flush=True)
        return False


def main() -> int:
    on_ci = os.environ.get("CI", "").lower() == "true"
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    if run("SQLite", env):
        return 1
    pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    if not postgres_reachable(pg_url):
        if on_ci:
            print("CI=true: the PostgreSQL run is required", flush=True)
            return 1
        print("SKIPPED: the PostgreSQL run (no server; set TEST_DATABASE_URL)", flush=True)
        return 0
    return 1 if run("PostgreSQL", {**env, "TEST_DATABASE_URL": pg_url}) else 0


if __name__ == "__main__":
    sys.exit(main())
