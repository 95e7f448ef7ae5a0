"""Lists of tickets as one reader may see them: filters, stable order, a page and the total."""
from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload

from models import Ticket, User, db
from services.accounts import same_username
from services.permissions import visible_tickets
from services.search import COUNT_CAP, ticket_matches


def count_rows(rows, limit: int) -> int:
    """How many rows `rows` (a select or an ORM query) yields, reading no more than `limit`."""
    return db.session.scalar(select(func.count()).select_from(rows.limit(limit).subquery()))


def capped_count(*conditions) -> int:
    """How many tickets match, counting no further than COUNT_CAP + 1: one customer's
    334,000 tickets cost as much to count as 2,001."""
    return count_rows(select(literal(1)).select_from(Ticket).where(*conditions), COUNT_CAP + 1)


@dataclass
class TicketFilters:
    status: str | None = None
    type: str | None = None
    priority: str | None = None
    assignee: str | None = None  # a username
    level: int | None = None
    q: str | None = None  # words in the title or description, or a ticket number


def _conditions(reader: User, filters: TicketFilters) -> list:
    conditions = [visible_tickets(reader)]
    for column, value in ((Ticket.status, filters.status), (Ticket.type, filters.type),
                          (Ticket.priority, filters.priority), (Ticket.level, filters.level)):
        if value is not None:
            conditions.append(column == value)
    if filters.assignee is not None:
        conditions.append(Ticket.assignee_id == select(User.id).where(
            same_username(filters.assignee)).scalar_subquery())
    if (filters.q or "").strip():
        conditions.append(ticket_matches(filters.q))
    return conditions


def list_tickets(reader: User, filters: TicketFilters, page: int, per_page: int):
    """(tickets, total): newest first by id, related rows loaded with them."""
    conditions = _conditions(reader, filters)
    total = db.session.scalar(select(func.count()).select_from(Ticket).where(*conditions))
    rows = db.session.scalars(
        select(Ticket).where(*conditions)
        .options(joinedload(Ticket.assignee), joinedload(Ticket.customer),
                 joinedload(Ticket.service), joinedload(Ticket.parent))
        .order_by(Ticket.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total
