"""The ticket grids: my tickets, my level's queue, everything I may read, all tickets."""
import enum

from flask import g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.elements import True_

from models import (
    ACTIVE_STATUSES,
    Rating,
    Role,
    Service,
    SlaState,
    Status,
    Ticket,
    TicketType,
    User,
    db,
)
from services.permissions import visible_tickets
from services.search import EVERY_MATCH, ticket_matches
from views.admin import export, operations
from views.admin.base import OVERSEERS, STAFF, WRITERS, StaffModelView, has_role
from views.admin.handling import HandlingMixin
from views.admin.sla_format import sla_badge
from views.labels import LABELS, choices, label, time_writer

COLUMNS = ["number", "title", "type", "status", "priority", "level", "assignee", "customer",
           "service", "created_at", "updated_at", "resolution_due_at"]


class TicketCells:
    """How a ticket's cells read in the grids and the details view. What every row shares is
    resolved once per request: the reader's enum labels, time writer, link prefix and the words
    of the row markup (each was a translation or locale lookup per cell)."""

    def __init__(self):
        # Per enum: members of two str enums with one value ("pending") are equal keys.
        self.labels = {kind: {member: label(member) for member in kind} for kind in LABELS}
        self.when = time_writer()
        self.link = url_for("ticket.handle", number=0).removesuffix("0")
        self.reader_id = current_user.id
        self.checkbox = ('<td><input type="checkbox" name="rowid" class="action-checkbox" '
                         f'value="{{}}" title="{escape(admin_gettext("Select record"))}"></td>')
        self.unread = Markup(' <span class="badge badge-warning unread" title="{}">{}</span>'
                             ).format(_("The customer replied"), _("new reply"))

    @classmethod
    def current(cls) -> "TicketCells":
        if "ticket_cells" not in g:
            g.ticket_cells = cls()
        return g.ticket_cells

    def cell(self, ticket: Ticket, column: str):
        value = getattr(ticket, column)
        if column == "number":  # the row's one link; an unread customer reply is marked
            link = Markup(f'<a href="{self.link}{value}">#{value}</a>')  # noqa: S704  # nosec B704
            unread = ticket.unread_by_assignee and ticket.assignee_id == self.reader_id
            return link + self.unread if unread else link
        if column in ("created_at", "updated_at"):
            return self.when(value)
        if column == "resolution_due_at":
            return escape(self.when(value)) + Markup(" ") + sla_badge(ticket)
        if isinstance(value, enum.Enum):
            return self.labels.get(type(value), {}).get(value) or label(value)
        return "" if value is None else str(value)


def _cell_formatter(view, context, model, name):
    return TicketCells.current().cell(model, name)


def _export_reader(name: str):
    """How one exported ticket column's database value becomes a cell."""
    column = Ticket.__table__.columns.get(name)
    enum_class = getattr(column.type, "enum_class", None) if column is not None else None
    if enum_class is None:
        return export.neutralise
    cells = {member: export.neutralise(label(member)) for member in enum_class}
    return lambda value: cells.get(value, "")


def _bulk_redirect(operation: str, ids):
    return redirect(url_for("ticket.bulk", operation=operation, ids=list(ids),
                            url=request.referrer or None))


class TicketGrid(StaffModelView):
    """Shared grid configuration; subclasses narrow the scope and pick the actions."""

    column_list = COLUMNS
    column_labels = {
        "number": _l("Number"), "title": _l("Title"), "type": _l("Type"),
        "status": _l("Status"), "priority": _l("Priority"), "level": _l("Level"),
        "assignee": _l("Assignee"), "customer": _l("Customer"), "service": _l("Service"),
        "created_at": _l("Created"), "updated_at": _l("Updated"), "impact": _l("Impact"),
        "urgency": _l("Urgency"), "description": _l("Description"),
        "assignee.username": _l("Assignee"), "customer.username": _l("Customer"),
        "service.name": _l("Service"), "priority_reason": _l("Priority reason"),
        "resolution_due_at": _l("Due"), "sla_state": _l("SLA"),
    }
    column_sortable_list = ["number", "title", "type", "status", "priority", "level",
                            ("assignee", "assignee.username"), ("customer", "customer.username"),
                            ("service", "service.name"), "created_at", "updated_at",
                            "resolution_due_at"]
    column_filters = ["number", "title", "type", "status", "priority", "level",
                      "assignee.username", "customer.username", "service.name", "created_at",
                      "updated_at"]
    column_searchable_list = ["number", "title", "description"]
    column_default_sort = ("number", True)
    column_details_list = COLUMNS + ["description", "impact", "urgency", "priority_reason"]
    column_export_list = ["number", "title", "type", "status", "priority", "impact", "urgency",
                          "level", "assignee", "customer", "service", "created_at", "updated_at",
                          "resolution_due_at", "sla_state"]
    column_formatters = {name: _cell_formatter
                         for name in ("number", "created_at", "updated_at", "resolution_due_at")}
    column_choices = {"type": choices(TicketType), "status": choices(Status),
                      "impact": choices(Rating), "urgency": choices(Rating),
                      "sla_state": choices(SlaState)}
    column_display_actions = False  # no per-row icons: they were half the rendering time
    list_template = "admin/ticket_list.html"
    exporter_roles = OVERSEERS
    action_roles = {"status": WRITERS, "reassign": WRITERS, "escalate": WRITERS,
                    "priority": WRITERS, "link": WRITERS}

    def scope(self):
        return visible_tickets(current_user)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The page's ids first, then their rows: sorting carries (sort key, id), not whole
        rows with their joins; a search sorts up to SEARCH_WINDOW matches."""
        g.search_newest_of = self._search_window(filters) if execute else EVERY_MATCH
        count, query = super().get_list(page, sort_column, sort_desc, search, filters,
                                        execute=False, page_size=page_size)
        if not execute:
            return count, query
        ids = [ticket_id for (ticket_id,) in query.with_entities(Ticket.id)]
        rows = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)).options(
            *(joinedload(relation) for relation in self._auto_joins))).unique()
        by_id = {row.id: row for row in rows}
        return count, [by_id[ticket_id] for ticket_id in ids]

    def row_cells(self, ticket: Ticket, selectable: bool) -> Markup:
        """One grid row's cells in one pass: Flask-Admin's template asks for every cell through
        a Jinja call and its generic formatter lookup, which was most of a page's time. Every
        value goes through escape() (Markup passes as it is)."""
        page = TicketCells.current()
        cells = [page.checkbox.format(ticket.id)] if selectable else []
        for column, _name in self._list_columns:
            cells.append(f'<td class="col-{column}">{escape(page.cell(ticket, column))}</td>')
        # Every value above went through escape().
        return Markup("".join(cells))  # noqa: S704  # nosec B704

    def export_rows(self, query):
        """Plain tuples from the database, each enum's labels looked up once: a million rows in
        seconds, where Flask-Admin's per-cell export value took minutes."""
        assignee, customer, service = aliased(User), aliased(User), aliased(Service)
        related = {"assignee": assignee.username, "customer": customer.username,
                   "service": service.name}
        names = [name for name, _label in self._export_columns]
        rows = (query.with_entities(*(related.get(name) or getattr(Ticket, name)
                                      for name in names))
                .outerjoin(assignee, Ticket.assignee_id == assignee.id)
                .outerjoin(customer, Ticket.customer_id == customer.id)
                .outerjoin(service, Ticket.service_id == service.id))
        readers = [_export_reader(name) for name in names]
        for row in rows.yield_per(export.BATCH):
            yield [read(value) for read, value in zip(readers, row, strict=True)]

    def _search_window(self, filters):
        """What a search in this list keeps its newest matches of (services/search.py): the
        whole desk (None), or the list's own scope and filters. Flask-Admin's _apply_search
        sees neither, so get_list works it out."""
        if not filters and isinstance(self.scope(), True_):
            return None
        query, _count, _joins, _count_joins = self._apply_filters(
            self.get_query(), None, {}, {}, filters)
        return query.with_entities(Ticket.id).statement

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Search through the index (services/search.py), not LIKE over every row. Only the
        whole desk's unfiltered list may stop at the newest matches (see get_list)."""
        condition = ticket_matches(search, g.search_newest_of)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    @action("status", _l("Set status"))
    def action_status(self, ids):
        return _bulk_redirect("status", ids)

    @action("reassign", _l("Reassign"))
    def action_reassign(self, ids):
        return _bulk_redirect("reassign", ids)

    @action("escalate", _l("Escalate"))
    def action_escalate(self, ids):
        return _bulk_redirect("escalate", ids)

    @action("priority", _l("Set priority"))
    def action_priority(self, ids):
        return _bulk_redirect("priority", ids)

    @action("link", _l("Link to major incident"))
    def action_link(self, ids):
        return _bulk_redirect("link", ids)

    @action("take", _l("Take"))
    def action_take(self, ids):
        result = operations.apply_to_each(
            current_user, operations.parse_ids(ids), operations.take, {})
        db.session.commit()
        operations.report_bulk(result)


class MyTicketsAdmin(TicketGrid):
    """Tickets assigned to me: the supporter's start page."""
    roles = frozenset({Role.SUPPORTER})

    def scope(self):
        return super().scope() & (Ticket.assignee_id == current_user.id)


class QueueAdmin(TicketGrid):
    """Open and pending tickets at my level, assigned or not; unassigned ones can be taken."""
    roles = frozenset({Role.SUPPORTER})
    action_roles = {**TicketGrid.action_roles, "take": frozenset({Role.SUPPORTER})}

    def scope(self):
        return (super().scope() & (Ticket.level == current_user.level)
                & Ticket.status.in_(ACTIVE_STATUSES))


class ReadableTicketsAdmin(TicketGrid):
    """Everything the supporter may read."""
    roles = frozenset({Role.SUPPORTER})


class TicketAdmin(HandlingMixin, TicketGrid):
    """All tickets, for managers and admins; it also hosts the handling page and bulk forms,
    which every staff member reaches (each scoped by the same predicates)."""
    roles = STAFF

    def is_visible(self) -> bool:
        return has_role(OVERSEERS)

    @expose("/")
    def index_view(self):
        if not has_role(OVERSEERS):
            return redirect(self.get_url("readable.index_view", **request.args))
        return super().index_view()
