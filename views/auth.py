"""Sign in and out, registration, and the user's own account page."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from extensions import account_key, limiter
from models import db
from services import DomainError, accounts
from views import form_error
from views.forms import LoginForm, PasswordForm, PreferencesForm, RegisterForm, TokenForm

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never another host, scheme or protocol-relative URL."""
    if not target:
        return default
    try:
        parts = urlsplit(target.replace("\\", "/"))
    except ValueError:  # "//[" and the like: not a URL at all
        return default
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def home_for(user) -> str:
    return url_for("admin.index") if user.is_staff else url_for("portal.my_tickets")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=account_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong username or password."))
        else:
            language = session.get("language")  # only set by the switch while signed out
            session.clear()  # a new session at login: no fixation
            login_user(user)
            if language:  # chosen with the switch just before: the account keeps it
                accounts.choose_language(user, language)
                db.session.commit()
            return redirect(safe_next(request.args.get("next"), home_for(user)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(form.username.data, form.email.data, form.password.data,
                                     form.confirm.data, language=str(get_locale()))
        except DomainError as error:
            form_error(form, error)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("portal.my_tickets"))
    return render_template("auth/register.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    preferences = PreferencesForm(prefix="prefs", obj=current_user)
    password = PasswordForm(prefix="pw")
    token_form = TokenForm(prefix="token")
    new_token = None
    if preferences.submit_name in request.form and preferences.validate_on_submit():
        try:
            accounts.update_preferences(current_user, preferences.language.data,
                                        preferences.email_notifications.data,
                                        preferences.timezone.data or "")
        except DomainError as error:
            form_error(preferences, error)
        else:
            db.session.commit()
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("auth.account"))
    elif password.submit_name in request.form and password.validate_on_submit():
        try:
            accounts.change_password(current_user, password.current.data, password.password.data,
                                     password.confirm.data)
        except DomainError as error:
            form_error(password, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # new session id; others end
            flash(_("Your password is changed. Other sessions were signed out."), "success")
            return redirect(url_for("auth.account"))
    elif token_form.submit_name in request.form and token_form.validate_on_submit():
        # Shown in this answer only: never flashed, since the session cookie is not secret.
        new_token = accounts.create_token(current_user, token_form.name.data.strip())
        db.session.commit()
        token_form = TokenForm(prefix="token", formdata=None)
    return render_template("auth/account.html", preferences=preferences, password=password,
                           token_form=token_form, new_token=new_token,
                           tokens=accounts.tokens_of(current_user))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        api_token = accounts.revoke_token(current_user, token_id)
    except DomainError as error:
        form_error(None, error)
    else:
        db.session.commit()
        flash(_("The token %(name)s is revoked.", name=api_token.name), "success")
    return redirect(url_for("auth.account", _anchor="tokens"))
