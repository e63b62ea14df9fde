"""Endpoint behaviour, through Flask's test client (one process, default registry)."""

import json
import os
import sys

import pytest
from conftest import metric_value

MIB = 1024 * 1024


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def test_root_does_work_and_describes_the_instance(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["service"] == "sre-lab-target"
    assert body["version"] == "v1"
    assert body["pid"] == os.getpid()
    assert len(body["digest"]) == 16 and body["hostname"]


def test_healthz_is_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_can_be_failed_and_recovered_through_endpoints(client):
    assert client.get("/readyz").status_code == 200
    assert client.post("/readyz/fail").get_json() == {"ready": False}
    failed = client.get("/readyz")
    assert failed.status_code == 503
    assert failed.get_json()["status"] == "not ready"
    assert client.post("/readyz/recover").get_json() == {"ready": True}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readyz_fails_while_env_var_is_set(client, monkeypatch):
    monkeypatch.setenv("READYZ_FAIL", "true")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "READYZ_FAIL" in response.get_json()["reason"]
    monkeypatch.setenv("READYZ_FAIL", "0")
    assert client.get("/readyz").status_code == 200


def test_readiness_toggle_is_a_file_under_state_dir(client, tmp_path):
    # Shared by every gunicorn worker, and inside the writable /tmp emptyDir.
    client.post("/readyz/fail")
    assert (tmp_path / "not-ready").exists()
    client.post("/readyz/recover")
    assert not (tmp_path / "not-ready").exists()


def test_work_burns_cpu_for_the_requested_time(client):
    response = client.get("/work?ms=40")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ms_requested"] == 40
    assert 40 <= body["ms_elapsed"] < 2000
    assert body["iterations"] > 0


def test_work_defaults_to_a_short_burst(client):
    assert client.get("/work").get_json()["ms_requested"] == 50


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "", "1e3", "５", "5001", "99999999999"])
def test_work_rejects_bad_ms_with_json_400(client, value):
    response = client.get("/work", query_string={"ms": value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["param"] == "ms"
    assert "ms" in body["error"]


@pytest.mark.parametrize("query", ["", "?mb=0", "?mb=65", "?mb=ten", "?mb=-1"])
def test_leak_rejects_bad_mb_with_json_400(client, query):
    response = client.get("/leak" + query)
    assert response.status_code == 400
    assert response.get_json()["param"] == "mb"


def test_leak_keeps_memory_and_rss_grows(client, target):
    before_rss = target.rss_bytes()
    first = client.get("/leak?mb=16").get_json()
    second = client.get("/leak?mb=16").get_json()
    assert (first["allocated_mb"], first["retained_mb"]) == (16, 16)
    assert second["retained_mb"] == 32
    # Pages are touched, so the memory is resident, not just reserved.
    assert target.rss_bytes() - before_rss >= 28 * MIB

    text = scrape(client)
    assert metric_value(text, "app_leak_retained_bytes") == 32 * MIB
    assert metric_value(text, "app_resident_memory_bytes") >= before_rss + 28 * MIB

    freed = client.delete("/leak").get_json()
    assert freed["freed_mb"] == 32
    assert metric_value(scrape(client), "app_leak_retained_bytes") == 0


def test_metrics_count_requests_by_route_and_status(client):
    def counts(text):
        return (
            metric_value(text, "http_requests_total", route="/work", status="200") or 0,
            metric_value(text, "http_requests_total", route="/work", status="400") or 0,
            metric_value(text, "http_request_duration_seconds_count", route="/work", status="200")
            or 0,
            metric_value(text, "http_requests_total", route="<unmatched>", status="404") or 0,
        )

    before = counts(scrape(client))
    for _ in range(3):
        client.get("/work?ms=1")
    client.get("/work?ms=nope")
    client.get("/no/such/page")
    text = scrape(client)
    after = counts(text)
    assert [a - b for a, b in zip(after, before)] == [3, 1, 3, 1]
    # The histogram has cumulative buckets up to +Inf, matching its count.
    inf = metric_value(
        text, "http_request_duration_seconds_bucket", route="/work", status="200", le="+Inf"
    )
    assert inf == after[2]
    assert metric_value(text, "app_workers") == 1
    assert metric_value(text, "app_workers_configured") == 1
    assert metric_value(text, "app_resident_memory_bytes") > 10 * MIB


def test_unknown_route_is_a_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found", "status": 404}


def test_one_json_log_line_per_request(client, capsys):
    capsys.readouterr()
    client.get("/work?ms=2")
    client.get("/work?ms=bad")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(l["method"], l["path"], l["status"]) for l in lines] == [
        ("GET", "/work", 200),
        ("GET", "/work", 400),
    ]
    for line in lines:
        assert line["pid"] == os.getpid()
        assert line["duration_ms"] >= 0
        assert line["level"] == "info" and line["ts"].endswith("+00:00")
    assert lines[0]["duration_ms"] >= 2


def test_each_log_line_is_a_single_write(client, monkeypatch):
    # Workers share one stdout, unbuffered in the image: a line written in two
    # pieces (text, then newline) can interleave with another worker's line.
    writes = []

    class Recorder:
        def write(self, text):
            writes.append(text)
            return len(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", Recorder())
    client.get("/healthz")
    assert len(writes) == 1 and writes[0].endswith("\n")
    assert json.loads(writes[0])["path"] == "/healthz"
