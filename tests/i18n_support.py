"""Helpers for the language tests: compiled catalogues, a page's visible text, English left over."""
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import flask_admin
from babel.messages.pofile import read_po

from scripts.translations import TRANSLATIONS, compile_catalogues

FLASK_ADMIN_DA = Path(flask_admin.__file__).parent / "translations/da/LC_MESSAGES/admin.po"
OUR_DA = TRANSLATIONS / "da/LC_MESSAGES/messages.po"

# Flask-Admin's stock English that would betray an untranslated backoffice, beside our catalogue.
KNOWN_ENGLISH = ["With selected", "Add Filter", "Created At", "Updated At", "Pinned As",
                 "Open Ticket Count", "My tickets", "Log out", "Logout", "Knowledge base",
                 "Conversation and history", "Send reply", "Escalate", "Resolved", "Pending"]

ATTRIBUTES_READ_ALOUD = ("aria-label", "title", "placeholder", "alt", "value")
_SKIPPED_TAGS = {"script", "style", "textarea", "code", "option"}
# Flask-Admin's filter definitions: JSON in hidden divs, read by its script, never shown.
_HIDDEN_DATA = re.compile(r'<div id="[\w-]+-data" class="d-none">[^<]*</div>')


@cache
def catalogues_compiled() -> bool:
    """Build the .mo files once per process (they are not committed)."""
    compile_catalogues()
    return True


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        values = dict(attrs)
        for name in ATTRIBUTES_READ_ALOUD:
            # Buttons show their value; hidden inputs (tokens, next URLs) show nothing.
            if name == "value" and not (tag == "input" and values.get("type") in ("submit", "button")):
                continue
            if values.get(name):
                self.parts.append(values[name])

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees or hears: text outside scripts and user content, and labels."""
    parser = _VisibleText()
    parser.feed(_HIDDEN_DATA.sub("", html))
    return re.sub(r"\s+", " ", " ".join(parts.strip() for parts in parser.parts)).strip()


def _pairs(path: Path) -> list[tuple[str, str]]:
    with path.open("rb") as source:
        catalog = read_po(source)
    pairs = []
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            pairs.append((message.id, message.string))
    return pairs


@cache
def english_phrases() -> tuple[str, ...]:
    """English message texts whose Danish differs: none of them may show on a Danish page.

    The parts between placeholders are checked; fragments shorter than four letters are not
    (they match inside other words and names)."""
    phrases = set(KNOWN_ENGLISH)
    for path in (OUR_DA, FLASK_ADMIN_DA):
        for english, danish in _pairs(path):
            if english == danish:
                continue
            for fragment in re.split(r"%\(\w+\)s|%s|\{\w+\}", english):
                fragment = fragment.strip(" .,:;()!?#\"'")
                if len(re.sub(r"[^A-Za-z]", "", fragment)) >= 4 and fragment not in danish:
                    phrases.add(fragment)
    return tuple(sorted(phrases))


def english_left(text: str) -> list[str]:
    """The English phrases found in a page's visible text (whole words, case-sensitive),
    each with the words around it, so a failure says where to look."""
    found = []
    for phrase in english_phrases():
        match = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)
        if match:
            found.append(f"{phrase} … {text[max(match.start() - 40, 0):match.end() + 40]}")
    return found
