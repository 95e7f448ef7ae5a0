"""The small world the access matrix runs in, and how one request is answered."""
from sqlalchemy import select

from models import (
    ApiToken,
    Attachment,
    AuditEvent,
    Calendar,
    CannedReply,
    Comment,
    Document,
    DocumentRevision,
    Holiday,
    IntakeTemplate,
    OutboxEmail,
    Service,
    SlaPolicy,
    db,
    utcnow,
)
from services import accounts, documents, tickets
from services.calendars import ensure_sla_defaults

ROLES = ("anonymous", "customer", "l1", "l2", "l3", "manager", "admin")
# One row of each for the backoffice's details and edit pages: world[f"{table}_row"].
ROW_MODELS = (Comment, AuditEvent, Service, CannedReply, Calendar, Holiday, SlaPolicy,
              OutboxEmail, DocumentRevision, IntakeTemplate)
USERNAMES = {"customer": "anna", "l1": "l1a", "l2": "l2a", "l3": "l3a", "manager": "boss",
             "admin": "root"}


def build_world(staff, make_user, make_ticket) -> dict:
    """One customer's level-1 ticket (assigned to l1a) with an attachment, a public document."""
    anna = make_user("anna")
    ticket = make_ticket(anna)
    attachment = Attachment(ticket_id=ticket.id, uploader_id=anna.id, filename="log.txt",
                            stored_name="0" * 32, content_type="text/plain", size=2,
                            created_at=utcnow())
    db.session.add(attachment)
    documents.save(staff["admin"], None, "How to print", "Press *print*.", public=True)
    accounts.create_token(anna, "anna's script")
    tickets.add_comment(ticket.assignee, ticket, "Is the cable in?")
    ensure_sla_defaults()
    service = Service(name="Print service", description="Printers", covered=True)
    db.session.add_all([service, CannedReply(title="Cable", body="Check the cable.")])
    db.session.flush()
    db.session.add_all([IntakeTemplate(service_id=service.id, introduction="First:"),
                        OutboxEmail(recipient="anna@example.com", subject="[#1] Printer",
                                    body_text="Hej", message_id="<matrix@helpdesk.test>")])
    db.session.commit()
    rows = {f"{model.__tablename__}_row": db.session.scalar(select(model.id).limit(1))
            for model in ROW_MODELS}
    return {"number": ticket.number, "attachment_id": attachment.id, "user_id": anna.id,
            "document_id": db.session.scalar(select(Document.id)),
            "ticket_id": ticket.id, "token_id": db.session.scalar(select(ApiToken.id)), **rows}


