"""A real multi-worker gunicorn server for the tests, and a small cookie-keeping HTTP client."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerURL(str):
    """The base URL of a running server, which also knows its process id and log file."""
    pid: int
    log: IO[bytes]


def server_log(base: ServerURL) -> str:
    """What the server wrote to stderr so far."""
    base.log.seek(0)
    return base.log.read().decode(errors="replace")


@contextmanager
def gunicorn(database_url: str, workers: int = 4, extra_env: dict | None = None):
    """Serve create_app() under gunicorn with `workers` processes; yields the base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret",
           "RATELIMIT_ENABLED": "false", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
           **(extra_env or {})}
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"]
    # A file, not a pipe: nobody reads a pipe while serving, and a full one blocks every worker.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=log)
    base = ServerURL(f"http://127.0.0.1:{port}")
    base.pid, base.log = process.pid, log
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + server_log(base)[-2000:])
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookie-keeping client that posts forms with the CSRF token of the page it came from."""

    def __init__(self, base: str):
        self.base = base
        self.last_location: str | None = None  # of the last answer (redirects are not followed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                self.last_location = response.headers.get("Location")
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            self.last_location = error.headers.get("Location")
            return error.code, error.read().decode()

    def post_form(self, page: str, data: dict, action: str | None = None) -> int:
        _, html = self.request(page)
        token = CSRF_FIELD.search(html).group(1)
        return self.request(action or page, {**data, "csrf_token": token})[0]

    def login(self, username: str, password: str) -> None:
        status = self.post_form("/login", {"username": username, "password": password})
        assert status == 302, f"login of {username} answered {status}"
