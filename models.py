"""SQLAlchemy models and enums: data only, the rules live in services/."""
from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp is stored as naive UTC on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


def _enum(cls, column: str):
    """Store enums by value, as plain strings with a CHECK constraint named after the column."""
    return Enum(cls, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda e: [m.value for m in e], create_constraint=True,
                name=column)


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    SUPPORTER = "supporter"
    MANAGER = "manager"
    ADMIN = "admin"


class TicketType(enum.StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"


class Status(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATUSES = (Status.OPEN, Status.PENDING)


class Rating(enum.StrEnum):
    """Impact and urgency."""
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(enum.StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class SlaState(enum.StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class Pin(enum.StrEnum):
    SLA = "sla"
    CATALOG = "catalog"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 3", name="level_range"),
        Index("ix_users_assignable", "role", "level", "active", "away"),
        # Usernames are one name in any case: sign-in and the taken-name check look it up so.
        Index("ix_users_username_lower", func.lower(text("username")), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.CUSTOMER)
    level: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated at logout and password change: a copied session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Denormalised count of assigned open+pending tickets, kept by services.assignment.
    open_ticket_count: Mapped[int] = mapped_column(Integer, default=0)
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role != Role.CUSTOMER

    def __str__(self) -> str:
        return self.username


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.user})"


class Service(db.Model):
    """An entry of the structured service catalog."""
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    covered: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Counter(db.Model):
    """Named counters; ticket numbers come from the row 'ticket'."""
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
        Index("ix_tickets_status_id", "status", "id"),
        # The grids sort by number (newest first), id as tie-breaker.
        Index("ix_tickets_status_number_id", "status", "number", "id"),
        Index("ix_tickets_assignee_number_id", "assignee_id", "number", "id"),
        Index("ix_tickets_assignee_status_id", "assignee_id", "status", "id"),
        Index("ix_tickets_level_status_id", "level", "status", "id"),
        Index("ix_tickets_customer_id_id", "customer_id", "id"),
        Index("ix_tickets_type_id", "type", "id"),
        Index("ix_tickets_priority_id", "priority", "id"),
        Index("ix_tickets_service_id_id", "service_id", "id"),
        Index("ix_tickets_created_at_id", "created_at", "id"),
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
        Index("ix_tickets_resolution_due_at_id", "resolution_due_at", "id"),
        Index("ix_tickets_parent_id", "parent_id"),
        Index("ix_tickets_status_changed_at", "status", "status_changed_at"),
        # SLA job and dashboard (issue 7).
        Index("ix_tickets_sla_watch", "status", "sla_state", "resolution_risk_at"),
        Index("ix_tickets_response_due_at", "response_due_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),
        Index("ix_tickets_rated_at", "rated_at"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    type: Mapped[TicketType] = mapped_column(_enum(TicketType, "type"))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.OPEN)
    impact: Mapped[Rating] = mapped_column(_enum(Rating, "impact"), default=Rating.MEDIUM)
    urgency: Mapped[Rating] = mapped_column(_enum(Rating, "urgency"), default=Rating.MEDIUM)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "priority"), default=Priority.P3)
    priority_reason: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer, default=1)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The customer's closed ticket this one follows up ("closed, but it happened again").
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    is_major: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    auto_close_warned_at: Mapped[datetime | None] = mapped_column(DateTime)
    # SLA: due times, first staff response, and the pending time that does not count.
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    response_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_state: Mapped[SlaState] = mapped_column(_enum(SlaState, "sla_state"), default=SlaState.OK)
    # When the share of each target that counts as "at risk" has elapsed (pauses included).
    response_risk_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_risk_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Customer satisfaction, asked for once the ticket is resolved.
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A customer replied and the assignee has not opened the ticket since.
    unread_by_assignee: Mapped[bool] = mapped_column(Boolean, default=False)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    service: Mapped[Service | None] = relationship()
    parent: Mapped[Ticket | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    follows: Mapped[Ticket | None] = relationship(remote_side=[id], foreign_keys=[follows_id])

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"


class Participant(db.Model):
    """Staff who took part in a ticket (assigned, escalated, commented): widens what they read."""
    __tablename__ = "participants"
    __table_args__ = (Index("ix_participants_user_ticket", "user_id", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    author: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"Comment {self.id} on ticket {self.ticket_id}"


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    comment: Mapped[Comment | None] = relationship()

    def __str__(self) -> str:
        return self.filename


class PendingUpload(db.Model):
    """A checked file waiting, for a short while, for the form it was sent with to be sent again
    (the form was shown back for a correction or a confirmation). Only its uploader claims it."""
    __tablename__ = "pending_uploads"
    __table_args__ = (Index("ix_pending_uploads_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    def __str__(self) -> str:
        return self.filename


class AuditEvent(db.Model):
    """Append-only trail of every change to a ticket (or document)."""
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_ticket_id_id", "ticket_id", "id"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.action} on ticket {self.ticket_id}"


class Document(db.Model):
    """A knowledge-base document in Markdown; at most one is pinned as each of SLA and catalog."""
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    pinned_as: Mapped[Pin | None] = mapped_column(_enum(Pin, "pinned_as"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.title


class DocumentRevision(db.Model):
    __tablename__ = "document_revisions"
    __table_args__ = (Index("ix_document_revisions_document_id_id", "document_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class CannedReply(db.Model):
    """A supporter's stock answer; {customer} is replaced by the customer's name."""
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return self.title


class Notification(db.Model):
    """An in-app notification for one user."""
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read_id", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    # What `kind` needs beyond the ticket (a status, a date), so each reader sees their language.
    params: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[Ticket | None] = relationship()

    def __str__(self) -> str:
        return self.message


class OutboxEmail(db.Model):
    """An email written in the same transaction as the change; a job delivers it."""
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __str__(self) -> str:
        return f"{self.subject} -> {self.recipient}"



class Calendar(db.Model):
    """Working days and opening hours in a time zone; business-hours SLA targets count in it."""
    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    # ISO weekday numbers (Monday 1 ... Sunday 7) of the working days, e.g. "12345".
    working_days: Mapped[str] = mapped_column(String(7), default="12345")
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(16, 0))

    def __str__(self) -> str:
        return self.name


class Holiday(db.Model):
    """A day a calendar is closed."""
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "date", name="uq_holidays_calendar_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id"))
    date: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(80))

    calendar: Mapped[Calendar] = relationship()

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(db.Model):
    """First-response and resolution targets for one priority."""
    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint("first_response_minutes > 0 AND resolution_minutes > 0",
                        name="positive_targets"),
        CheckConstraint("at_risk_percent BETWEEN 1 AND 99", name="at_risk_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "priority"), unique=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    # False: calendar hours, round the clock; True: the opening hours of `calendar`.
    business_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=80)

    calendar: Mapped[Calendar | None] = relationship()

    def __str__(self) -> str:
        return f"SLA {self.priority.value}"


class SlaPause(db.Model):
    """A stretch of time the SLA clock of a ticket stood still (waiting on the customer)."""
    __tablename__ = "sla_pauses"
    __table_args__ = (Index("ix_sla_pauses_ticket_id_started_at", "ticket_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __str__(self) -> str:
        return f"SLA pause on ticket {self.ticket_id}"


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class MajorIncidentProposal(db.Model):
    """Similar incident reports from several customers: maybe one major incident (issue 8)."""
    __tablename__ = "major_incident_proposals"
    __table_args__ = (Index("ix_major_incident_proposals_status_id", "status", "id"),
                      Index("ix_major_incident_proposals_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus, "status"),
                                                   default=ProposalStatus.PROPOSED)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Who accepted or dismissed it; None with a decision means the system (auto-open).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    decided_by: Mapped[User | None] = relationship()
    parent: Mapped[Ticket | None] = relationship()
    members: Mapped[list[ProposalMember]] = relationship(
        back_populates="proposal", order_by="ProposalMember.ticket_id")

    def __str__(self) -> str:
        return f"Proposal {self.id}: {self.title}"


class ProposalMember(db.Model):
    """A report that belongs to a major-incident proposal."""
    __tablename__ = "proposal_members"
    __table_args__ = (Index("ix_proposal_members_ticket_id", "ticket_id"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("major_incident_proposals.id"),
                                             primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)

    proposal: Mapped[MajorIncidentProposal] = relationship(back_populates="members")
    ticket: Mapped[Ticket] = relationship()

    def __str__(self) -> str:
        return f"Ticket {self.ticket_id} in proposal {self.proposal_id}"


class IntakeTemplate(db.Model):
    """A short guide of checks shown before the ticket form of one catalog service."""
    __tablename__ = "intake_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), unique=True)
    introduction: Mapped[str] = mapped_column(Text, default="")

    service: Mapped[Service] = relationship()
    checks: Mapped[list[IntakeCheck]] = relationship(
        back_populates="template", order_by="(IntakeCheck.position, IntakeCheck.id)",
        cascade="all, delete-orphan")
    fields: Mapped[list[IntakeField]] = relationship(
        back_populates="template", order_by="(IntakeField.position, IntakeField.id)",
        cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"Guide for {self.service}"


class IntakeCheck(db.Model):
    """One step of a guide: a question, with a hint on how to check it."""
    __tablename__ = "intake_checks"
    __table_args__ = (Index("ix_intake_checks_template_id_position", "template_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("intake_templates.id"))
    position: Mapped[int] = mapped_column(Integer, default=1)
    question: Mapped[str] = mapped_column(String(300))
    hint: Mapped[str] = mapped_column(Text, default="")

    template: Mapped[IntakeTemplate] = relationship(back_populates="checks")

    def __str__(self) -> str:
        return self.question


class IntakeField(db.Model):
    """Something the customer fills in on the service's ticket form (asset tag, room, since when)."""
    __tablename__ = "intake_fields"
    __table_args__ = (Index("ix_intake_fields_template_id_position", "template_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("intake_templates.id"))
    position: Mapped[int] = mapped_column(Integer, default=1)
    label: Mapped[str] = mapped_column(String(120))
    help: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    template: Mapped[IntakeTemplate] = relationship(back_populates="fields")

    def __str__(self) -> str:
        return self.label


class Deflection(db.Model):
    """A customer whose problem the guide solved: no ticket was filed."""
    __tablename__ = "deflections"
    __table_args__ = (Index("ix_deflections_created_at_service_id", "created_at", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    service: Mapped[Service] = relationship()

    def __str__(self) -> str:
        return f"Deflection for {self.service_id} at {self.created_at:%Y-%m-%d %H:%M}"


class DashboardSnapshot(db.Model):
    """The dashboard's figures as last computed for one time zone (days are local days)."""
    __tablename__ = "dashboard_snapshots"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    figures: Mapped[str] = mapped_column(Text)  # JSON, see services/dashboard.py

    def __str__(self) -> str:
        return f"Dashboard for {self.zone} at {self.computed_at:%Y-%m-%d %H:%M}"
