"""Security headers on every answer: a nonce-based Content-Security-Policy, no sniffing, no
framing, no caching of signed-in pages, HSTS over HTTPS."""
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request, session, url_for

POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
          "style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce: the only inline <script>/<style> the browser runs carry it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    return POLICY.format(nonce=csp_nonce())


def _signed_in() -> bool:
    """From the session alone: the user row may be unreadable (the database is down)."""
    return "_user_id" in session


def stays_on_site(location: str) -> bool:
    """A path on this site ("/x", not "//x"), or http(s)://this-host/... exactly. Anything
    else is refused rather than second-guessed: browsers read backslashes as slashes and,
    for another scheme or after "scheme://", skip any number of slashes ("http:///evil")."""
    location = location.strip().replace("\\", "/")
    if location.startswith("/"):
        return not location.startswith("//")
    try:
        parts = urlsplit(location)
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and location.startswith(parts.scheme + "://")
            and not location.startswith(parts.scheme + ":///") and parts.netloc == request.host)


def keep_redirects_on_site(response):
    """The last line against open redirects: Flask-Admin passes `?url=http:evil.example`,
    which werkzeug then writes as `http:///evil.example`, an off-site Location."""
    if response.location and not stays_on_site(response.location):
        response.location = url_for("public.index")
    return response


def refuse_unreadable_return_address():
    """A `?url=` that is not a URL at all ("http://[x") makes Flask-Admin's own redirect
    check raise; the request is refused as malformed instead. (Only there: reading another
    request's form here would fix its size limit before the API sets its own.)"""
    if not request.path.startswith("/admin/"):
        return
    try:
        urlsplit(request.values.get("url", ""))
    except ValueError:
        abort(400)


def add_security_headers(response):
    """Views that need another policy (attachments, the API rendering) set theirs first."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if _signed_in():
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_headers(app: Flask) -> None:
    """Register the headers and make the nonce available to templates as csp_nonce()."""
    app.before_request(refuse_unreadable_return_address)
    app.after_request(add_security_headers)
    app.after_request(keep_redirects_on_site)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
