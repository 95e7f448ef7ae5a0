"""The manager's dashboard: every figure as a chart, a table and a CSV download.

Registered by `register_dashboard(admin)` from views/admin/__init__.py. Managers and admins only.
"""
import csv
import io
from zoneinfo import ZoneInfo

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role, utcnow
from services.dashboard import FIGURES, Figure, snapshot
from views.admin.charts import bar_chart, line_chart

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (osTicket #3767)."""
    if value is None:
        return ""
    text = str(value)
    if not isinstance(value, int | float) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def chart_of(figure: Figure):
    """The figure drawn as SVG, or None for figures that are only a table."""
    labels = [row[0] for row in figure.rows]
    if figure.chart == "bars":
        return bar_chart(figure.title, labels, [row[-1] for row in figure.rows])
    if figure.chart == "lines":
        series = {str(name): [row[i + 1] for row in figure.rows]
                  for i, name in enumerate(figure.columns[1:])}
        return line_chart(figure.title, labels, series)
    return None


class DashboardView(BaseView):
    """Figures for managers and admins; everyone else is refused."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role in (Role.MANAGER, Role.ADMIN)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    @expose("/")
    def index(self):
        computed_at, figures = snapshot(utcnow(), _zone())
        return self.render("admin/dashboard.html", figures=figures, computed_at=computed_at,
                           by_key={f.key: f for f in figures},
                           charts={f.key: chart_of(f) for f in figures})

    @expose("/<key>.csv")
    def download(self, key: str):
        if key not in FIGURES:
            abort(404)
        shown = next(f for f in snapshot(utcnow(), _zone())[1] if f.key == key)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([csv_cell(str(column)) for column in shown.columns])
        writer.writerows([csv_cell(value) for value in row] for row in shown.rows)
        return out.getvalue(), 200, {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{shown.key}.csv"'}


def _zone() -> ZoneInfo:
    """The viewer's time zone: days are counted where the manager lives."""
    return ZoneInfo(str(get_timezone()))


def register_dashboard(admin) -> None:
    """Add the dashboard to the backoffice (menu entry "Dashboard", /admin/dashboard/)."""
    admin.add_view(DashboardView(name=_l("Dashboard"), endpoint="dashboard", url="dashboard"))
