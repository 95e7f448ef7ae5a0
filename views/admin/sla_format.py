"""How a ticket's SLA state looks in grids and pages: `sla_badge(ticket)` (the ticket grids
put it after the due time; templates call the Jinja global)."""
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from models import SlaState, Status
from views.labels import localtime

_LOOK = {
    SlaState.BREACHED: ("badge badge-danger sla-breached", _l("SLA breached")),
    SlaState.AT_RISK: ("badge badge-warning sla-at-risk", _l("SLA at risk")),
}


def sla_badge(ticket) -> Markup:
    """A badge for a breached, at-risk or paused ticket, titled with its resolution due time."""
    if ticket.sla_state in _LOOK:
        css, label = _LOOK[ticket.sla_state]
    elif ticket.status == Status.PENDING and ticket.resolution_due_at is not None:
        css, label = "badge badge-secondary sla-paused", _l("SLA paused")
    else:
        return Markup("")
    due = ticket.resolution_due_at
    title = _l("Resolution due %(at)s", at=localtime(due)) if due else ""
    return Markup('<span class="{}" title="{}">{}</span>').format(css, escape(str(title)),
                                                                  escape(str(label)))

