"""Keep secrets out of tickets: passwords, Danish CPR numbers and remote-access credentials
are masked before anything is stored (DESIGN.md, "Conversation")."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l

MASK = "[hidden]"

_KEYWORDS = r"password|passwd|pwd|adgangskode|kodeord|kode"
# keyword, an optional separator or verb ("is", "er"), then the value itself.
_PASSWORD = re.compile(
    rf"(?P<key>\b(?:{_KEYWORDS})\b)(?P<sep>\s*[:=]\s*|\s+(?:is|er|was|var)\s*[:=]?\s*|\s+)"
    r"(?P<value>[^\s,;]+)",
    re.IGNORECASE)
_CPR = re.compile(r"(?<![\d-])(\d{2})(\d{2})(\d{2})-?(\d{4})(?![\d-])")
_REMOTE_ID = re.compile(
    r"(?P<key>\b(?:teamviewer|anydesk)(?:[\s-]*(?:id|nr\.?|nummer))?\s*[:=]?\s*)"
    r"(?P<value>\d[\d ]{7,}\d)", re.IGNORECASE)
_ASKS_FOR_SECRET = re.compile(rf"\b(?:{_KEYWORDS}|cpr)", re.IGNORECASE)

_WORDS_THAT_ARE_NOT_VALUES = {"og", "and", "or", "eller", "til", "to", "for", "som", "the", "dit",
                              "din", "your", "my", "min", "mit"}


def _valid_cpr_date(day: str, month: str, year: str) -> bool:
    for century in (1900, 2000):
        try:
            date(century + int(year), int(month), int(day))
            return True
        except ValueError:
            continue
    return False


def _mask_password(match: re.Match) -> str:
    value, sep = match["value"], match["sep"]
    explicit = sep.strip() != ""
    looks_secret = not value.isalpha()
    if value.lower() in _WORDS_THAT_ARE_NOT_VALUES or not (explicit or looks_secret):
        return match[0]
    return f"{match['key']}{sep}{MASK}"


def _mask_cpr(match: re.Match) -> str:
    return MASK if _valid_cpr_date(match[1], match[2], match[3]) else match[0]


def mask_secrets(text: str) -> tuple[str, list[str]]:
    """Return the text with secrets masked, and one warning per kind of secret found."""
    warnings = []
    for pattern, replace, warning in (
        (_PASSWORD, _mask_password, _l("A password was removed from your text.")),
        (_CPR, _mask_cpr, _l("A CPR number was removed from your text.")),
        (_REMOTE_ID, lambda m: f"{m['key']}{MASK}",
         _l("Remote-access credentials were removed from your text.")),
    ):
        masked = pattern.sub(replace, text)
        if masked != text:
            warnings.append(str(warning))
            text = masked
    return text, warnings


def asks_for_secret(text: str) -> bool:
    """The text mentions a password or CPR number: warn a supporter before it is sent."""
    return bool(_ASKS_FOR_SECRET.search(text))
