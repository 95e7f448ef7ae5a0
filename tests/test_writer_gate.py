# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""SQLite writers queue at a gate (a thread lock and an flock), never in SQLite's sleeping busy
handler: the gate must be let go on every way a transaction ends, and hold across processes."""
import fcntl
import os
import sqlite3
import subprocess  # nosec B404
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

import extensions
from extensions import begin_write, writer_gate
from models import Counter, Ticket, db
from services import accounts
from tests.api_support import API, NEW_TICKET, auth, call, people  # noqa: F401
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys
from app import create_app
from extensions import begin_write
from models import db
app = create_app()
with app.app_context():
    begin_write()
    print("held", flush=True)
    sys.stdin.readline()
    db.session.commit()
"""


@pytest.fixture
def gate(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the writer gate is SQLite's")
    return writer_gate(db.engine.url.database)


def test_the_gate_is_let_go_after_commit_rollback_and_teardown(app, gate):
    begin_write()
    assert gate.thread_lock.locked()
    db.session.commit()
    assert not gate.thread_lock.locked()

    begin_write()
    db.session.rollback()
    assert not gate.thread_lock.locked()

    begin_write()
    db.session.remove()  # what the end of a request does after an error
    assert not gate.thread_lock.locked()


def test_a_waiting_writer_enters_after_the_holder_commits_and_sees_its_write(app, gate):
    holding, committed = threading.Event(), threading.Event()
    seen: list[int] = []

    def holder():
        with app.app_context():
            begin_write()
            holding.set()
            db.session.add(Counter(name="gate-test", value=1))
            db.session.commit()
            committed.set()

    def waiter():
        holding.wait(5)
        with app.app_context():
            begin_write()
            seen.append(committed.is_set())
            seen.append(db.session.scalar(select(Counter.value).where(Counter.name == "gate-test")))
            db.session.commit()

    threads = [threading.Thread(target=waiter), threading.Thread(target=holder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert seen == [True, 1]
    assert not gate.thread_lock.locked()


def test_a_writer_kept_waiting_past_the_busy_timeout_gets_503_and_nothing_changes(
        app, gate, client, make_user, monkeypatch):
    make_user("waiting")
    db.session.commit()
    client.login("waiting")
    token = client.csrf_token("/tickets/new")
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", 200)
    gate.acquire()  # another writer that does not finish
    try:
        response = client.post("/tickets/new", data={
            "csrf_token": token, "title": "Printer", "description": "Jams", "type": "incident",
            "service": "", "urgency": "medium"})
    finally:
        gate.release()
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_writer_in_another_process_holds_the_gate_until_it_commits(app, gate, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "gate-test"}
    with subprocess.Popen([sys.executable, "-c", HOLDER], cwd=ROOT, env=env, text=True,  # nosec B603
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as holder:
        assert holder.stdout.readline().strip() == "held"
        with open(gate.path + "-writer.lock", "a+b") as lock_file:
            with pytest.raises(BlockingIOError):
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(30) == 0
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    begin_write()
    db.session.commit()


def test_an_api_submission_is_authenticated_and_read_before_it_waits_for_the_writers_turn(
        app, gate, client, auth, people, monkeypatch):
    """A refused submission never queues behind a writer; an accepted one takes its turn."""
    anna = people["owner"]
    assert call(client, auth, "GET", "/tickets", anna).status_code == 200  # token use noted
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", 200)
    gate.acquire()  # another writer that does not finish
    try:
        missing_title = call(client, auth, "POST", "/tickets", anna,
                             json={"description": "It does not print.", "type": "incident"})
        unknown_token = client.post(f"{API}/tickets", json=NEW_TICKET,
                                    headers={"Authorization": "Bearer not-a-token"})
        request_without_service = call(client, auth, "POST", "/tickets", anna,
                                       json={**NEW_TICKET, "type": "request"})
        waited = call(client, auth, "POST", "/tickets", anna, json=NEW_TICKET)
    finally:
        gate.release()
    assert missing_title.status_code == 422 and "title" in missing_title.get_json()["errors"]["json"]
    assert unknown_token.status_code == 401
    assert request_without_service.status_code == 422
    assert waited.status_code == 503 and waited.get_json()["code"] == "unavailable"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

    created = call(client, auth, "POST", "/tickets", anna, json=NEW_TICKET)
    assert created.status_code == 201 and created.get_json()["assignee"] == "l1a"
    assert not gate.thread_lock.locked()


class TestWithTheRateLimiter:
    """As production runs: the API's rate limit reads the token before the view runs."""

    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True}

    @pytest.mark.parametrize("change", ["reply", "submit"])
    def test_an_api_write_is_the_writer_though_another_commits_after_its_token_is_read(
            self, app, gate, client, auth, people, monkeypatch, change):
        """SQLite cannot turn a reader into a writer once another writer has committed: a
        request that read first (the rate limit's token lookup) would meet "database is
        locked". It takes the writer's turn before that read, or (a submission) ends the read
        before it."""
        anna = people["owner"]
        number = call(client, auth, "POST", "/tickets", anna, json=NEW_TICKET).get_json()["number"]
        looked_up, other_writer = accounts.live_token, []

        def lookup_then_another_writer_commits(token):
            found = looked_up(token)
            other = sqlite3.connect(gate.path, isolation_level=None, timeout=0)
            try:  # another process's writer, which does not queue at our gate
                other.execute("UPDATE counters SET value = value + 10")
                other_writer.append("committed")
            except sqlite3.OperationalError:  # this request holds the write lock already
                other_writer.append("kept out")
            finally:
                other.close()
            return found

        monkeypatch.setattr(accounts, "live_token", lookup_then_another_writer_commits)
        if change == "reply":
            answer = call(client, auth, "POST", f"/tickets/{number}/comments", anna,
                          json={"body": "Still broken."})
        else:
            answer = call(client, auth, "POST", "/tickets", anna, json=NEW_TICKET)
        assert answer.status_code == 201, answer.get_json()
        # A reply is the writer from the start; a submission reads first and writes late.
        assert other_writer == ["kept out" if change == "reply" else "committed"]
