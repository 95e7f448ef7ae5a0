"""Demo data: the people, documents and services of the seed."""
from sqlalchemy import select

from models import CannedReply, IntakeTemplate, Pin, Role, Service, User, db
from services import accounts, calendars, documents, intake

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

# Guided intake: the checks shown before the form, per service (question, hint).
INTAKE_GUIDES = {
    "Printservice": [
        ("Er printeren tændt?", "Der lyser en lampe på printerens forside, når den er tændt."),
        ("Er kablet sat i?", "Se efter, at strømkablet og netværkskablet sidder fast i begge ender."),
        ("Er der papir i bakken?", "Træk papirbakken ud og læg papir i, hvis den er tom."),
    ],
    "IT-support": [
        ("Er skærmen tændt?", "Tryk på tænd-knappen på skærmen; den lyser, når skærmen er tændt."),
        ("Er kablet sat i?", "Se efter, at skærmkablet sidder fast i både skærm og pc."),
    ],
}

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
    created += _load_intake_guides()
    created += calendars.ensure_sla_defaults()
    db.session.flush()
    return created


def _load_intake_guides() -> int:
    created = 0
    for name, checks in INTAKE_GUIDES.items():
        service = db.session.scalar(select(Service).where(Service.name == name))
        has_guide = db.session.scalar(select(IntakeTemplate.id).where(
            IntakeTemplate.service_id == service.id)) if service else True
        if not has_guide:
            intake.save_template(service, checks)
            created += 1
    return created
