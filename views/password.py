"""Password reset: ask for a link by email, then choose a new password with it."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from extensions import account_key, limiter
from models import db
from services import DomainError, mail, password_reset
from views import form_error
from views.form_messages import Form

bp = Blueprint("password", __name__, url_prefix="/password")


class ResetRequestForm(Form):
    # Named "username" so the per-account rate limit (extensions.account_key) reads it.
    username = StringField(_l("Email or username"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired()])


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=account_key)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.username.data)
        db.session.commit()
        # The same answer whether or not the account exists.
        if mail.email_enabled():
            flash(_("If an account matches, we have emailed it a link to choose a new "
                    "password. The link works once, within an hour."), "info")
        else:
            flash(_("This desk sends no email, so no link can reach you: please ask an "
                    "administrator to set a new password for you."), "warning")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_with_token(token: str):
    if password_reset.user_for_token(token) is None:
        flash(_("This link is invalid, used or expired. Ask for a new one."), "error")
        return redirect(url_for("password.request_reset"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data, form.confirm.data)
        except DomainError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password is changed. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_new.html", form=form)
