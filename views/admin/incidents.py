"""Major-incident proposals in the backoffice: the list, accept and dismiss.

Staff read the list; supporters and admins decide (services/proposals.py checks it). Registered
by `register_incidents(admin)` from views/admin/__init__.py.
"""
from flask import abort, flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from models import MajorIncidentProposal, ProposalMember, ProposalStatus, Ticket, db
from services import DomainError, Forbidden, proposals
from views import form_error
from views.admin.base import STAFF, has_role, staff_only_callback

LIST_LIMIT = 100


class ProposalsView(BaseView):
    """Pending proposals first, then the latest decisions."""

    def is_accessible(self) -> bool:
        return has_role(STAFF)

    def inaccessible_callback(self, name, **kwargs):
        return staff_only_callback()

    @expose("/")
    def index(self):
        pending_first = case((MajorIncidentProposal.status == ProposalStatus.PROPOSED, 0), else_=1)
        rows = db.session.scalars(
            select(MajorIncidentProposal)
            .options(joinedload(MajorIncidentProposal.parent),
                     joinedload(MajorIncidentProposal.decided_by),
                     selectinload(MajorIncidentProposal.members).joinedload(ProposalMember.ticket)
                     .joinedload(Ticket.customer))
            .order_by(pending_first, MajorIncidentProposal.id.desc()).limit(LIST_LIMIT)).all()
        return self.render("admin/major_incidents.html", proposals=rows,
                           may_decide=proposals.can_decide(_current_user()))

    @expose("/<int:proposal_id>/accept", methods=("POST",))
    def accept(self, proposal_id: int):
        return self._decide(proposal_id, proposals.accept, _l("The major incident is open."))

    @expose("/<int:proposal_id>/dismiss", methods=("POST",))
    def dismiss(self, proposal_id: int):
        return self._decide(proposal_id, proposals.dismiss, _l("The proposal is dismissed."))

    def _decide(self, proposal_id: int, decide, done):
        proposal = db.session.get(MajorIncidentProposal, proposal_id)
        if proposal is None:
            abort(404)
        try:
            decide(_current_user(), proposal)
        except Forbidden:
            abort(403)
        except DomainError as error:
            form_error(None, error)
        else:
            db.session.commit()
            flash(str(done), "success")
        return redirect(url_for(".index"))


def _current_user():
    return current_user._get_current_object()


def register_incidents(admin) -> None:
    """Add "Major incidents" to the backoffice menu (/admin/major-incidents/)."""
    admin.add_view(ProposalsView(name=_l("Major incidents"), endpoint="major_incidents",
                                 url="major-incidents"))
