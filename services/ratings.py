"""Customer satisfaction: a customer rates their resolved ticket once (1-5, with a comment)."""
from flask_babel import lazy_gettext as _l

from models import Ticket, User, utcnow
from services import Conflict, Forbidden, Invalid, NotFound
from services import permissions as can
from services.audit import record
from services.secrets import mask_secrets

COMMENT_MAX = 2000


def rate_ticket(customer: User, ticket: Ticket, rating, comment: str | None = None) -> Ticket:
    """Store the customer's rating of their resolved or closed ticket (once)."""
    if not can.can_view(customer, ticket):
        raise NotFound(_l("No such ticket."))
    if not can.can_rate(customer, ticket):
        if ticket.rating is not None:
            raise Conflict(_l("You have rated this ticket already."))
        raise Forbidden(_l("Only the customer rates a ticket, once it is resolved."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise Invalid(_l("Choose a rating from 1 to 5."), field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(_l("At most %(n)s characters.", n=COMMENT_MAX), field="rating_comment")
    comment, _warnings = mask_secrets(comment)  # like every text a ticket keeps
    ticket.rating, ticket.rating_comment, ticket.rated_at = rating, comment or None, utcnow()
    record(ticket, customer, "rated", new=rating)
    return ticket
