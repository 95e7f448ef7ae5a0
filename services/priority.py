"""Priority from impact x urgency (DESIGN.md, "Priority and SLA")."""
from models import Priority, Rating

_MATRIX = {
    (Rating.HIGH, Rating.HIGH): Priority.P1,
    (Rating.HIGH, Rating.MEDIUM): Priority.P2,
    (Rating.HIGH, Rating.LOW): Priority.P3,
    (Rating.MEDIUM, Rating.HIGH): Priority.P2,
    (Rating.MEDIUM, Rating.MEDIUM): Priority.P3,
    (Rating.MEDIUM, Rating.LOW): Priority.P4,
    (Rating.LOW, Rating.HIGH): Priority.P3,
    (Rating.LOW, Rating.MEDIUM): Priority.P4,
    (Rating.LOW, Rating.LOW): Priority.P4,
}


def priority_for(impact: Rating, urgency: Rating) -> Priority:
    return _MATRIX[(Rating(impact), Rating(urgency))]
