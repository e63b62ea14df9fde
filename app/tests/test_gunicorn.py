"""Integration: the real gunicorn, with gunicorn.conf.py and 2 sync workers."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import APP_DIR, metric_value

WORKERS = 2
DEADLINE_S = 20


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(base, path, method="GET"):
    request = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_until(predicate, what, server=None, deadline_s=DEADLINE_S):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server is not None and server.proc.poll() is not None:
            pytest.fail(f"gunicorn exited ({server.proc.returncode}):\n{server.stderr()}")
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"timed out after {deadline_s}s waiting for {what}")


class Server:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k.lower() != "prometheus_multiproc_dir"}
        env.update(
            BIND=f"127.0.0.1:{self.port}",
            WORKERS=str(WORKERS),
            STATE_DIR=str(tmp_path / "state"),
            WORKER_TMP_DIR=str(tmp_path),
            GRACEFUL_TIMEOUT="5",
            APP_VERSION="v2",
            PYTHONUNBUFFERED="1",  # as in the image: each write reaches stdout at once
        )
        self.out = open(tmp_path / "stdout.log", "ab")
        self.err = open(tmp_path / "stderr.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
            cwd=APP_DIR,
            env=env,
            stdout=self.out,
            stderr=self.err,
        )

    def stderr(self):
        return (self.tmp / "stderr.log").read_text(errors="replace")

    def log_lines(self):
        text = (self.tmp / "stdout.log").read_text()
        return [json.loads(line) for line in text.splitlines()]

    def metrics(self):
        status, text = get(self.base, "/metrics")
        assert status == 200
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        return self.proc.returncode


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path)
    try:
        wait_until(lambda: get(srv.base, "/healthz")[0] == 200, "/healthz", srv)
        # Both workers have booted once each has registered its live gauge.
        wait_until(lambda: metric_value(srv.metrics(), "app_workers") == WORKERS, "workers", srv)
        yield srv
    finally:
        srv.stop()


def test_metrics_add_up_across_workers(server):
    n = 40
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: get(server.base, "/work?ms=20"), range(n)))
    bad = [get(server.base, "/work?ms=-1") for _ in range(3)]

    assert all(status == 200 for status, _ in replies)
    assert all(status == 400 for status, _ in bad)
    pids = {json.loads(body)["pid"] for _, body in replies}
    assert len(pids) == WORKERS, "concurrent traffic should reach both workers"

    # Whichever worker answers the scrape, it reports the totals of all workers.
    for _ in range(4):
        text = server.metrics()
        assert metric_value(text, "http_requests_total", route="/work", status="200") == n
        assert metric_value(text, "http_requests_total", route="/work", status="400") == 3
        assert (
            metric_value(text, "http_request_duration_seconds_count", route="/work", status="200")
            == n
        )
        busy_s = metric_value(
            text, "http_request_duration_seconds_sum", route="/work", status="200"
        )
        assert busy_s >= n * 0.020  # each request burned at least 20 ms
        assert metric_value(text, "app_workers") == WORKERS
        assert metric_value(text, "app_workers_configured") == WORKERS
        assert metric_value(text, "app_resident_memory_bytes") > WORKERS * 10 * 1024 * 1024

    work_logs = [line for line in server.log_lines() if line["path"] == "/work"]
    assert len(work_logs) == n + 3
    assert {line["pid"] for line in work_logs if line["status"] == 200} == pids
    assert json.loads(get(server.base, "/")[1])["version"] == "v2"

    assert server.stop() == 0, server.stderr()


def test_killed_worker_is_replaced_and_its_live_gauges_dropped(server):
    status, body = get(server.base, "/leak?mb=8")
    assert status == 200
    victim = json.loads(body)["pid"]
    assert metric_value(server.metrics(), "app_leak_retained_bytes") == 8 * 1024 * 1024

    os.kill(victim, signal.SIGKILL)  # what the kernel's OOM killer does

    def replaced():
        pids = {json.loads(get(server.base, "/work?ms=0")[1])["pid"] for _ in range(10)}
        text = server.metrics()
        return (
            victim not in pids
            and metric_value(text, "app_workers") == WORKERS
            and metric_value(text, "app_leak_retained_bytes") == 0
        )

    wait_until(replaced, "the killed worker to be replaced", server)
    # Counters keep what the dead worker served: the leak call is still counted.
    text = server.metrics()
    assert metric_value(text, "http_requests_total", route="/leak", status="200") == 1
    assert server.stop() == 0, server.stderr()
