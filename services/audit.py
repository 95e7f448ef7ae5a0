"""The append-only audit trail."""
from models import AuditEvent, Ticket, User, db, utcnow

# What a customer may read of their ticket's history (DESIGN.md, "Who uses it").
CUSTOMER_VISIBLE_ACTIONS = frozenset({
    "created", "status", "type", "assigned", "reassigned", "escalated", "linked", "unlinked",
    "auto_closed",
})


def _text(value) -> str | None:
    if value is None:
        return None
    return getattr(value, "username", None) or str(value)


def record(ticket: Ticket | None, actor: User | None, action: str, old=None, new=None,
           document_id: int | None = None) -> AuditEvent:
    """Append one event: who, when, what, old and new value."""
    event = AuditEvent(ticket_id=ticket.id if ticket else None, document_id=document_id,
                       actor_id=actor.id if actor else None, action=action,
                       old_value=_text(old), new_value=_text(new), created_at=utcnow())
    db.session.add(event)
    db.session.info["recorded_events"] = recorded_count() + 1
    return event


def recorded_count() -> int:
    """Events recorded in this session so far: a bulk action tells changed from unchanged."""
    return db.session.info.get("recorded_events", 0)
