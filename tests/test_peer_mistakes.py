"""Each mistake a peer service desk shipped (shared SECURITY.md) has a test here or elsewhere
whose docstring names it; this module checks that none is forgotten, and adds the ones that
had no natural home."""
import ast
from pathlib import Path

import pytest

from models import Attachment, db, utcnow
from services import tickets

PEER_MISTAKES = {
    "CVE-2021-3994": "Markdown javascript: links as stored XSS (django-helpdesk)",
    "CVE-2021-3945": "a ticket-list field printed unescaped (django-helpdesk)",
    "#1335": "attachments looked up by id without their ticket (django-helpdesk)",
    "CVE-2009-5055": "customer id matched by substring (OTRS)",
    "CVE-2013-3551": "a second code path skipped the permission check (OTRS)",
    "CVE-2025-26846": "the API update path skipped the check (Znuny)",
    "GHSA-6ww2-5f5r-f44h": "customer overview showed internal articles (OTRS)",
    "CVE-2021-21435": "agent-only data in a customer document (OTRS)",
    "CVE-2022-40817": "read-only agents could change links and tags (Zammad)",
    "CVE-2022-40816": "a filter enforced on one transport only (Zammad)",
    "#3767": "CSV export cells ran as formulas (osTicket)",
    "CVE-2021-45811": "SQL injection in ticket search (osTicket)",
    "CVE-2026-9507": "session id not renewed at login (osTicket)",
    "CVE-2026-26895": "user enumeration through password reset (osTicket)",
    "CVE-2026-32312": "export checked a generic read right (GLPI)",
    "CVE-2018-16516": "?url=javascript: reflected XSS (Flask-Admin)",
}


def _docstrings() -> str:
    texts = []
    for path in Path(__file__).parent.glob("test_*.py"):
        tree = ast.parse(path.read_text())
        nodes = [tree] + [n for n in ast.walk(tree)
                          if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        texts += [ast.get_docstring(n) or "" for n in nodes if n is tree or
                  n.name.startswith(("test_", "Test"))]
    return "\n".join(texts)


@pytest.mark.parametrize("mistake", sorted(PEER_MISTAKES))
def test_every_peer_mistake_is_named_in_a_test(mistake):
    assert mistake in _docstrings().replace("PEER_MISTAKES", ""), PEER_MISTAKES[mistake]


def test_a_supporter_cannot_fetch_an_attachment_of_a_ticket_out_of_scope(
        client, staff, make_user, make_ticket, tmp_path):
    """django-helpdesk #1335, for staff: the id alone does not open another level's file."""
    ticket = make_ticket(make_user("anna"))
    tickets.escalate(staff["l1"], ticket, level=3)
    (tmp_path / "uploads").mkdir(exist_ok=True)
    (tmp_path / "uploads" / ("a" * 32)).write_text("secret log")
    attachment = Attachment(ticket_id=ticket.id, uploader_id=ticket.customer_id,
                            filename="log.txt", stored_name="a" * 32, content_type="text/plain",
                            size=10, created_at=utcnow())
    db.session.add(attachment)
    db.session.commit()
    client.login("l1b")  # level 1, never took part
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
    client.logout()
    client.login("l3a")
    assert client.get(f"/attachments/{attachment.id}").data == b"secret log"
