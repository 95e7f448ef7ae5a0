"""gunicorn's production settings; gunicorn reads this file from the directory it starts in.

Sync workers, one per core (`WEB_CONCURRENCY` overrides): every request here is CPU work in
Python, and on two cores the threaded (gthread) worker served keep-alive connections at half
the rate with twice the p95 (BENCHMARKS.md). Sync workers expect a buffering proxy (nginx) in
front, as gunicorn's documentation says.
"""
import gc
import os

workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "sync"
# A sync worker is killed when one request outlives this: a CSV export of a million tickets
# takes 11-18 s (BENCHMARKS.md), so leave it several times that.
timeout = 120


def post_worker_init(worker):
    """The app's own objects (modules, templates, mappings) live as long as the worker: move
    them out of the garbage collector's way. Each full collection walked all of them, a pause
    of ~100 ms that was the handling page's p99 (131 to 29 ms in-process, BENCHMARKS.md)."""
    gc.collect()
    gc.freeze()
