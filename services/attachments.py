"""Attachments: checked by content, stored outside the web root under random names."""
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage

from models import Attachment, Comment, PendingUpload, Ticket, User, db, utcnow
from services import Invalid
from services.audit import record

# Signature -> content type. Text is accepted when it decodes as UTF-8 without NUL bytes.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
ALLOWED_DESCRIPTION = "PNG, JPEG, GIF, PDF, text or log files"


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, if we accept it."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            return None
    return None


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clean_filename(name: str) -> str:
    name = Path((name or "").replace("\\", "/")).name.strip() or "attachment"
    return "".join(c for c in name if c.isprintable())[:200]


def validate(files: list[FileStorage]) -> list[tuple[FileStorage, bytes, str]]:
    """Read and check uploads before anything is stored; raises Invalid with the reason."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    checked = []
    for upload in files:
        if upload is None or not upload.filename:
            continue
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise Invalid(_l("%(name)s is larger than %(mb)s MB.", name=_clean_filename(
                upload.filename), mb=limit // (1024 * 1024)), field="attachments")
        content_type = sniff(data)
        if content_type is None or not data:
            raise Invalid(_l("%(name)s is not an allowed file (%(allowed)s).",
                             name=_clean_filename(upload.filename),
                             allowed=ALLOWED_DESCRIPTION), field="attachments")
        checked.append((upload, data, content_type))
    return checked


def _write(data: bytes) -> str:
    stored_name = secrets.token_hex(16)
    (_folder() / stored_name).write_bytes(data)
    return stored_name


def _attach(uploader: User, ticket: Ticket, comment: Comment | None, filename: str,
            stored_name: str, content_type: str, size: int) -> Attachment:
    attachment = Attachment(ticket_id=ticket.id, comment_id=comment.id if comment else None,
                            uploader_id=uploader.id, filename=filename, stored_name=stored_name,
                            content_type=content_type, size=size, created_at=utcnow())
    db.session.add(attachment)
    record(ticket, uploader, "attachment", new=attachment.filename)
    return attachment


def store(uploader: User, ticket: Ticket, checked, comment: Comment | None = None) -> list[Attachment]:
    """Write validated uploads to disk and record them on the ticket."""
    return [_attach(uploader, ticket, comment, _clean_filename(upload.filename), _write(data),
                    content_type, len(data))
            for upload, data, content_type in checked]


# Pending uploads: a form shown back (a field to correct, a reply to confirm) cannot refill its
# file input, so the files it carried wait here, bound to their uploader, and the form carries
# their tokens. Sent again, the form attaches them; nobody else's form can.
PENDING_FILES = 20  # per user, at most, waiting at one time
_GONE = _l("The files chosen earlier are no longer available: choose them again.")


def _pending_cutoff(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(minutes=current_app.config["PENDING_UPLOAD_MINUTES"])


def _drop_pending(*conditions) -> int:
    """Delete the pending uploads that match, then their files (only those this call deleted:
    runners may purge at the same time)."""
    names = db.session.scalars(delete(PendingUpload).where(*conditions)
                               .returning(PendingUpload.stored_name)
                               .execution_options(synchronize_session=False)).all()
    for name in names:
        (_folder() / name).unlink(missing_ok=True)
    return len(names)


def purge_pending(now: datetime | None = None) -> int:
    """Forget pending uploads past their lifetime, files and all."""
    return _drop_pending(PendingUpload.created_at < _pending_cutoff(now))


def _tokens(values) -> list[str]:
    tokens = list(dict.fromkeys(str(v) for v in values if v))
    if len(tokens) > PENDING_FILES or any(len(t) > 64 for t in tokens):
        raise Invalid(_GONE, field="attachments")
    return tokens


def held(uploader: User, tokens) -> list[PendingUpload]:
    """The uploader's own pending uploads among `tokens` that are still kept, in order."""
    try:
        tokens = _tokens(tokens)
    except Invalid:
        return []
    if not tokens:
        return []
    rows = db.session.scalars(select(PendingUpload).where(
        PendingUpload.token.in_(tokens), PendingUpload.user_id == uploader.id,
        PendingUpload.created_at >= _pending_cutoff()).order_by(PendingUpload.id)).all()
    return list(rows)


def claim(uploader: User, tokens) -> list[PendingUpload]:
    """The pending uploads a form sent again carries: every one must be the uploader's own and
    still kept, or the form is refused (another user's token attaches nothing)."""
    tokens = _tokens(tokens)
    rows = held(uploader, tokens)
    if len(rows) != len(tokens):
        raise Invalid(_GONE, field="attachments")
    return rows


def keep(uploader: User, checked, carried: list[PendingUpload]) -> list[PendingUpload]:
    """Keep validated uploads of a form shown back, next to those it already `carried`; the
    form's new list. A user's waiting files stay within what one request may carry: older
    ones no form carries any more make room first."""
    purge_pending()
    if not checked:
        return carried
    limit = current_app.config["MAX_CONTENT_LENGTH"] or 25 * 1024 * 1024
    size = sum(len(data) for _upload, data, _type in checked) + sum(p.size for p in carried)
    if size > limit or len(checked) + len(carried) > PENDING_FILES:
        raise Invalid(_l("Together the files are larger than %(mb)s MB or more than %(n)s: "
                         "choose fewer.", mb=limit // (1024 * 1024), n=PENDING_FILES),
                      field="attachments")
    others = db.session.scalars(select(PendingUpload).where(
        PendingUpload.user_id == uploader.id,
        PendingUpload.id.not_in([p.id for p in carried] or [0]))
        .order_by(PendingUpload.id.desc())).all()
    room, count, keep_others = limit - size, PENDING_FILES - len(checked) - len(carried), []
    for row in others:  # newest first: another tab's form keeps its files if there is room
        if row.size <= room and count > 0:
            room, count = room - row.size, count - 1
            keep_others.append(row)
    dropped = [row.id for row in others if row not in keep_others]
    if dropped:
        _drop_pending(PendingUpload.id.in_(dropped))
    now = utcnow()
    new = []
    for upload, data, content_type in checked:
        pending = PendingUpload(token=secrets.token_urlsafe(24), user_id=uploader.id,
                                filename=_clean_filename(upload.filename), stored_name=_write(data),
                                content_type=content_type, size=len(data), created_at=now)
        db.session.add(pending)
        new.append(pending)
    db.session.flush()
    return carried + new


def attach_pending(uploader: User, ticket: Ticket, pending: list[PendingUpload],
                   comment: Comment | None = None) -> list[Attachment]:
    """Record claimed pending uploads on the ticket; their files stay where they are."""
    attached = []
    for row in pending:
        if row.user_id != uploader.id:  # claim() only hands out the uploader's own
            raise Invalid(_GONE, field="attachments")
        # Claimed once: a second form sent at the same moment finds the row gone.
        gone = db.session.execute(delete(PendingUpload).where(PendingUpload.id == row.id)
                                  .execution_options(synchronize_session=False))
        if gone.rowcount != 1:
            raise Invalid(_GONE, field="attachments")
        attached.append(_attach(uploader, ticket, comment, row.filename, row.stored_name,
                                row.content_type, row.size))
    return attached


def path_of(attachment: Attachment) -> Path:
    return _folder() / attachment.stored_name
