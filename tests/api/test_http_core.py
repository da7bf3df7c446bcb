"""The HTTP core: /health, routing errors, request ids, security headers, access log."""
import re
import time

import requests

from conftest import DB, run_mtag

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def version():
    out = run_mtag("version").stdout.strip()
    assert re.fullmatch(r"mtag \d+\.\d+\.\d+", out), out
    return out.split()[1]


def test_health_ok(server):
    r = requests.get(server.url + "/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["database_driver"] == DB
    assert body["version"] == version()


def test_unknown_route_is_json_404(server):
    r = requests.get(server.url + "/api/no/such/thing")
    assert r.status_code == 404
    assert r.json() == {"detail": "no route for GET /api/no/such/thing", "code": "not_found"}


def test_wrong_method_is_405_with_allow(server):
    r = requests.post(server.url + "/health", json={})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.json() == {"detail": "POST is not allowed on /health (allowed: GET, HEAD)",
                        "code": "method_not_allowed"}
    r = requests.delete(server.url + "/api/openapi.json")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    # HEAD is GET without the body.
    r = requests.head(server.url + "/api/openapi.json")
    assert (r.status_code, r.headers["Content-Type"], r.content) == (200, "application/json", b"")
    assert int(r.headers["Content-Length"]) > 1000


def test_request_headers_up_to_15_kb_then_431(server):
    # Each connection's memory is 16 KB (src/http/http_server.c): a browser's
    # headers or a long bearer token fit, 20 KB of headers are refused.
    r = requests.get(server.url + "/health", headers={"X-Filler": "a" * 15000})
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    r = requests.get(server.url + "/health", headers={"X-Filler": "a" * 20000})
    assert r.status_code == 431
    # The server is unharmed.
    assert requests.get(server.url + "/health").status_code == 200


def test_request_id_echoed_when_valid(server):
    r = requests.get(server.url + "/health", headers={"X-Request-Id": "client-id.42_x"})
    assert r.headers["X-Request-Id"] == "client-id.42_x"


def test_request_id_generated_when_missing_or_invalid(server):
    a = requests.get(server.url + "/health").headers["X-Request-Id"]
    b = requests.get(server.url + "/health").headers["X-Request-Id"]
    assert a and b and a != b
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", a)
    for bad in ["has space", "x" * 65, "semi;colon", "quote\"d"]:
        got = requests.get(server.url + "/health", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert got != bad
        assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", got)


def test_security_headers_on_every_response(server):
    for method, path in [("GET", "/health"), ("GET", "/nope"), ("POST", "/health"),
                         ("GET", "/api/openapi.json")]:
        r = requests.request(method, server.url + path)
        for k, v in SECURITY_HEADERS.items():
            assert r.headers.get(k) == v, (method, path, k)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]


def test_openapi_document(server):
    r = requests.get(server.url + "/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"] == "3.1.0"
    assert "get" in doc["paths"]["/health"]
    assert "503" in doc["paths"]["/health"]["get"]["responses"]


def test_access_log_line_and_no_secrets(server):
    rid = "access-log-check-1"
    requests.get(server.url + "/health?token=QUERYSECRET",
                 headers={"X-Request-Id": rid, "Authorization": "Bearer AUTHSECRET123",
                          "Cookie": "mtag_refresh=COOKIESECRET456"})
    requests.get(server.url + "/missing", headers={"X-Request-Id": "access-log-check-2"})
    log = server.read_log(until=("event=http.access", "rid=access-log-check-2"))
    lines = [l for l in log.splitlines() if "event=http.access" in l and f"rid={rid}" in l]
    assert len(lines) == 1, log[-3000:]
    line = lines[0]
    assert "method=GET" in line and "path=/health" in line and "status=200" in line
    assert re.search(r"bytes=\d+", line) and re.search(r"us=\d+", line)
    miss = [l for l in log.splitlines() if "rid=access-log-check-2" in l and "event=http.access" in l]
    assert len(miss) == 1 and "status=404" in miss[0]
    for secret in ["AUTHSECRET123", "COOKIESECRET456", "QUERYSECRET"]:
        assert secret not in log
    for l in log.splitlines():
        assert l.startswith("ts=") or l.startswith("mtag "), l


def test_hsts_when_served_over_https(fresh_server, server):
    assert "Strict-Transport-Security" not in requests.get(server.url + "/health").headers
    s = fresh_server(extra_env={"MTAG_PUBLIC_URL": "https://tags.example.org"})
    r = requests.get(s.url + "/health")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_one_address_cannot_hold_every_connection(fresh_server):
    """Without a proxy in front, one address holds at most 256 of the 1,024 connections
    (slow headers kept them all, and nobody else got in); an IPv6 client is its /64
    (test_http_clients.c)."""
    import socket
    s = fresh_server()
    port = int(s.url.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(300):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n")  # headers never finished
            held.append(c)
        time.sleep(1)  # the server has taken each from the queue by now

        def closed(c):
            c.setblocking(False)
            try:
                return c.recv(1) == b""
            except BlockingIOError:
                return False
            except ConnectionResetError:
                return True
        assert sum(closed(c) for c in held) == 300 - 256
        # Another address is served.
        other = socket.socket()
        other.bind(("127.0.0.2", 0))
        other.settimeout(5)
        other.connect(("127.0.0.1", port))
        other.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert other.recv(100).startswith(b"HTTP/1.1 200")
        other.close()
        # Closed, they are counted no more: the address is served again.
        for c in held:
            c.close()
        time.sleep(1)
        again = socket.create_connection(("127.0.0.1", port), timeout=5)
        again.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert again.recv(100).startswith(b"HTTP/1.1 200")
        again.close()
    finally:
        for c in held:
            c.close()
