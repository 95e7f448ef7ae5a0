"""The schema comes from the migrations, and they match the models."""
from sqlalchemy import inspect, select

from models import Counter, db


def test_migrations_created_every_table_of_the_models(app):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert db.session.scalar(select(Counter.value).where(Counter.name == "ticket")) == 0


def test_models_and_migrations_are_in_sync(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output  # 1 when autogenerate finds a difference


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
