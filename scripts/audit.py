"""`make audit`: bandit over our code, pip-audit over the pinned dependencies.

bandit must be clean (each accepted finding carries `# nosec BXXX` with its reason on the line
above). pip-audit asks PyPI's JSON vulnerability API about every pin: a known vulnerability
fails the build; when the service cannot be reached the audit says so loudly and does not fail
(nothing was checked, which is not the same as nothing found).
"""
import json
import subprocess  # nosec B404
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = ["app.py", "commands.py", "config.py", "extensions.py", "models.py", "services", "views",
        "scripts"]
# Test and measuring harnesses, like tests/: they start servers, fetch from loopback, and their
# passwords open throwaway databases.
HARNESSES = ["scripts/loadtest.py", "scripts/loadsupport.py", "scripts/loadfaults.py",
             "scripts/bench.py", "scripts/bench_tools.py", "scripts/bench_incidents.py",
             "scripts/ceiling_app.py"]


def bandit() -> int:
    print("=== bandit ===", flush=True)
    command = [str(BIN / "bandit"), "-q", "-r", *CODE, "-x", ",".join(HARNESSES)]
    return subprocess.call(command, cwd=ROOT)  # nosec B603


def pip_audit() -> int:
    print("=== pip-audit ===", flush=True)
    command = [str(BIN / "pip-audit"), "-r", "requirements.txt", "-f", "json",
               "--progress-spinner", "off"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # nosec B603
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run: {run.stderr.strip()[-2000:]}")
        return run.returncode or 1
    return judge(report["dependencies"])


def judge(dependencies: list[dict]) -> int:
    """1 on a known vulnerability; 0 otherwise, saying clearly what could not be checked."""
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        print(f"NOT AUDITED: the vulnerability service (PyPI's JSON API) did not answer for any "
              f"of the {len(skipped)} dependencies, e.g. {skipped[0]['skip_reason']}. "
              "Run `make audit` where pypi.org is reachable.")
    elif skipped:
        print(f"{audited} dependencies audited, none vulnerable; not audited: "
              + ", ".join(d["name"] for d in skipped))
    else:
        print(f"{audited} dependencies audited, none vulnerable")
    return 0


if __name__ == "__main__":
    sys.exit(bandit() | pip_audit())
