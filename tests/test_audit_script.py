"""scripts/audit.py fails on a known vulnerability and says plainly when nothing was checked."""
from scripts.audit import judge

SKIPPED = {"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}
CLEAN = {"name": "nh3", "version": "0.3.7", "vulns": []}


def test_a_known_vulnerability_fails(capsys):
    vulnerable = {"name": "jinja2", "version": "2.0", "vulns": [
        {"id": "GHSA-xxxx", "fix_versions": ["3.1.6"], "description": "sandbox escape"}]}
    assert judge([CLEAN, vulnerable, SKIPPED]) == 1
    assert "VULNERABLE jinja2 2.0: GHSA-xxxx (fixed in 3.1.6)" in capsys.readouterr().out


def test_an_unreachable_service_is_reported_not_failed(capsys):
    assert judge([SKIPPED, {**SKIPPED, "name": "wtforms"}]) == 0
    assert "NOT AUDITED" in capsys.readouterr().out


def test_a_clean_audit_passes(capsys):
    assert judge([CLEAN]) == 0
    assert "1 dependencies audited, none vulnerable" in capsys.readouterr().out
