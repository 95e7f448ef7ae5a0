# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""Every API route x every role: the status DESIGN.md's permission table gives.

Roles: anonymous, the ticket's customer (owner), another customer, the assigned level-1
supporter (l1), another level-1 supporter (l1b), a level-2 supporter (l2), manager, admin.
"""
import pytest

from models import Pin, db
from services import documents, incidents, tickets
from tests.api_support import NEW_TICKET, auth, call, people, ticket  # noqa: F401

ROLES = ("anonymous", "owner", "other", "l1", "l1b", "l2", "manager", "admin")


def expect(*codes: int) -> dict:
    return dict(zip(ROLES, codes, strict=True))


# name: (method, url, body, expected status per role). {n} the owner's ticket, {q} the owner's
# ticket waiting in the level-1 queue, {c} the owner's ticket linked to {p}, bob's ticket,
# {e} the owner's ticket l1b escalated to level 3.
ROUTES = {
    "list": ("GET", "/tickets", None, expect(401, 200, 200, 200, 200, 200, 200, 200)),
    "create": ("POST", "/tickets", NEW_TICKET, expect(401, 201, 201, 403, 403, 403, 403, 403)),
    "read": ("GET", "/tickets/{n}", None, expect(401, 200, 404, 200, 200, 200, 200, 200)),
    "change type": ("PATCH", "/tickets/{n}", {"type": "request"},
                    expect(401, 403, 404, 200, 403, 403, 403, 200)),
    "close": ("PATCH", "/tickets/{n}", {"status": "closed"},
              expect(401, 200, 404, 200, 403, 403, 403, 200)),
    "override priority": ("PATCH", "/tickets/{n}", {"priority": "P1", "reason": "CEO"},
                          expect(401, 403, 404, 200, 403, 403, 403, 200)),
    # l1b escalated {e} to level 3: took part, so reads it still; l1 and l2 never did.
    "read above my level": ("GET", "/tickets/{e}", None,
                            expect(401, 200, 404, 404, 200, 404, 200, 200)),
    "reassign": ("PATCH", "/tickets/{n}", {"assignee": "l1b"},
                 expect(401, 403, 404, 200, 403, 403, 403, 200)),
    "comment": ("POST", "/tickets/{n}/comments", {"body": "Hej"},
                expect(401, 201, 404, 201, 201, 201, 403, 201)),
    "internal note": ("POST", "/tickets/{n}/comments", {"body": "Hm", "internal": True},
                      expect(401, 403, 404, 201, 201, 201, 403, 201)),
    "escalate": ("POST", "/tickets/{n}/escalate", {"level": 2},
                 expect(401, 403, 404, 200, 403, 403, 403, 200)),
    "take": ("POST", "/tickets/{q}/take", None, expect(401, 403, 404, 200, 200, 403, 403, 403)),
    "link": ("POST", "/tickets/{n}/link", {"parent": "{p}"},
             expect(401, 403, 404, 200, 403, 403, 403, 200)),
    "unlink": ("DELETE", "/tickets/{c}/link", None, expect(401, 403, 404, 200, 403, 403, 403, 200)),
    "me": ("GET", "/me", None, expect(401, 200, 200, 200, 200, 200, 200, 200)),
    "sla": ("GET", "/documents/sla", None, expect(200, 200, 200, 200, 200, 200, 200, 200)),
    "catalog": ("GET", "/documents/service-catalog", None,
                expect(200, 200, 200, 200, 200, 200, 200, 200)),
}


@pytest.fixture
def world(people, ticket, make_ticket):
    """The tickets and documents every route needs."""
    admin = people["admin"]
    parent = make_ticket(people["other"], title="Printers are down")
    child = make_ticket(people["owner"], title="My printer too")
    assert child.assignee_id == people["l1"].id
    incidents.link(admin, child, parent)
    escalated = make_ticket(people["owner"], title="Needs level 3")
    assert escalated.assignee_id == people["l1b"].id  # l1 has two already
    tickets.escalate(escalated.assignee, escalated, level=3, assignee=people["l3"])
    people["l1"].away = people["l1b"].away = True
    db.session.commit()
    queued = make_ticket(people["owner"], title="Waiting in the queue")
    assert queued.assignee_id is None
    people["l1"].away = people["l1b"].away = False
    for pin, title in ((Pin.SLA, "SLA"), (Pin.CATALOG, "Service Catalog")):
        documents.pin(admin, documents.save(admin, None, title, f"# {title}"), pin)
    db.session.commit()
    return {"n": ticket.number, "p": parent.number, "c": child.number, "q": queued.number,
            "e": escalated.number}


def _fill(value, numbers: dict):
    if isinstance(value, dict):
        return {key: _fill(item, numbers) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{"):
        return numbers[value.strip("{}")]
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_route_answers_each_role_as_the_permission_table_says(client, auth, people, world,
                                                              route, role):
    method, url, body, expected = ROUTES[route]
    user = None if role == "anonymous" else people[role]
    response = call(client, auth, method, url.format(**world), user, json=_fill(body, world))
    assert response.status_code == expected[role], response.get_json()
    if response.status_code >= 400:
        assert set(response.get_json()) >= {"code", "message"}


@pytest.mark.parametrize("role", ["other", "l1"])
def test_a_ticket_out_of_scope_looks_exactly_like_a_missing_one(client, auth, people, make_ticket,
                                                               role):
    make_ticket(people["owner"])  # goes to l1; the next one goes to l1b
    hidden = make_ticket(people["owner"])
    assert hidden.assignee_id == people["l1b"].id
    tickets.escalate(people["admin"], hidden, level=3)  # beyond l1, who never took part
    db.session.commit()
    out_of_scope = call(client, auth, "GET", f"/tickets/{hidden.number}", people[role])
    missing = call(client, auth, "GET", "/tickets/99999", people[role])
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.get_json() == missing.get_json()
