"""The Flask-Admin backoffice, for staff only."""
from flask import abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from views.admin.dashboard import register_dashboard


def staff_only_callback():
    """Anonymous visitors go to the login page; signed-in customers get 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


class StaffIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_staff

    def inaccessible_callback(self, name, **kwargs):
        return staff_only_callback()

    @expose("/")
    def index(self):
        return self.render("admin/staff_index.html")


def init_admin(app) -> Admin:
    admin = Admin(app, name="Helpdesk", url="/admin", index_view=StaffIndexView(url="/admin"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True))
    register_dashboard(admin)
    from views.admin.outbox import register_outbox_admin
    register_outbox_admin(admin)
    return admin
