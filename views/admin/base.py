"""The base of every backoffice view: who may open it, what rows it shows, what it may do."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, literal_column, true
from sqlalchemy.orm import Query

from models import Role, db, utcnow
from services import DomainError, parse_id
from services.ticket_list import COUNT_CAP, count_rows
from views.admin import export
from views.form_messages import AdminForm
from views.labels import LocalisedColumns

STAFF = frozenset({Role.SUPPORTER, Role.MANAGER, Role.ADMIN})
WRITERS = frozenset({Role.SUPPORTER, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
OVERSEERS = frozenset({Role.MANAGER, Role.ADMIN})


class CappedCount(int):
    """A row count that stopped at the cap; shown as "2,000+"."""

    capped = True  # templates tell it from a plain count

    def __str__(self) -> str:
        return f"{COUNT_CAP:,}+"


class CappedCountQuery(Query):
    """Flask-Admin's count query, counting at most COUNT_CAP + 1 rows instead of all of them."""

    def scalar(self):
        count = count_rows(self.with_entities(literal_column("1")), COUNT_CAP + 1)
        return CappedCount(count) if count > COUNT_CAP else count


BIGINT = range(-2**63, 2**63)


def _tolerant(filter_class):
    """The filter, calling invalid what Flask-Admin turns into a 500: a value outside its enum
    (KeyError) or an integer no database column holds (OverflowError)."""

    class Tolerant(filter_class):
        def validate(self, value) -> bool:
            try:
                if not super().validate(value):
                    return False
                cleaned = self.clean(value)
            except KeyError:
                return False
            values = cleaned if isinstance(cleaned, list) else [cleaned]
            return all(v in BIGINT for v in values if isinstance(v, int))

    Tolerant.__name__ = filter_class.__name__
    return Tolerant


class TolerantFilterConverter(FilterConverter):
    """Grid filters that ignore a hand-made ?flt0_N=anything, as Flask-Admin means them to."""
    int_filters = tuple(_tolerant(f) for f in FilterConverter.int_filters)
    enum = tuple(_tolerant(f) for f in FilterConverter.enum)


def staff_only_callback():
    """Anonymous visitors go to the login page; signed-in users without the role get 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


def has_role(roles) -> bool:
    """The signed-in user holds one of `roles`."""
    return current_user.is_authenticated and current_user.role in roles


# url_for's own keyword arguments: a query argument of that name is not passed on to links.
URL_FOR_OWN = ("_method", "_scheme", "_external", "_anchor")


class CappedPages:
    """Pages stop where the capped count stops: nobody offsets past COUNT_CAP rows (and a
    hand-made ?page=99999999999999999999 is the last page, not an overflow)."""

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        last_page = COUNT_CAP // (page_size or self.page_size)
        page = min(max(page or 0, 0), last_page)
        return super().get_list(page, sort_column, sort_desc, search, filters,
                                execute=execute, page_size=page_size)


class StaffModelView(LocalisedColumns, CappedPages, ModelView):
    """Role-gated, row-scoped, never deleting. Subclasses set the class attributes below.

    Permissions are read per request through properties, never by changing attributes:
    a view object is shared by every thread.
    """

    form_base_class = AdminForm

    roles = STAFF            # who may open the view at all
    creator_roles = frozenset()   # who may create rows
    editor_roles = frozenset()    # who may edit rows
    exporter_roles = frozenset()  # who may export
    action_roles: dict[str, frozenset] = {}  # action name -> who may run it

    can_delete = False
    can_view_details = True
    can_set_page_size = False
    page_size = 50
    export_types = ["csv", "xlsx"]
    column_formatters_export: dict = {}  # plain values, never the list's HTML
    filter_converter = TolerantFilterConverter()

    def __init__(self, model, name=None, endpoint=None, url=None, **kwargs):
        super().__init__(model, db, name=name, endpoint=endpoint, url=url, **kwargs)
        self._filter_groups_by_locale: dict[str, dict] = {}

    def _get_filter_groups(self):
        """Flask-Admin translates every filter's name, operation and options on every page
        (~200 lookups, a tenth of a grid page); they change only with the language."""
        locale = str(get_locale())
        if locale not in self._filter_groups_by_locale:
            self._filter_groups_by_locale[locale] = super()._get_filter_groups()
        return self._filter_groups_by_locale[locale]

    @property
    def can_create(self) -> bool:
        return has_role(self.creator_roles)

    @property
    def can_edit(self) -> bool:
        return has_role(self.editor_roles)

    @property
    def can_export(self) -> bool:
        return has_role(self.exporter_roles)

    def is_accessible(self) -> bool:
        return has_role(self.roles)

    def inaccessible_callback(self, name, **kwargs):
        return staff_only_callback()

    def scope(self):
        """SQL condition limiting the rows the signed-in user sees here."""
        return true()

    def get_url(self, endpoint: str, **kwargs) -> str:
        """url_for, less query arguments named like url_for's own: the list passes the query
        on to its links, and ?_method=DELETE made them unbuildable (a 500)."""
        for name in URL_FOR_OWN:
            kwargs.pop(name, None)
        return super().get_url(endpoint, **kwargs)

    def get_query(self):
        return super().get_query().filter(self.scope())

    def get_count_query(self):
        return (CappedCountQuery([func.count("*")], session=db.session())
                .select_from(self.model).filter(self.scope()))

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """Every order ends with the id, so equal values never shuffle between pages."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        if sort_column is None:
            default = self.column_default_sort
            sort_desc = isinstance(default, tuple) and default[1]
        return query.order_by(self.model.id.desc() if sort_desc else self.model.id.asc()), joins

    def get_one(self, id):
        """The row if it is in scope; 404 otherwise (details, edit and ajax load through here)."""
        key = parse_id(id)
        if key is None:
            abort(404)
        row = self.get_query().filter(self.model.id == key).one_or_none()
        if row is None:
            abort(404)
        return row

    def is_action_allowed(self, name: str) -> bool:
        return has_role(self.action_roles.get(name, frozenset()))

    def handle_view_exception(self, exc: Exception) -> bool:
        """A refused operation becomes a flash beside the form, never a 500."""
        if isinstance(exc, DomainError):
            db.session.rollback()
            flash(str(exc.message), "error")
            return True
        return super().handle_view_exception(exc)

    def _refuse_without_permission(self, allowed: bool) -> None:
        if not allowed:
            abort(403)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        self._refuse_without_permission(self.can_create)
        return super().create_view()

    def may_edit(self, row) -> bool:
        """Whether the user may edit this row (the view's editor_roles already passed)."""
        return True

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        self._refuse_without_permission(self.can_edit)
        if request.args.get("id") is not None:  # refused on opening, not only on saving
            self._refuse_without_permission(self.may_edit(self.get_one(request.args["id"])))
        return super().edit_view()

    @expose("/action/", methods=("POST",))
    def action_view(self):
        """Flask-Admin silently skips a disallowed action; we answer 403."""
        name = request.form.get("action")
        if name and not self.is_action_allowed(name):
            abort(403)
        return super().action_view()

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        """The current filtered, sorted, scoped list, streamed (managers and admins only)."""
        self._refuse_without_permission(self.can_export)
        if export_type not in self.export_types:
            abort(404)
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _count, query = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search,
                                      args.filters, execute=False, page_size=0)
        if export_type == "xlsx" and self._more_than_a_sheet(query):
            flash(_("A spreadsheet holds at most %(n)s rows and this list has more: filter it, "
                    "or export it as CSV.", n=format_number(export.XLSX_MAX_ROWS)), "error")
            return redirect(self._get_list_url(args))
        name = f"{self.endpoint}-{utcnow():%Y%m%d-%H%M%S}"
        write = export.csv_response if export_type == "csv" else export.xlsx_response
        return write(name, self._export_columns, self.export_rows(query))

    @staticmethod
    def _more_than_a_sheet(query) -> bool:
        """Counted on ids alone, unsorted: the export's own query reads every column in order."""
        rows = query.with_entities(literal_column("1")).order_by(None)
        return count_rows(rows, export.XLSX_MAX_ROWS + 1) > export.XLSX_MAX_ROWS

    def export_rows(self, query):
        """The exported cells, row by row (a view with many rows has a faster way)."""
        return export.model_rows(self._export_columns, query, self.get_export_value)

    # Nothing is hard-deleted and no cell is edited in place: these routes are not registered.
    delete_view = None
    ajax_update = None
