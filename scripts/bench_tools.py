"""The benchmark's instruments: servers, logins, wrk runs, worker memory, timed downloads."""
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "scripts" / "bench.lua"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Result:
    """One measured scenario; times in milliseconds."""
    name: str
    rps: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    sql: str = ""
    rss_mb: float | None = None
    ceiling: float | None = None
    errors: int = 0
    notes: list[str] = field(default_factory=list)


@contextmanager
def serve(app_spec: str, port: int, env: dict, workers: int):
    """gunicorn as production runs it (gunicorn.conf.py: sync workers); yields the master pid."""
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def login(base: str, username: str, password: str) -> str:
    """Sign in through the login form; returns the Cookie header value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": CSRF.search(page).group(1)}).encode()
    opener.open(f"{base}/login", data=data).close()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise RuntimeError(f"login of {username} failed")
    return cookie


def probe(url: str, headers: dict) -> tuple[int, str, float]:
    """One request alone: (status, X-SQL-Statements, milliseconds)."""
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        return (response.status, response.headers.get("X-SQL-Statements", ""),
                (time.perf_counter() - started) * 1000)


def wrk(url: str, headers: dict, seconds: int, connections: int, method: str = "GET",
        body: str = "") -> dict:
    """Run wrk (one thread) and return its summary: rps and latency percentiles in ms."""
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout",
               "60s", "-s", str(LUA), url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_BODY": body}
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    summary = json.loads(output.split("BENCH ", 1)[1].splitlines()[0])
    seconds_run = summary["duration_us"] / 1e6
    return {"rps": summary["requests"] / seconds_run, "requests": summary["requests"],
            "p50": summary["p50"] / 1000, "p95": summary["p95"] / 1000,
            "p99": summary["p99"] / 1000, "errors": summary["errors"] + summary["bad_status"]}


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: children of the master."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry))
    return pids


def peak_rss_mb(master: int) -> float:
    """The largest peak resident set (VmHWM) among the workers, in MB."""
    peaks = []
    for pid in worker_pids(master):
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return max(peaks, default=0.0)


def reset_peak_rss(master: int) -> None:
    """Start the workers' VmHWM again from their present RSS (Linux: "5" into clear_refs), so
    the next peak read is that of what follows alone."""
    for pid in worker_pids(master):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def download(port: int, path: str, headers: dict) -> dict:
    """Fetch one (streamed) answer: time to first byte, total time, bytes, lines."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    first = response.read1(65536)
    first_byte = time.perf_counter() - started
    size, lines, complete = len(first), first.count(b"\n"), True
    try:
        while chunk := response.read1(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
    except http.client.IncompleteRead:
        complete = False  # the server stopped mid-answer (e.g. gunicorn's worker timeout)
    total = time.perf_counter() - started
    connection.close()
    return {"status": response.status, "first_byte": first_byte, "total": total,
            "bytes": size, "lines": lines, "complete": complete,
            "sql": response.headers.get("X-SQL-Statements", "")}


def fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown_table(results: list[Result]) -> str:
    lines = ["| scenario | req/s | p50 ms | p95 ms | p99 ms | SQL/req | worker peak RSS MB "
             "| % of ceiling | notes |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        share = None if r.rps is None or not r.ceiling else 100 * r.rps / r.ceiling
        notes = "; ".join(r.notes + ([f"{r.errors} errors"] if r.errors else []))
        lines.append(f"| {r.name} | {fmt(r.rps)} | {fmt(r.p50)} | {fmt(r.p95)} | {fmt(r.p99)} "
                     f"| {r.sql or '–'} | {fmt(r.rss_mb, 0)} | {fmt(share)} | {notes} |")
    return "\n".join(lines)


def write_section(path: Path, key: str, body: str) -> None:
    """Replace (or append) the section between this key's markers in BENCHMARKS.md."""
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
