"""The knowledge base: Markdown documents, revisions, and the pinned SLA and Service Catalog."""
import nh3
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import or_, select, update

from models import Document, DocumentRevision, Pin, Role, User, db, utcnow
from services import Conflict, Forbidden, Invalid
from services.audit import record

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str) -> Markup:
    """Markdown to HTML, sanitised after rendering (never trust the source)."""
    html = _markdown.render(source or "")
    clean = nh3.clean(html, url_schemes=_ALLOWED_SCHEMES, link_rel="noopener noreferrer")
    # Safe to mark: nh3 sanitised it just above (bandit B704).
    return Markup(clean)  # noqa: S704  # nosec B704


def pinned(pin: Pin) -> Document | None:
    return db.session.scalar(select(Document).where(Document.pinned_as == pin))


def can_read(user: User | None, document: Document) -> bool:
    """Staff read everything; others the pinned and public documents."""
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return document.public or document.pinned_as is not None


def readable_documents(user: User | None):
    """SQL condition mirroring can_read."""
    if user is not None and user.is_authenticated and user.is_staff:
        return Document.id.is_not(None)
    return or_(Document.public.is_(True), Document.pinned_as.is_not(None))


def can_write(user: User, document: Document | None = None) -> bool:
    """Supporters and admins write; only admins touch the pinned documents."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.SUPPORTER:
        return False
    return document is None or document.pinned_as is None


def save(author: User, document: Document | None, title: str, body: str,
         public: bool = False) -> Document:
    """Create or edit a document, keeping the previous text as a revision."""
    if not can_write(author, document):
        raise Forbidden(_l("You may not edit this document."))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid(_l("A title of at most 200 characters is required."), field="title")
    now = utcnow()
    if document is None:
        document = Document(title=title, body=body or "", public=bool(public),
                            author_id=author.id, created_at=now, updated_at=now)
        db.session.add(document)
    else:
        document.title, document.body, document.public = title, body or "", bool(public)
        document.updated_at = now
    db.session.flush()
    db.session.add(DocumentRevision(document_id=document.id, title=title, body=body or "",
                                    author_id=author.id, created_at=now))
    return document


def pin(actor: User, document: Document, as_: Pin) -> None:
    """Pin `document` as the SLA or the Service Catalog; the previous one is unpinned."""
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins pin documents."))
    as_ = Pin(as_)
    previous = pinned(as_)
    if previous is not None and previous.id == document.id:
        return
    if document.pinned_as is not None:  # one document cannot be both: the other would be gone
        raise Conflict(_l("This document is pinned as the other kind. Pin another document "
                          "there first."))
    if previous is not None:
        db.session.execute(update(Document).where(Document.id == previous.id)
                           .values(pinned_as=None))
        db.session.expire(previous)
    db.session.flush()
    document.pinned_as = as_
    db.session.flush()
    record(None, actor, "pinned", old=previous.title if previous else None,
           new=f"{as_.value}: {document.title}", document_id=document.id)
