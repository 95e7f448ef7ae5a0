"""The app served the way the README serves it, for the browser tests: `flask db upgrade`,
`flask demo` and `flask run` in subprocesses on a fresh database, and headless Chromium.

The database is a new SQLite file in a temporary directory, or, when TEST_DATABASE_URL is set,
a new database on that PostgreSQL server (dropped afterwards).
"""
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from scripts.translations import compile_catalogues
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "tests/vendor/axe-core/axe.min.js"
DEMO_PASSWORD = "helpdesk-demo"

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium); "
                              "required when CI=true"),
]


@contextmanager
def _fresh_database(tmp: Path):
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if not pg_url:
        yield f"sqlite:///{tmp / 'helpdesk.db'}"
        return
    name = f"helpdesk_e2e_{uuid.uuid4().hex[:10]}"
    server = pg_url.replace("+psycopg", "")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _flask(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("flask run exited: " + log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("flask run did not come up")


@contextmanager
def demo_server(tmp: Path):
    """Migrate a fresh database, load the demo data, serve it; yields the base URL."""
    compile_catalogues()
    with _fresh_database(tmp) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "e2e-" + uuid.uuid4().hex,
               "RATELIMIT_ENABLED": "false", "UPLOAD_FOLDER": str(tmp / "attachments"),
               "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "DEMO_PASSWORD": DEMO_PASSWORD,
               "SMTP_HOST": "", "FLASK_DEBUG": "0"}
        _flask(env, "db", "upgrade")
        _flask(env, "demo")
        port = free_port()
        log = tmp / "server.log"  # a file, not a pipe: a full pipe would stop the server
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1",
                 "--port", str(port), "--no-reload", "--no-debugger"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(base, process, log)
                yield base
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextmanager
def chromium():
    """Headless Debian Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


BROWSER_LOCALES = {"en": "en-US", "da": "da-DK"}


def new_page(browser, width: int = 1280, height: int = 860, language: str = "en"):
    """A page of a browser set up for `language` (Accept-Language, navigator.language; the
    file picker's own words stay English: Debian's Chromium has no Danish of its own without
    chromium-l10n). bypass_csp: axe is injected as a script; the page's own CSP stays on for
    everything else."""
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True,
                                  locale=BROWSER_LOCALES[language])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the current page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']}: {v['id']}: {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def log_in(page, base: str, username: str, language: str) -> None:
    """From the start page: the Login link, the form, then the interface language if needed
    (the switch in the navigation, which also saves it on the profile)."""
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile(r"^(Login|Log ind)$")).first.click()
    page.get_by_label(re.compile(r"^(Username|Brugernavn)$")).fill(username)
    page.get_by_label(re.compile(r"^(Password|Adgangskode)$")).fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    if page.evaluate("document.documentElement.lang") != language:
        page.locator(f"button[name=language][value={language}]").click()
        page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == language


def log_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")
