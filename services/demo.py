"""Demo data: the people, documents and services of the seed, and synthetic tickets in bulk."""
import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from models import (
    AuditEvent, CannedReply, Comment, Counter, Pin, Rating, Role, Service, Status, Ticket,
    TicketType, User, db, utcnow,
)
from services import accounts, calendars, documents
from services.assignment import recount_loads
from services.priority import priority_for

# Created in this order: LevelOneSupporter1 gets the lower id, so it wins the first tie.
DEMO_USERS = (
    ("admin", Role.ADMIN, None),
    ("manager", Role.MANAGER, None),
    ("LevelOneSupporter1", Role.SUPPORTER, 1),
    ("LevelOneTim", Role.SUPPORTER, 1),
    ("LevelTwoAhmed", Role.SUPPORTER, 2),
    ("Kunde", Role.CUSTOMER, None),
    ("CustomerJannet", Role.CUSTOMER, None),
    ("CustomerRaul", Role.CUSTOMER, None),
)

SERVICES = (
    ("Brugeradministration", "Oprettelse af brugere, administration af konti, passwords og adgang.", True),
    ("Printservice", "Opstilling og vedligeholdelse af printere; support til brug af printere.", True),
    ("IT-support", "Hjælp til fejl på pc, programmer og netværk.", True),
    ("PC-levering", "Levering og opsætning af nye pc'er.", True),
    ("Mobiltelefoner", "Telefoner og abonnementer (ikke en del af kataloget).", False),
)

SLA_TEXT = """# Service Level Agreement

Denne aftale beskriver, hvor hurtigt IT-supporten svarer og løser sager.

## Prioritet

Prioriteten findes ud fra **påvirkning** (impact) og **hast** (urgency):

| påvirkning \\ hast | høj | middel | lav |
| --- | --- | --- | --- |
| høj | P1 | P2 | P3 |
| middel | P2 | P3 | P4 |
| lav | P3 | P4 | P4 |

## Svar- og løsningstider

| prioritet | første svar | løsning | ur |
| --- | --- | --- | --- |
| P1 | 1 time | 4 timer | døgnet rundt |
| P2 | 4 timer | 1 arbejdsdag | arbejdstid |
| P3 | 1 arbejdsdag | 3 arbejdsdage | arbejdstid |
| P4 | 2 arbejdsdage | 10 arbejdsdage | arbejdstid |

Arbejdstid er hverdage kl. 8–16 (dansk tid), undtagen helligdage: nytårsdag, skærtorsdag,
langfredag, påskedag, 2. påskedag, Kristi himmelfartsdag, pinsedag, 2. pinsedag, grundlovsdag,
juleaftensdag, juledag og 2. juledag. En arbejdsdag er 8 timers arbejdstid. Tiden regnes fra
sagen oprettes. Tid, hvor en sag venter på kunden (status *pending*) eller er løst, tæller ikke
med; svarer kunden, løber tiden videre.

Sager, hvor 80 % af tiden er gået, markeres som i fare, og den ansvarlige supporter får besked.
Overskrides en tid, får også næste supportniveau (eller administratorerne) besked.

## Tilfredshed

Når en sag er løst, kan du give supporten en karakter fra 1 til 5 og en kommentar på sagen.

## Lukning

En sag, der venter på kunden, lukkes automatisk efter 7 dage uden svar (med en påmindelse 2 dage
før). En løst sag kan genåbnes i 7 dage ved at svare på den.
"""

CATALOG_TEXT = """# Service catalog

Service beskrivelse - Kort forklaring af kundens behov og servicens formål.
Hvad er omfattet - Beskrivelser af konkrete ydelser.
Tilgængelighed - Hvem, hvor og hvornår servicen er relevant og tilgængelig.
Forudsætninger og afgrænsninger - Hvad der skal være på plads for servicen.
Afregning - Hvordan kunden betaler for servicen, hvis relevant.

## Brugeradministration

**Service beskrivelse:** Brugeradministration

**Omfattet:** Opstilling af brugere til interne i organisationen. Administration af
brugerkonti, -passwords og -adgang.

**Tilgængelighed:** Alle i organisationen kan få en bruger. Alle i organisationen kan få
nulstillet deres password. Brugeradministration foregår i tidsrummet 12:49 – 12:50.

**Forudsætninger og afgrænsninger:** Max. 1 bruger pr. person. Kun interne personer kan få
brugere.

**Afregning:** Fast månedligt beløb efter antal brugere.

## Printservice

**Service beskrivelse:** Printservice

**Omfattet:** Opstilling og vedligeholdelse af printere, inklusive påfyldning af blæk, papir
m.m. Support til brug af printere.

**Tilgængelighed:** Alle interne personer skal kunne printe fra kl. 8 til kl. 16.

**Forudsætninger og afgrænsninger:** Organisationen skal have plads til en eller flere printere.

**Afregning:** Fast pris pr. printet side.
"""

CANNED_REPLIES = (
    ("Er du på internettet?", "Hej {customer}\n\nEr din PC forbundet til internettet?"),
    ("Genstart", "Hej {customer}\n\nVil du prøve at genstarte din PC og fortælle, om det hjælper?"),
    ("Løst", "Hej {customer}\n\nSagen er løst. Svar gerne her, hvis problemet kommer igen."),
)


def _get_or_create_user(name: str, role: Role, level: int | None, password: str) -> bool:
    if db.session.scalar(select(User.id).where(User.username == name)):
        return False
    accounts.create_user(name, password, role, level, email=f"{name.lower()}@example.com")
    return True


def load_demo(password: str) -> int:
    """Create whatever of the demo data is missing; returns how many records were created."""
    created = sum(_get_or_create_user(name, role, level, password)
                  for name, role, level in DEMO_USERS)
    for name, description, covered in SERVICES:
        if not db.session.scalar(select(Service.id).where(Service.name == name)):
            db.session.add(Service(name=name, description=description, covered=covered))
            created += 1
    for title, body in CANNED_REPLIES:
        if not db.session.scalar(select(CannedReply.id).where(CannedReply.title == title)):
            db.session.add(CannedReply(title=title, body=body))
            created += 1
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    for pin, title, text in ((Pin.SLA, "SLA", SLA_TEXT),
                             (Pin.CATALOG, "Service Catalog", CATALOG_TEXT)):
        if documents.pinned(pin) is None:
            document = documents.save(admin, None, title, text, public=True)
            documents.pin(admin, document, pin)
            created += 1
    created += calendars.ensure_sla_defaults()
    db.session.flush()
    return created


_TITLES = ("Jeg kan ikke printe", "Ingen internet", "Outlook starter ikke", "Skærmen er sort",
           "Ny bruger til praktikant", "Glemt password", "VPN virker ikke", "Printer mangler papir",
           "Ny PC til medarbejder", "Teams fryser")


def generate_tickets(count: int, comments_per_ticket: int = 3, progress=None,
                     chunk: int = 20000, seed: int = 7) -> None:
    """Add `count` synthetic tickets in bulk, keeping the services' invariants:
    valid status and level, an assignee of the ticket's level, numbers from the shared counter,
    a `created` audit event per ticket, and supporter loads that add up."""
    rng = random.Random(seed)
    customers = db.session.scalars(select(User.id).where(User.role == Role.CUSTOMER)).all()
    supporters = {level: db.session.scalars(select(User.id).where(
        User.role == Role.SUPPORTER, User.level == level, User.active.is_(True))).all()
        for level in (1, 2, 3)}
    if not customers:
        raise ValueError("no customers: run `flask --app app demo` first")
    last = db.session.execute(update(Counter).where(Counter.name == "ticket")
                              .values(value=Counter.value + count).returning(Counter.value)
                              ).scalar_one()
    first_number = last - count + 1
    next_id = (db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
    start = utcnow() - timedelta(days=365)
    done = 0
    while done < count:
        size = min(chunk, count - done)
        rows, events, comments = [], [], []
        for offset in range(size):
            ticket_id, number = next_id + done + offset, first_number + done + offset
            rows.append(_synthetic_ticket(rng, ticket_id, number, customers, supporters, start))
            row = rows[-1]
            events.append({"ticket_id": ticket_id, "actor_id": row["customer_id"],
                           "action": "created", "new_value": row["title"],
                           "created_at": row["created_at"]})
            for k in range(comments_per_ticket):
                author = row["customer_id"] if k % 2 == 0 or row["assignee_id"] is None \
                    else row["assignee_id"]
                comments.append({"ticket_id": ticket_id, "author_id": author,
                                 "body": f"Synthetic comment {k + 1} on #{number}.",
                                 "internal": False,
                                 "created_at": row["created_at"] + timedelta(minutes=10 * (k + 1))})
        db.session.execute(insert(Ticket), rows)
        db.session.execute(insert(AuditEvent), events)
        if comments:
            db.session.execute(insert(Comment), comments)
        db.session.commit()
        done += size
        if progress:
            progress(f"  {done}/{count} tickets")
    recount_loads()
    db.session.commit()


def _synthetic_ticket(rng, ticket_id, number, customers, supporters, start) -> dict:
    level = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
    staff = supporters[level]
    status = rng.choices(list(Status), weights=(20, 10, 20, 50))[0]
    created = start + timedelta(seconds=rng.randrange(365 * 86400))
    impact, urgency = rng.choice(list(Rating)), rng.choice(list(Rating))
    return {
        "id": ticket_id, "number": number, "title": rng.choice(_TITLES),
        "description": f"Synthetic ticket {number}.", "type": rng.choice(list(TicketType)),
        "status": status, "impact": impact, "urgency": urgency,
        "priority": priority_for(impact, urgency), "level": level,
        "assignee_id": rng.choice(staff) if staff else None,
        "customer_id": rng.choice(customers), "is_major": False,
        "created_at": created, "updated_at": created + timedelta(hours=1),
        "status_changed_at": created + timedelta(hours=1),
        "sla_paused_seconds": 0, "sla_state": "ok", "unread_by_assignee": False,
        "resolved_at": created + timedelta(hours=1) if status in (Status.RESOLVED, Status.CLOSED)
        else None,
        "closed_at": created + timedelta(hours=2) if status == Status.CLOSED else None,
    }
