"""Guided intake: a short guide of checks per catalog service, shown before the ticket form.

A customer whose problem the guide solves files no ticket (a deflection, counted on the
dashboard); otherwise the checks they went through are written into the ticket. A guide may
also ask for fields (asset tag, room, since when) that the service's ticket form shows: the
required ones must be filled in, and the answers are written into the ticket too.
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import (
    Deflection,
    Document,
    IntakeCheck,
    IntakeField,
    IntakeTemplate,
    Role,
    Service,
    User,
    db,
    utcnow,
)
from services import Forbidden, NotFound
from services.similarity import is_filler

ANSWER_MAX = 500  # characters of one field's answer


def template_for(service: Service | None) -> IntakeTemplate | None:
    """The service's guide, checks and fields loaded in order, if it has one."""
    if service is None:
        return None
    return db.session.scalar(select(IntakeTemplate).where(IntakeTemplate.service_id == service.id)
                             .options(selectinload(IntakeTemplate.checks),
                                      selectinload(IntakeTemplate.fields)))


def guide_for(service: Service | None) -> IntakeTemplate | None:
    """The service's guide with its checks in order, if it has one with at least one check."""
    template = template_for(service)
    return template if template is not None and template.checks else None


def fields_for(service: Service | None) -> list[IntakeField]:
    """The fields the service's ticket form asks for, in order (none without a guide)."""
    template = template_for(service)
    return list(template.fields) if template is not None else []


def field_name(intake_field: IntakeField) -> str:
    """The form input of a field."""
    return f"intake-{intake_field.id}"


@dataclass
class Answers:
    """What the customer filled in: (field, answer) in order, and a message per refused field."""
    given: list[tuple[IntakeField, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # input name -> message

    def value(self, intake_field: IntakeField) -> str:
        return next((answer for f, answer in self.given if f.id == intake_field.id), "")


def read_answers(fields: list[IntakeField], values: Mapping[str, str]) -> Answers:
    """Check the answers to the form's fields: required ones filled in, none too long."""
    answers = Answers()
    for intake_field in fields:
        name = field_name(intake_field)
        # One line each: the answer becomes one line of the description.
        answer = " ".join(str(values.get(name) or "").split())
        answers.given.append((intake_field, answer))
        if not answer and intake_field.required:
            answers.errors[name] = str(_l("Fill in %(label)s.", label=intake_field.label))
        elif len(answer) > ANSWER_MAX:
            answers.errors[name] = str(_l("At most %(n)s characters.", n=ANSWER_MAX))
        elif "\x00" in answer:
            answers.errors[name] = str(_l("Remove the NUL character from this text."))
    return answers


def record_deflection(customer: User, service: Service | None) -> Deflection:
    """The guide solved the customer's problem: count it, file nothing."""
    if customer.role != Role.CUSTOMER:
        raise Forbidden(_l("Only customers use the guides."))
    if guide_for(service) is None:
        raise NotFound(_l("This service has no guide."))
    deflection = Deflection(service_id=service.id, user_id=customer.id, created_at=utcnow())
    db.session.add(deflection)
    return deflection


def with_answers(description: str, template: IntakeTemplate | None,
                 answers: Answers | None = None) -> str:
    """The description followed by the checks the customer went through without luck and
    the fields they filled in (empty optional ones left out). The ticket masks secrets in
    all of it, like in the rest of the description."""
    blocks = []
    if template is not None:
        lines = [_("Checked with the guide for %(service)s, still broken:",
                   service=template.service.name)]
        blocks.append(lines + [f"- {check.question}" for check in template.checks])
    given = [(f, answer) for f, answer in (answers.given if answers else []) if answer]
    if given:
        blocks.append([_("Details asked for by the form:")]
                      + [f"- {f.label}: {answer}" for f, answer in given])
    if not blocks:
        return description
    return f"{description.rstrip()}\n\n" + "\n\n".join("\n".join(b) for b in blocks)


def save_template(service: Service, checks: list[tuple[str, str]],
                  introduction: str = "",
                  fields: list[tuple[str, str, bool]] | None = None) -> IntakeTemplate:
    """Create or replace a service's guide: checks are (question, hint), fields are
    (label, help, required), each in order."""
    template = db.session.scalar(select(IntakeTemplate).where(IntakeTemplate.service_id == service.id))
    if template is None:
        template = IntakeTemplate(service_id=service.id, service=service)
        db.session.add(template)
    template.introduction = introduction
    template.checks = [IntakeCheck(position=n, question=question, hint=hint)
                       for n, (question, hint) in enumerate(checks, start=1)]
    template.fields = [IntakeField(position=n, label=label, help=help_text, required=required)
                       for n, (label, help_text, required) in enumerate(fields or [], start=1)]
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
