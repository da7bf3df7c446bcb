"""GET /metrics: the Prometheus text format, what it counts, and who may read it."""
import os
import re
import time
import uuid

import requests

from conftest import GEN_DIR

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse(text):
    """{name: type} and [(name, {label: value}, float)]; asserts the format is valid."""
    types, samples = {}, []
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"two TYPE lines for {name}"
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        value = float(m.group(3))
        samples.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), value))
    for name, _, _ in samples:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or (base in types and types[base] == "histogram"), f"{name} has no TYPE"
    return types, samples


def values(samples, name, **labels):
    return [v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items())]


def scrape(server, **kw):
    r = requests.get(server.url + "/metrics", timeout=30, **kw)
    return r


def wait_completed(server, job, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url + f"/api/process/batch-status/{job}", timeout=30).json()
        if body["status"] in ("completed", "failed", "partial", "cancelled"):
            return body
        time.sleep(0.2)
    raise AssertionError("the batch did not finish")


def test_metrics_from_loopback(server, files_server):
    for _ in range(5):
        assert requests.get(server.url + "/health", timeout=30).status_code == 200
    assert requests.get(server.url + "/no/such/route", timeout=30).status_code == 404
    r = requests.post(server.url + "/api/process/process-single",
                      json={"url": files_server + "/two-pages.pdf"}, timeout=120)
    assert r.status_code == 200, r.text
    # One more through the queue, for the claim latency.
    name = f"m-{uuid.uuid4().hex[:6]}.csv"
    with open(os.path.join(GEN_DIR, name), "w", encoding="utf-8") as f:
        f.write(f"url\n{files_server}/two-pages.pdf\n")
    r = requests.post(server.url + "/api/process/process-batch",
                      json={"spreadsheet_url": f"{files_server}/gen/{name}", "url_column": "url"}, timeout=60)
    assert r.status_code in (200, 202), r.text
    wait_completed(server, r.json()["job_id"])

    r = scrape(server)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    types, samples = parse(r.text)
    assert sum(values(samples, "http_requests_total", route="/health", code="200", method="GET")) >= 5
    assert sum(values(samples, "http_requests_total", route="unmatched", code="404")) >= 1
    assert types["http_request_duration_seconds"] == "histogram"
    buckets = values(samples, "http_request_duration_seconds_bucket", route="/health", le="+Inf")
    count = values(samples, "http_request_duration_seconds_count", route="/health")
    assert buckets and count and buckets[0] == count[0] >= 5
    assert values(samples, "http_request_duration_seconds_sum", route="/health")[0] > 0
    # Buckets are cumulative.
    health = [v for n, l, v in samples
              if n == "http_request_duration_seconds_bucket" and l.get("route") == "/health"]
    assert health == sorted(health)
    assert values(samples, "mtag_documents_total", outcome="completed")[0] >= 2
    assert types["mtag_claim_latency_seconds"] == "histogram"
    assert values(samples, "mtag_claim_latency_seconds_count")[0] >= 1
    assert types["mtag_claim_duration_seconds"] == "histogram"
    assert values(samples, "mtag_pipeline_stage_duration_seconds_count", stage="extract")[0] >= 2
    assert types["mtag_queue_depth"] == "gauge"
    assert values(samples, "mtag_queue_depth")[0] >= 0
    assert values(samples, "mtag_db_pool_size")[0] >= 1
    assert 0 <= values(samples, "mtag_db_pool_connections_in_use")[0] <= values(samples, "mtag_db_pool_size")[0]
    assert values(samples, "process_resident_memory_bytes")[0] > 0
    assert values(samples, "mtag_uptime_seconds")[0] >= 0


def test_metrics_not_through_a_proxy(server):
    r = scrape(server, headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_metrics_token(fresh_server):
    token = "s3cret-metrics-token-" + uuid.uuid4().hex
    s = fresh_server(extra_env={"MTAG_METRICS_TOKEN": token})
    r = scrape(s)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert scrape(s, headers={"Authorization": "Bearer " + token[:-1]}).status_code == 401
    assert scrape(s, headers={"Authorization": "Bearer " + token + "x"}).status_code == 401
    r = scrape(s, headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    parse(r.text)
    # The token does not leak into the page, and a proxied scrape with it is fine.
    assert token not in r.text
    assert scrape(s, headers={"Authorization": "Bearer " + token,
                              "X-Forwarded-For": "203.0.113.9"}).status_code == 200


def test_bad_metrics_token_is_refused(tmp_path):
    from conftest import run_mtag
    r = run_mtag("serve", env={"MTAG_METRICS_TOKEN": "short", "MTAG_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2
    assert "MTAG_METRICS_TOKEN" in r.stderr and "short" not in r.stderr
