"""Accounts: registration, the password policy, staff accounts, API tokens."""
import hashlib
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from models import ApiToken, Role, User, db, utcnow
from services import Conflict, Invalid, NotFound, parse_level
from services.calendars import known_time_zone

MIN_PASSWORD_LENGTH = 12
LANGUAGES = ("en", "da")
TOKEN_USE_PRECISION = timedelta(minutes=1)


@cache
def _common_passwords() -> frozenset[str]:
    lines = (Path(__file__).with_name("common_passwords.txt").read_text().splitlines())
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    lowered = password.lower()
    if username and username.lower() in lowered:
        return str(_l("The password must not contain the username."))
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return str(_l("This password is too common; choose another."))
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def new_session_token() -> str:
    return secrets.token_hex(32)


def same_username(username: str):
    """SQL condition: the user of this name, in any case. The database folds both sides
    (ix_users_username_lower), so they fold alike."""
    return func.lower(User.username) == func.lower(username.strip())


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not 2 <= len(username) <= 80 or not all(c.isalnum() or c in "._-@" for c in username):
        raise Invalid(_l("2 to 80 letters, digits or . _ - @"), field="username")
    if db.session.scalar(select(User.id).where(same_username(username))):
        raise Conflict(_l("This username is taken."), field="username")
    return username


def email_address(text: str | None, field: str = "email") -> str:
    """One plain address (no display name, no second address, no line breaks: it becomes a
    mail header), lower-cased; Invalid otherwise."""
    try:
        return validate_email((text or "").strip(), check_deliverability=False,
                              allow_display_name=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(_l("Enter a valid email address."), field=field) from None


def _check_email(email: str | None) -> str | None:
    if not (email or "").strip():
        return None
    email = email_address(email)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_l("This email address is already registered."), field="email")
    return email


def create_user(username: str, password: str, role: str = Role.CUSTOMER, level: int | None = None,
                email: str | None = None, language: str = "en") -> User:
    """Create any account (admins and the CLI); registration goes through `register`."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(_l("Not a valid choice."), field="role") from None
    if role != Role.SUPPORTER and level not in (None, ""):
        raise Invalid(_l("Only supporters have a level."), field="level")
    level = parse_level(level) if role == Role.SUPPORTER else None
    username = _check_username(username)
    problem = password_problem(password or "", username)
    if problem:
        raise Invalid(problem, field="password")
    _check_language(language)
    user = User(username=username, email=_check_email(email), password_hash=hash_password(password),
                role=role, level=level, active=True, away=False, language=language,
                email_notifications=True, session_token=new_session_token(), open_ticket_count=0,
                created_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def register(username: str, email: str, password: str, confirm: str,
             language: str = "en") -> User:
    """Self-registration: always a customer, limited to REGISTRATION_DOMAINS when set. The
    account keeps `language`, the one the visitor was reading (their emails are in it too)."""
    if password != confirm:
        raise Invalid(_l("The passwords do not match."), field="confirm")
    if not (email or "").strip():
        raise Invalid(_l("This field is required."), field="email")
    domains = current_app.config["REGISTRATION_DOMAINS"]
    domain = (email or "").strip().lower().rpartition("@")[2]
    if domains and domain not in domains:
        raise Invalid(_l("Registration is open to addresses at %(domains)s only.",
                         domains=", ".join(domains)), field="email")
    return create_user(username, password, Role.CUSTOMER, email=email, language=language)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = db.session.scalar(select(User).where(same_username(username or "")))
    if user is None or not user.active or user.anonymised_at is not None:
        # Hash anyway so that timing does not reveal which usernames exist.
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8),
                                  method=current_app.config["PASSWORD_HASH_METHOD"])


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """A user changes their own password; other sessions of theirs end."""
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid(_l("The current password is wrong."), field="current")
    if new != confirm:
        raise Invalid(_l("The passwords do not match."), field="confirm")
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    """Set a password that passes the policy and end every existing session."""
    problem = password_problem(new or "", user.username)
    if problem:
        raise Invalid(problem, field="password")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise Invalid(_l("Not a valid choice."), field="language")


def choose_language(user: User, language: str) -> None:
    """The interface (and email) language of the account."""
    _check_language(language)
    user.language = language


def update_preferences(user: User, language: str, email_notifications: bool,
                       timezone: str | None = None) -> None:
    choose_language(user, language)
    user.email_notifications = bool(email_notifications)
    if timezone and not known_time_zone(timezone):
        raise Invalid(_l("Unknown time zone, e.g. Europe/Copenhagen."), field="timezone")
    if timezone is not None:
        user.timezone = timezone or None


def end_sessions(user: User) -> None:
    """Logout: the cookie's id no longer matches, so copies of it stop working."""
    user.session_token = new_session_token()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """A new API token; only its digest is stored, so it is shown once."""
    token = "hd_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:80], digest=_digest(token),
                            created_at=utcnow()))
    db.session.flush()
    return token


def revoke_tokens(user: User) -> None:
    """End every token of the user (deactivated or anonymised: reactivating brings none back)."""
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                              ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def live_token(token: str) -> ApiToken | None:
    """The unrevoked token of an active user, or None (the user comes loaded with it)."""
    api_token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user))
        .where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None)))
    if api_token is None or not api_token.user.active or api_token.user.anonymised_at:
        return None
    return api_token


def user_for_token(token: str) -> User | None:
    """The active user behind a live token, or None."""
    api_token = live_token(token)
    return api_token.user if api_token else None


def token_use_is_stale(api_token: ApiToken) -> bool:
    """`last_used_at` is worth rewriting: at most once a minute, not a write per request."""
    return (api_token.last_used_at is None
            or utcnow() - api_token.last_used_at >= TOKEN_USE_PRECISION)


def mark_token_used(api_token: ApiToken) -> None:
    api_token.last_used_at = utcnow()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (shown as revoked)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken:
    """The user ends one of their own tokens; it stops working at once."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(_l("No such token."))
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
    return api_token
