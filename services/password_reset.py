"""Password reset by an emailed link: signed, valid for an hour, and single use (it names a
fingerprint of the password hash, which the reset replaces)."""
import hashlib
import hmac
import time
from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import or_, select

from models import User, db
from services import Invalid, accounts, mail

MAX_AGE_SECONDS = 3600
SALT = "password-reset"


class _ClockSigner(TimestampSigner):
    """A timestamp signer reading an injectable clock, so tests need not sleep."""

    def __init__(self, *args, clock=time.time, **kwargs):
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock())


def _serializer(now: datetime | None) -> URLSafeTimedSerializer:
    clock = (lambda: now.replace(tzinfo=UTC).timestamp()) if now else time.time
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT,
                                  signer=_ClockSigner, signer_kwargs={"clock": clock})


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def _can_reset(user: User | None) -> bool:
    return user is not None and user.active and user.anonymised_at is None and bool(user.email)


def make_token(user: User, now: datetime | None = None) -> str:
    """A signed token naming the user and their current password hash."""
    return _serializer(now).dumps({"user": user.id, "fingerprint": _fingerprint(user)})


def request_reset(login: str, now: datetime | None = None) -> None:
    """Email a reset link to the account with this username or email, if there is one.
    The caller gives the same answer either way."""
    login = (login or "").strip()
    user = db.session.scalar(select(User).where(or_(
        accounts.same_username(login), User.email == login.lower()))) if login else None
    if not _can_reset(user):
        return
    link = mail.public_url("password.reset_with_token", token=make_token(user, now))
    body_text, body_html = mail.render_email(user, "password_reset", link=link,
                                             minutes=MAX_AGE_SECONDS // 60)
    with force_locale(user.language or "en"):
        subject = str(_l("Reset your helpdesk password"))
    mail.queue_email(user.email, subject, body_text, body_html)


def user_for_token(token: str, now: datetime | None = None, lock: bool = False) -> User | None:
    """The user a live, unused token belongs to, or None."""
    try:
        data = _serializer(now).loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # expired tokens too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    statement = select(User).where(User.id == data["user"])
    user = db.session.scalar(statement.with_for_update() if lock else statement)
    if not _can_reset(user) or not hmac.compare_digest(
            str(data.get("fingerprint")), _fingerprint(user)):
        return None
    return user


def reset_password(token: str, new: str, confirm: str, now: datetime | None = None) -> User:
    """Set a new password from a reset link; the link stops working."""
    user = user_for_token(token, now, lock=True)
    if user is None:
        raise Invalid(_l("This link is invalid, used or expired. Ask for a new one."))
    if new != confirm:
        raise Invalid(_l("The passwords do not match."), field="confirm")
    accounts.set_password(user, new)
    return user

