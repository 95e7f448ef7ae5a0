"""The bases of every form: WTForms' own messages ("This field is required.") in our catalogue.

WTForms ships no Danish (Flask-Admin's Danish covers its own screens, not WTForms' messages), so
a Danish page showed English under its fields. Every form, ours and Flask-Admin's, takes its
translations from here: our catalogue through Flask-Babel. The messages below are marked only
so that extraction puts them in the catalogue; WTForms passes the same English strings to
`gettext`/`ngettext` itself.
"""
from flask_admin.form import BaseForm
from flask_babel import get_translations, gettext, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("This field cannot be edited."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
)


class CatalogueTranslations:
    """What WTForms asks of a translations object. WTForms formats the result itself
    (Flask-Babel's ngettext would format it first, with only `num`)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


class Form(FlaskForm):
    """The base of the portal's and account pages' forms."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS


class AdminForm(BaseForm):
    """The base of every backoffice form (ModelView.form_base_class and our own)."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An optional relation's empty choice has no label, and WTForms 3.3 then shows its
        # value: "__None". Name it.
        for field in self:
            if getattr(field, "allow_blank", False) and not field.blank_text:
                field.blank_text = gettext("(none)")
