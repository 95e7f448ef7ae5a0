"""Attachments: checked by content, stored outside the web root under random names."""
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from models import Attachment, Comment, Ticket, User, db, utcnow
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


def store(uploader: User, ticket: Ticket, checked, comment: Comment | None = None) -> list[Attachment]:
    """Write validated uploads to disk and record them on the ticket."""
    stored = []
    for upload, data, content_type in checked:
        stored_name = secrets.token_hex(16)
        (_folder() / stored_name).write_bytes(data)
        attachment = Attachment(ticket_id=ticket.id, comment_id=comment.id if comment else None,
                                uploader_id=uploader.id, filename=_clean_filename(upload.filename),
                                stored_name=stored_name, content_type=content_type,
                                size=len(data), created_at=utcnow())
        db.session.add(attachment)
        record(ticket, uploader, "attachment", new=attachment.filename)
        stored.append(attachment)
    return stored


def path_of(attachment: Attachment) -> Path:
    return _folder() / attachment.stored_name
