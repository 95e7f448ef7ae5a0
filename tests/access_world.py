"""The small world the access matrix runs in, and how one request is answered."""
from sqlalchemy import select

from models import ApiToken, Attachment, Document, db, utcnow
from services import accounts, documents

ROLES = ("anonymous", "customer", "l1", "l2", "l3", "manager", "admin")
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
    db.session.commit()
    return {"number": ticket.number, "attachment_id": attachment.id,
            "document_id": db.session.scalar(select(Document.id)), "user_id": anna.id,
            "ticket_id": ticket.id, "token_id": db.session.scalar(select(ApiToken.id))}


