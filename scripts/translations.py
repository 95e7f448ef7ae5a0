"""The message catalogues: `make translations` extracts, updates, compiles and lists what is left.

    python scripts/translations.py            # extract + update + compile, then list untranslated
    python scripts/translations.py compile    # only compile translations/*/LC_MESSAGES/*.po to .mo

The .po files are committed; the .mo files are built (`make run` and `make test` compile them,
and so do the tests that need Danish), never committed.
"""
import os
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2"]


def catalogues() -> list[Path]:
    """Every language's messages.po."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def compile_catalogues() -> None:
    """Write each .mo next to its .po, atomically (parallel test workers may compile at once):
    ours (messages.po) and the gaps in Flask-Admin's own (admin.po)."""
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(temporary, po_path.with_suffix(".mo"))


def untranslated(po_path: Path) -> list[str]:
    """Message ids without a translation, or marked fuzzy, in one catalogue."""
    with po_path.open("rb") as source:
        catalog = read_po(source)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def extract(template: Path = TEMPLATE) -> None:
    """Collect every _() / _l() of our Python and templates into `template`."""
    # Fixed argument lists running the venv's own pybabel; nothing comes from outside.
    subprocess.run([*PYBABEL, "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-wrap",
                    "--sort-by-file", "--project", "Helpdesk", "-o", str(template), "."],
                   cwd=ROOT, check=True, stderr=subprocess.DEVNULL)  # nosec B603


def extract_and_update() -> None:
    """Extract, then merge the messages into each .po."""
    extract()
    subprocess.run([*PYBABEL, "update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS),
                    "--no-wrap", "--ignore-obsolete"], cwd=ROOT, check=True)  # nosec B603


def main(argv: list[str]) -> int:
    if argv[:1] != ["compile"]:
        extract_and_update()
    compile_catalogues()
    left = {po: untranslated(po) for po in catalogues()}
    for po, missing in left.items():
        for message_id in missing:
            print(f"{po.relative_to(ROOT)}: untranslated: {message_id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
