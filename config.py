"""Configuration read from the environment; tests pass overrides to create_app."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def database_url(url: str) -> str:
    """The driver we ship (psycopg 3) for the plain postgres:// and postgresql:// forms that
    hosting providers hand out; SQLAlchemy would otherwise look for psycopg2."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _secret_key() -> str | None:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    return path.read_text().strip() if path.exists() else None


def load_config() -> dict:
    """Every setting the app reads, from the environment, with DESIGN.md's defaults."""
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'helpdesk.db'}")),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "TIMEZONE": os.environ.get("TIMEZONE", "Europe/Copenhagen"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", 25)),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "helpdesk@localhost"),
        "AUTO_CLOSE_DAYS": _float("AUTO_CLOSE_DAYS", 7),
        "AUTO_CLOSE_WARNING_DAYS": _float("AUTO_CLOSE_WARNING_DAYS", 2),
        "REOPEN_DAYS": _float("REOPEN_DAYS", 7),
        # The dashboard shows stored figures up to this old; the jobs refresh them each pass.
        "DASHBOARD_MAX_AGE_SECONDS": int(os.environ.get("DASHBOARD_MAX_AGE_SECONDS", 300)),
        "REGISTRATION_DOMAINS": [
            d.strip().lower().lstrip("@")
            for d in os.environ.get("REGISTRATION_DOMAINS", "").split(",") if d.strip()],
        "MAJOR_INCIDENT_WINDOW_HOURS": _float("MAJOR_INCIDENT_WINDOW_HOURS", 4),
        "MAJOR_INCIDENT_MIN_REPORTS": int(os.environ.get("MAJOR_INCIDENT_MIN_REPORTS", 3)),
        "MAJOR_INCIDENT_AUTO_OPEN": int(os.environ.get("MAJOR_INCIDENT_AUTO_OPEN", 8)),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Redis away: the limits hold per process in memory instead of failing every login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "300 per minute"),  # per token
        "API_MAX_CONTENT_LENGTH": int(os.environ.get("API_MAX_CONTENT_LENGTH", 1024 * 1024)),
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", 0)),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", "helpdesk-demo"),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "attachments")),
        "MAX_ATTACHMENT_BYTES": int(os.environ.get("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)),
        # Files of a form shown back (to correct a field, to confirm) wait this long for it.
        "PENDING_UPLOAD_MINUTES": int(os.environ.get("PENDING_UPLOAD_MINUTES", 60)),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "da"],
        "WTF_CSRF_TIME_LIMIT": None,
        "FLASK_ADMIN_SWATCH": "default",
        # Benchmark instrumentation: answers carry X-SQL-Statements (off in production).
        "SQL_COUNT_HEADER": _bool("SQL_COUNT_HEADER", False),
    }
