"""Guided intake: a short guide of checks per catalog service, shown before the ticket form.

A customer whose problem the guide solves files no ticket (a deflection, counted on the
dashboard); otherwise the checks they went through are written into the ticket.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import (
    Deflection,
    Document,
    IntakeCheck,
    IntakeTemplate,
    Role,
    Service,
    User,
    db,
    utcnow,
)
from services import Forbidden, NotFound
from services.similarity import is_filler


def guide_for(service: Service | None) -> IntakeTemplate | None:
    """The service's guide with its checks in order, if it has one with at least one check."""
    if service is None:
        return None
    template = db.session.scalar(select(IntakeTemplate).where(IntakeTemplate.service_id == service.id)
                                 .options(selectinload(IntakeTemplate.checks)))
    return template if template is not None and template.checks else None


def record_deflection(customer: User, service: Service | None) -> Deflection:
    """The guide solved the customer's problem: count it, file nothing."""
    if customer.role != Role.CUSTOMER:
        raise Forbidden(_l("Only customers use the guides."))
    if guide_for(service) is None:
        raise NotFound(_l("This service has no guide."))
    deflection = Deflection(service_id=service.id, user_id=customer.id, created_at=utcnow())
    db.session.add(deflection)
    return deflection


def with_answers(description: str, template: IntakeTemplate | None) -> str:
    """The description followed by the checks the customer went through without luck."""
    if template is None:
        return description
    lines = [_("Checked with the guide for %(service)s, still broken:",
               service=template.service.name)]
    lines += [f"- {check.question}" for check in template.checks]
    return f"{description.rstrip()}\n\n" + "\n".join(lines)


def save_template(service: Service, checks: list[tuple[str, str]],
                  introduction: str = "") -> IntakeTemplate:
    """Create or replace a service's guide: checks are (question, hint), in order."""
    template = db.session.scalar(select(IntakeTemplate).where(IntakeTemplate.service_id == service.id))
    if template is None:
        template = IntakeTemplate(service_id=service.id, service=service)
        db.session.add(template)
    template.introduction = introduction
    template.checks = [IntakeCheck(position=n, question=question, hint=hint)
                       for n, (question, hint) in enumerate(checks, start=1)]
    db.session.flush()
    return template


SUGGESTIONS = 5
_WORD_PREFIX = 6  # "printeren" and "printer" share "printe"; LIKE finds either


def _search_words(text: str) -> list[str]:
    words = [w.lower()[:_WORD_PREFIX] for w in re.findall(r"\w{4,}", text or "")
             if not is_filler(w)]
    return list(dict.fromkeys(words))[:6]


def suggest_articles(text: str) -> list[Document]:
    """Public knowledge-base articles whose title or text shares words with `text`, best first."""
    words = _search_words(text[:200])
    if not words:
        return []
    matches = [Document.title.icontains(w, autoescape=True)
               | Document.body.icontains(w, autoescape=True) for w in words]
    rows = db.session.scalars(select(Document).where(Document.public.is_(True), Document.pinned_as.is_(None),
                                                     or_(*matches))
                              .order_by(Document.title, Document.id).limit(50)).all()

    def score(document: Document) -> int:
        title = document.title.lower()
        return sum(2 if w in title else 1 for w in words if w in f"{title} {document.body.lower()}")

    return sorted(rows, key=score, reverse=True)[:SUGGESTIONS]
