"""`flask users create`: the way an admin makes the first accounts on a new desk."""
from sqlalchemy import select

from models import Role, User, db
from tests.conftest import PASSWORD


def created(name: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def test_a_supporter_is_created_with_role_level_and_a_usable_password(runner, client):
    result = runner.invoke(args=["users", "create", "tim", "--role", "supporter", "--level", "2",
                                 "--email", "tim@example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "created supporter tim (level 2)" in result.output
    user = created("tim")
    assert (user.role, user.level, user.email) == (Role.SUPPORTER, 2, "tim@example.com")
    assert client.login("tim").headers["Location"] == "/admin/"


def test_without_password_it_is_asked_for_hidden_and_twice(runner, client):
    result = runner.invoke(args=["users", "create", "alice", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert client.login("alice").status_code == 302


def test_the_demo_password_is_never_given_silently(runner, app):
    result = runner.invoke(args=["users", "create", "alice", "--role", "admin"], input="")
    assert result.exit_code != 0
    assert created("alice") is None


def test_a_weak_password_is_refused_and_nothing_is_created(runner):
    result = runner.invoke(args=["users", "create", "alice", "--role", "admin",
                                 "--password", "alice"])
    assert result.exit_code == 1 and "password" in result.output
    assert created("alice") is None


def test_a_level_only_goes_with_a_supporter(runner):
    result = runner.invoke(args=["users", "create", "kim", "--role", "customer", "--level", "2",
                                 "--password", PASSWORD])
    assert result.exit_code == 2 and "only supporters have a level" in result.output
    assert created("kim") is None
    result = runner.invoke(args=["users", "create", "kim", "--role", "supporter",
                                 "--password", PASSWORD])
    assert result.exit_code == 1 and "Level must be 1, 2 or 3" in result.output
    assert created("kim") is None


def test_a_taken_name_in_another_case_is_refused(runner, make_user):
    make_user("anna")
    result = runner.invoke(args=["users", "create", "Anna", "--role", "customer",
                                 "--password", PASSWORD])
    assert result.exit_code == 1 and "taken" in result.output
