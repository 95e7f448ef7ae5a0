"""Are two incident reports about the same thing? Danish and English, typos tolerated.

Text is normalised (case, accents, æ/ø/å), stop words and words that say only "it is broken"
are dropped (so every "kan ikke …" report is not one cluster), words are lightly stemmed, and
two reports are compared by a fuzzy Jaccard score over what is left: rapidfuzz matches words
that differ by a typo or an ending ("internettet" ~ "internet").
"""
import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process

SIMILAR = 0.34  # score from which two reports count as the same incident (tuned on tests/data)
WORD_MATCH = 82  # rapidfuzz ratio from which two words count as the same

_STOP_WORDS = frozenset("""
a af alle alt altid and are at bare be been being but by da de dem den denne der det dette
dig din dine dit du efter eller en er et for fra få gang godt gå har have hele helt her hi
hej hos hvad hvis hvor i ikke in ind is it its jeg jer kan kommer kun lidt lige man med meget
mig min mine mit mod my ned no noget nogen nok nu når og ogsa også om op os over pa på same
sig sin skal som stadig så the til to ud under ved vi vil was we what when while with would
ja nej tak please thanks thank you your our can cannot cant can't not dont don't doesnt does
do did just still any some this that there have has had get got new ny nyt nye min mit
men of out on off after right won igen samme siden morgen morges gerne tiden never come send
sender sendt komme kommer heller also too very really since today idag nu
""".split())
# Words that say only that something is wrong, not what: they must not make reports similar.
_GENERIC = frozenset("""
virker virke fungerer fungere problem problemer problemet fejl fejlen hjælp help issue issues
error errors broken work works working problem problems trouble sag sagen ticket ting tingen
mere ingen nothing anything something altså stoppet stopped fails failed failing
""".split())
# A small bilingual lexicon: words (by prefix, after folding) that name the same thing.
_CONCEPTS = {
    "internet": ("internet", "online", "nettet", "netvaerk", "network"),
    "print": ("print", "udskri"),
    "screen": ("skaerm", "screen", "monitor", "display"),
    "black": ("sort", "black", "dark", "moerk"),
    "password": ("password", "adgangskode", "kodeord", "pwd"),
    "forgot": ("glemt", "glemme", "forgot", "forget"),
    "account": ("konto", "account", "login", "bruger", "user"),
    "freeze": ("fryse", "fryser", "freez", "froze", "haeng", "hang", "lagg"),
    "meeting": ("moede", "videomoede", "meeting", "call", "opkald"),
    "start": ("start", "opstart", "aabn", "open", "crash", "lukke", "lukker", "close", "closing"),
    "connect": ("forbind", "connect", "tilslut"),
    "home": ("hjem", "home", "remote"),
    "office": ("kontor", "office", "floor", "etage", "afdeling"),
    "down": ("nede", "down", "vaek", "mist", "dropped", "offline", "afbry", "disconnect"),
    "nothing": ("intet", "nothing", "ingenting"),
    "outlook": ("outlook", "mail", "email", "e-mail"),
    "teams": ("teams",),
    "vpn": ("vpn",),
    "paper": ("papir", "paper"),
    "toner": ("toner", "blaek", "ink"),
    "order": ("bestil", "order"),
    "calendar": ("kalender", "calendar"),
    "wifi": ("wifi", "wlan"),
    "signature": ("signatur", "signature"),
    "empty": ("tom", "empty"),
    "everyone": ("kollega", "colleague", "everybody", "everyone", "nobody", "alle", "hele"),
    "mouse": ("mus", "mouse"),
    "phone": ("telefon", "phone", "mobil"),
}
# Longest prefixes first, so "kontor" (office) wins over "konto" (account).
_PREFIXES = sorted(((prefix, concept) for concept, prefixes in _CONCEPTS.items()
                    for prefix in prefixes), key=lambda item: -len(item[0]))
OTHER_WORD_WEIGHT = 0.25  # words outside the lexicon count, but much less
_SUFFIXES = ("erne", "ene", "ing", "ets", "et", "en", "er", "ed", "es", "e", "s")
_WORD = re.compile(r"[a-z0-9]+")
_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def _fold(text: str) -> str:
    text = text.lower().translate(_LETTERS)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


_IGNORED = frozenset(_fold(w) for w in _STOP_WORDS | _GENERIC)


def is_filler(word: str) -> bool:
    """A stop word, or a word that only says something is wrong (either language)."""
    return _fold(word) in _IGNORED


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _concept(word: str) -> str:
    for prefix, concept in _PREFIXES:
        if word.startswith(prefix):
            return concept
    return _stem(word)


def _weight(word: str) -> float:
    return 1.0 if word in _CONCEPTS else OTHER_WORD_WEIGHT


@lru_cache(maxsize=4096)
def keywords(text: str) -> frozenset[str]:
    """The concepts of a report: what it is about, in either language."""
    words = _WORD.findall(_fold(text))
    return frozenset(_concept(w) for w in words
                     if len(w) > 1 and w not in _IGNORED and not w.isdigit())


def similarity(a: str, b: str) -> float:
    """Weighted fuzzy Jaccard of the two reports' concepts, 0..1."""
    left, right = keywords(a), keywords(b)
    if not left or not right:
        return 0.0
    matched = sum(_weight(word) for word in left if _matches(word, right))
    total = sum(map(_weight, left)) + sum(map(_weight, right)) - matched
    return matched / total


def _matches(word: str, others: frozenset[str]) -> bool:
    if word in others:
        return True
    if word in _CONCEPTS:
        return False
    return process.extractOne(word, others, scorer=fuzz.ratio,
                              score_cutoff=WORD_MATCH) is not None


def _best_possible(left: frozenset[str], right: frozenset[str]) -> float:
    """An upper bound of similarity(): lexicon concepts match only exactly, so the score
    cannot beat the one where every other word finds a fuzzy partner. Cheap: no rapidfuzz."""
    total = sum(map(_weight, left)) + sum(map(_weight, right))
    matched = sum(_weight(word) for word in left if word in right or word not in _CONCEPTS)
    return matched / (total - matched) if total > matched else 1.0


def same_incident(a: str, b: str) -> bool:
    """The two reports are about the same incident (the fuzzy comparison only when it can be)."""
    left, right = keywords(a), keywords(b)
    if not left or not right or _best_possible(left, right) < SIMILAR:
        return False
    return similarity(a, b) >= SIMILAR
