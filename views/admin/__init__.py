"""The Flask-Admin backoffice, for staff only."""
import os

from flask import flash, redirect, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role, db
from services import DomainError
from views import form_error
from views.admin.base import staff_only_callback
from views.admin.dashboard import register_dashboard
from views.admin.incidents import register_incidents
from views.admin.intake import register_intake
from views.admin.outbox import register_outbox_admin


class StaffIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_staff

    def inaccessible_callback(self, name, **kwargs):
        return staff_only_callback()

    @expose("/")
    def index(self):
        if current_user.role == Role.SUPPORTER:
            return redirect(url_for("my_tickets.index_view"))
        return self.render("admin/staff_index.html")

    @expose("/away", methods=("POST",))
    def toggle_away(self):
        """A supporter marks themself away (their tickets move on) or back."""
        from services import users
        away = not current_user.away
        try:
            count = users.set_away(current_user, current_user, away)
        except DomainError as error:
            form_error(None, error)
        else:
            db.session.commit()
            flash(_("You are marked away: %(n)s of your open and pending tickets went to "
                    "colleagues (or the queue).", n=count) if away else
                  _("Welcome back: %(n)s tickets waiting in your level's queue were handed out.",
                    n=count), "success")
        return redirect(url_for("admin.index"))


def init_admin(app) -> Admin:
    from views.headers import csp_nonce
    admin = Admin(app, name="Helpdesk", url="/admin", index_view=StaffIndexView(url="/admin"),
                  csp_nonce_generator=csp_nonce,
                  translations_path=os.path.join(app.root_path, "translations"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True,
                                        base_template="admin/staff_base.html"))
    add_ticket_views(admin)
    add_desk_views(admin)
    register_dashboard(admin)
    register_outbox_admin(admin)
    register_incidents(admin)
    register_intake(admin)
    return admin


def add_ticket_views(admin: Admin) -> None:
    from models import Ticket
    from views.admin import tickets
    grids = [
        (tickets.MyTicketsAdmin, _l("My tickets"), "my_tickets", "/admin/my-tickets"),
        (tickets.QueueAdmin, _l("My level's queue"), "queue", "/admin/queue"),
        (tickets.ReadableTicketsAdmin, _l("Everything I may read"), "readable", "/admin/readable"),
        (tickets.TicketAdmin, _l("All tickets"), "ticket", "/admin/ticket"),
    ]
    for view, name, endpoint, url in grids:
        admin.add_view(view(Ticket, name=name, endpoint=endpoint, url=url))




def add_desk_views(admin: Admin) -> None:
    from models import (
        AuditEvent,
        Calendar,
        CannedReply,
        Comment,
        Document,
        DocumentRevision,
        Holiday,
        Service,
        SlaPolicy,
        User,
    )
    from views.admin import knowledge, sla_admin, users
    knowledge_base = _l("Knowledge base")
    desk = _l("Desk")
    views = [
        (knowledge.DocumentAdmin, Document, _l("Documents"), "document", knowledge_base),
        (knowledge.RevisionAdmin, DocumentRevision, _l("Revisions"), "revision", knowledge_base),
        (users.UserAdmin, User, _l("Users"), "user", desk),
        (knowledge.ServiceAdmin, Service, _l("Services"), "service", desk),
        (knowledge.CannedReplyAdmin, CannedReply, _l("Canned replies"), "canned_reply", desk),
        (sla_admin.SlaPolicyAdmin, SlaPolicy, _l("SLA policies"), "sla_policy", desk),
        (sla_admin.CalendarAdmin, Calendar, _l("Calendars"), "calendar", desk),
        (sla_admin.HolidayAdmin, Holiday, _l("Holidays"), "holiday", desk),
        (knowledge.CommentAdmin, Comment, _l("Comments"), "comment", desk),
        (knowledge.AuditAdmin, AuditEvent, _l("Audit log"), "audit", desk),
    ]
    for view, model, name, endpoint, category in views:
        admin.add_view(view(model, name=name, endpoint=endpoint,
                            url=f"/admin/{endpoint.replace('_', '-')}", category=category))
