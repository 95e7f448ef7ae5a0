"""Users (admins only): create accounts, set level, away and active, reset passwords,
anonymise customers. Nothing is deleted."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from models import Role, db
from services import DomainError, users
from views import form_error
from views.admin.base import ADMINS, StaffModelView
from views.form_messages import AdminForm
from views.forms import LANGUAGE_CHOICES
from views.labels import choices

LEVELS = [("", _l("No level")), ("1", "1"), ("2", "2"), ("3", "3")]


class UserCreateForm(AdminForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=choices(Role))
    level = SelectField(_l("Level (supporters)"), choices=LEVELS, default="")
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES,
                           default=lambda: str(get_locale()))


class UserEditForm(AdminForm):
    # services.users checks the level; the form only offers the choices.
    level = SelectField(_l("Level (supporters)"), choices=LEVELS, validate_choice=False)
    away = BooleanField(_l("Away (supporters)"))
    active = BooleanField(_l("Active"))


class UserAdmin(StaffModelView):
    roles = creator_roles = editor_roles = ADMINS
    edit_template = "admin/user_edit.html"
    column_list = ["username", "email", "role", "level", "language", "active", "away",
                   "open_ticket_count", "created_at", "anonymised_at"]
    column_details_list = column_list
    column_sortable_list = column_list
    column_filters = ["role", "level", "active", "away"]
    column_searchable_list = ["username", "email"]
    column_default_sort = ("username", False)
    column_labels = {"open_ticket_count": _l("Open tickets"), "anonymised_at": _l("Anonymised"),
                     "language": _l("Language")}
    column_choices = {"role": choices(Role), "language": LANGUAGE_CHOICES}

    def get_create_form(self):
        return UserCreateForm

    def get_edit_form(self):
        return UserEditForm

    def on_form_prefill(self, form, id):
        form.level.data = str(form.level.data or "")

    def create_model(self, form):
        try:
            user = users.create_account(current_user, form.username.data, form.password.data,
                                        form.role.data,
                                        int(form.level.data) if form.level.data else None,
                                        form.email.data, form.language.data)
        except DomainError as error:
            form_error(form, error)
            return False
        db.session.commit()
        return user

    def update_model(self, form, model):
        try:
            users.edit_account(current_user, model, form.level.data, form.active.data,
                               form.away.data)
        except DomainError as error:
            form_error(form, error)
            return False
        db.session.commit()
        return True

    @expose("/password/<int:user_id>", methods=("POST",))
    def reset_password(self, user_id: int):
        user = self.get_one(user_id)
        try:
            users.reset_password(current_user, user, request.form.get("password", ""))
        except DomainError as error:
            form_error(None, error)
        else:
            db.session.commit()
            flash(_("The password of %(name)s is changed.", name=user.username), "success")
        return redirect(url_for(".edit_view", id=user_id))

    @expose("/anonymise/<int:user_id>", methods=("POST",))
    def anonymise(self, user_id: int):
        user = self.get_one(user_id)
        try:
            users.anonymise(current_user, user)
        except DomainError as error:
            form_error(None, error)  # said on the user's page, which it leads back to
        else:
            db.session.commit()
            flash(_("The customer is anonymised; the tickets are kept."), "success")
        return redirect(url_for(".details_view", id=user_id))
