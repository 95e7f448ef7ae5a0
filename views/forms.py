"""WTForms forms of the portal and account pages (CSRF from the app-wide CSRFProtect)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from models import Rating, TicketType
from views.form_messages import Form

# Each language in its own name, as a switch shows them.
LANGUAGE_CHOICES = [("en", "English"), ("da", "Dansk")]


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class RegisterForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=80)])
    email = StringField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), Length(max=200)])


class AccountPageForm(Form):
    """The account page holds several forms, each with a prefix, which would rename their
    token field (`prefs-csrf_token`). The page carries the one `csrf_token` every form has,
    checked by the app-wide CSRFProtect like any other post."""

    class Meta:
        csrf = False


class PasswordForm(AccountPageForm):
    submit_name = "pw-submit"
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired()])


class PreferencesForm(AccountPageForm):
    submit_name = "prefs-submit"
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = StringField(_l("Time zone (empty: the desk's)"),
                           validators=[Optional(), Length(max=64)])
    email_notifications = BooleanField(_l("Email me about my tickets"))


class TokenForm(AccountPageForm):
    submit_name = "token-submit"
    name = StringField(_l("Name of the new API token"), validators=[DataRequired(), Length(max=80)])


class TicketForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=20000)])
    type = SelectField(_l("Type"), choices=[(TicketType.INCIDENT.value, _l("Incident: something is broken")),
                                            (TicketType.REQUEST.value, _l("Request: I need something"))])
    service = SelectField(_l("Service"), choices=[], validate_choice=False)
    urgency = SelectField(_l("How urgent is it?"), default=Rating.MEDIUM.value,
                          choices=[(Rating.HIGH.value, _l("High: I cannot work")),
                                   (Rating.MEDIUM.value, _l("Medium")),
                                   (Rating.LOW.value, _l("Low: it can wait"))])
    attachments = MultipleFileField(_l("Attachments (screenshots, logs)"))

    def validate_service(self, field) -> None:
        """Optional (left out or "Not sure" is fine), but never an unknown service."""
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Not a valid choice."))


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=20000)])
    attachments = MultipleFileField(_l("Attachments"))
