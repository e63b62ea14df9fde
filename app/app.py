"""sre-lab target app: a small Flask service for SRE drills.

Run it with gunicorn and gunicorn.conf.py (see README.md). Under gunicorn the
metrics are aggregated across workers through prometheus_client's multiprocess
mode (PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py); without that variable
(tests, `flask run`) the process-local default registry is used.

The app writes nothing outside STATE_DIR (default /tmp/sre-lab-app), so it runs
on a read-only root filesystem with an emptyDir mounted at /tmp.
"""

import hashlib
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone

from flask import Flask, Response, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess
from werkzeug.exceptions import HTTPException

MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _env_int(name, default):
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None


APP_VERSION = os.environ.get("APP_VERSION", "v1")
WORKERS_CONFIGURED = _env_int("WORKERS", 1)
WORK_MAX_MS = _env_int("WORK_MAX_MS", 5000)
LEAK_MAX_MB = _env_int("LEAK_MAX_MB", 64)
TRUTHY = {"1", "true", "yes", "on"}

REQUESTS = Counter(
    "http_requests", "HTTP requests handled, by route and status.", ["route", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency in seconds, by route and status.",
    ["route", "status"],
)
# "live*" gauges: each worker writes its own value; gunicorn's child_exit hook
# removes a dead worker's value, so the sums only cover live workers.
RSS = Gauge(
    "app_resident_memory_bytes",
    "Resident memory (RSS) summed over live worker processes, as of each worker's last request.",
    multiprocess_mode="livesum",
)
WORKERS_ALIVE = Gauge(
    "app_workers", "Worker processes currently alive.", multiprocess_mode="livesum"
)
WORKERS_WANTED = Gauge(
    "app_workers_configured", "Worker processes configured (WORKERS).", multiprocess_mode="max"
)
LEAK_RETAINED = Gauge(
    "app_leak_retained_bytes",
    "Bytes held by /leak, summed over live worker processes.",
    multiprocess_mode="livesum",
)

_leaked = []  # the bytearrays /leak keeps alive, in this worker


def rss_bytes():
    """Current resident set size of this process (Linux /proc)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _state_dir():
    return os.environ.get("STATE_DIR", "/tmp/sre-lab-app")


def _not_ready_flag():
    # A file, not a variable, so that every worker sees the same readiness.
    return os.path.join(_state_dir(), "not-ready")


class BadParam(Exception):
    def __init__(self, param, message):
        super().__init__(message)
        self.param = param
        self.message = message


def int_param(name, low, high, default=None):
    """Read a query parameter as a whole number in [low, high]."""
    raw = request.args.get(name)
    if raw is None:
        if default is None:
            raise BadParam(name, f"query parameter '{name}' is required")
        return default
    if not raw.isascii() or not raw.isdigit():
        raise BadParam(name, f"'{name}' must be a whole number, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise BadParam(name, f"'{name}' must be between {low} and {high}, got {value}")
    return value


app = Flask(__name__)
WORKERS_ALIVE.set(1)
WORKERS_WANTED.set(WORKERS_CONFIGURED)
RSS.set(rss_bytes())


@app.before_request
def _start_timer():
    g.start = time.perf_counter()


@app.after_request
def _observe(response):
    elapsed = time.perf_counter() - g.get("start", time.perf_counter())
    # Label by the matched URL rule, never the raw path, to bound cardinality.
    route = request.url_rule.rule if request.url_rule else "<unmatched>"
    status = str(response.status_code)
    REQUESTS.labels(route, status).inc()
    LATENCY.labels(route, status).observe(elapsed)
    RSS.set(rss_bytes())
    line = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "level": "info",
        "msg": "request",
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round(elapsed * 1000, 3),
        "pid": os.getpid(),
    }
    # One write per line: with several workers on one stdout (and unbuffered
    # output, as in the image), a separate newline write lets lines interleave.
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    return response


@app.errorhandler(BadParam)
def _bad_param(err):
    return jsonify(error=err.message, param=err.param), 400


@app.errorhandler(HTTPException)
def _http_error(err):
    return jsonify(error=err.name, status=err.code), err.code


@app.get("/")
def index():
    digest = b"sre-lab"
    for _ in range(2000):  # a little real CPU work per request
        digest = hashlib.sha256(digest).digest()
    return jsonify(
        service="sre-lab-target",
        version=APP_VERSION,
        hostname=socket.gethostname(),
        pid=os.getpid(),
        digest=digest.hex()[:16],
    )


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/readyz")
def readyz():
    if os.environ.get("READYZ_FAIL", "").strip().lower() in TRUTHY:
        return jsonify(status="not ready", reason="READYZ_FAIL is set"), 503
    if os.path.exists(_not_ready_flag()):
        return jsonify(status="not ready", reason="failed via POST /readyz/fail"), 503
    return jsonify(status="ready")


@app.post("/readyz/fail")
def readyz_fail():
    os.makedirs(_state_dir(), exist_ok=True)
    with open(_not_ready_flag(), "w"):
        pass
    return jsonify(ready=False)


@app.post("/readyz/recover")
def readyz_recover():
    try:
        os.remove(_not_ready_flag())
    except FileNotFoundError:
        pass
    return jsonify(ready=True)


@app.get("/work")
def work():
    ms = int_param("ms", 0, WORK_MAX_MS, default=50)
    started = time.perf_counter()
    deadline = started + ms / 1000
    iterations = 0
    digest = b"work"
    while time.perf_counter() < deadline:
        digest = hashlib.sha256(digest).digest()
        iterations += 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    return jsonify(
        ms_requested=ms, ms_elapsed=round(elapsed_ms, 3), iterations=iterations, pid=os.getpid()
    )


@app.get("/leak")
def leak():
    mb = int_param("mb", 1, LEAK_MAX_MB)
    block = bytearray(mb * MIB)
    # The kernel only backs pages that are written. CPython zero-fills a new
    # bytearray anyway; writing one byte per page makes the memory resident
    # (RSS, and the container's usage) by construction rather than by that detail.
    block[::PAGE_SIZE] = b"\x01" * len(range(0, len(block), PAGE_SIZE))
    _leaked.append(block)
    retained = sum(len(b) for b in _leaked)
    LEAK_RETAINED.set(retained)
    return jsonify(
        allocated_mb=mb, retained_mb=retained // MIB, rss_bytes=rss_bytes(), pid=os.getpid()
    )


@app.delete("/leak")
def leak_free():
    freed = sum(len(b) for b in _leaked)
    _leaked.clear()
    LEAK_RETAINED.set(0)
    return jsonify(freed_mb=freed // MIB, rss_bytes=rss_bytes(), pid=os.getpid())


@app.get("/metrics")
def metrics():
    RSS.set(rss_bytes())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
