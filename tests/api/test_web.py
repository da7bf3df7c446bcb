"""The web UI as HTTP sees it: pages, hashed assets, caching, compression, and
the API additions the UI needs (download link as JSON, sort, sign out others).
What the pages do in a browser is tested in tests/web/."""
import gzip
import os
import re
import uuid

import requests

from conftest import ROOT

PASSWORD = "correct horse battery staple"
PAGES = ["/", "/login", "/register", "/dashboard", "/new", "/history", "/documents", "/settings"]


def assets_prefix(html):
    m = re.search(r'src="(/assets/[0-9a-f]{16})/js/app\.js"', html)
    assert m, html[:500]
    return m.group(1)


def test_every_page_answers_the_app(server):
    bodies = set()
    for path in PAGES:
        r = requests.get(server.url + path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache"
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        bodies.add(r.text)
    assert len(bodies) == 1
    html = bodies.pop()
    assert "{{assets}}" not in html and "<script>" not in html
    assets_prefix(html)


def test_page_revalidates_with_its_etag(server):
    r = requests.get(server.url + "/dashboard")
    etag = r.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{16}(-gz)?"', etag)
    again = requests.get(server.url + "/history", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # The browser merges a 304's headers into its copy: the page's CSP must stay the HTML one.
    assert again.headers["Content-Security-Policy"] == r.headers["Content-Security-Policy"]
    other = requests.get(server.url + "/history", headers={"If-None-Match": '"0000000000000000"'})
    assert other.status_code == 200 and other.text == r.text
    assert requests.get(server.url + "/new", headers={"If-None-Match": "*"}).status_code == 304


def test_assets_are_immutable_and_gzipped(server):
    prefix = assets_prefix(requests.get(server.url + "/").text)
    plain = requests.get(server.url + prefix + "/js/app.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in plain.headers
    assert b"function navigate" in plain.content
    raw = requests.get(server.url + prefix + "/js/app.js", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["Vary"] == "Accept-Encoding"
    packed = raw.raw.read()
    assert len(packed) < len(plain.content) / 2
    assert gzip.decompress(packed) == plain.content
    # gzip;q=0 means "not gzip" (RFC 9110); "*" means any coding.
    for accept, gz in [("gzip;q=0", False), ("br, gzip; q=0.5", True), ("*", True), ("identity, gzip;q=0.0", False)]:
        r = requests.get(server.url + prefix + "/js/app.js", headers={"Accept-Encoding": accept}, stream=True)
        assert (r.headers.get("Content-Encoding") == "gzip") == gz, accept
    css = requests.get(server.url + prefix + "/css/app.css")
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    # A page of an older build still gets its files, but not cached for long.
    old = requests.get(server.url + "/assets/0123456789abcdef/css/app.css")
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    assert old.content == css.content


def test_unknown_paths(server):
    # A browser gets the app's not-found page; an API client gets JSON; /api/ is always JSON.
    r = requests.get(server.url + "/no/such/page", headers={"Accept": "text/html,*/*"})
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Vary"] == "Accept, Accept-Encoding"
    r = requests.get(server.url + "/no/such/page")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = requests.get(server.url + "/api/nope", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    prefix = assets_prefix(requests.get(server.url + "/").text)
    for path in [prefix + "/js/nope.js", prefix + "/index.html", prefix, "/assets/", "/assets/x"]:
        r = requests.get(server.url + path)
        assert r.status_code == 404 and r.json()["code"] == "not_found", path
    r = requests.post(server.url + "/dashboard", json={})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    head = requests.head(server.url + "/documents")
    assert head.status_code == 200 and head.content == b""


def test_worker_node_serves_no_ui(fresh_server):
    s = fresh_server(args=("--role", "worker"))
    r = requests.get(s.url + "/", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def register(server):
    email = f"w-{uuid.uuid4().hex[:10]}@example.org"
    r = requests.post(server.url + "/api/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201
    return email, r.json()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def test_sign_out_everywhere_else(server):
    email, first = register(server)
    second = requests.post(server.url + "/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    third = requests.post(server.url + "/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    r = requests.post(server.url + "/api/auth/logout-all", json={"keep_current": True},
                      headers=bearer(second["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "logged out everywhere else", "sessions_revoked": 2}
    assert "Set-Cookie" not in r.headers
    assert requests.get(server.url + "/api/auth/me", headers=bearer(second["access_token"])).status_code == 200
    for other in (first, third):
        assert requests.get(server.url + "/api/auth/me", headers=bearer(other["access_token"])).status_code == 401
        assert requests.post(server.url + "/api/auth/refresh",
                             json={"refresh_token": other["refresh_token"]}).status_code == 401
    sessions = requests.get(server.url + "/api/auth/sessions", headers=bearer(second["access_token"])).json()
    assert [s["current"] for s in sessions["sessions"]] == [True]
    bad = requests.post(server.url + "/api/auth/logout-all", json={"keep_current": "yes"},
                        headers=bearer(second["access_token"]))
    assert bad.status_code == 422 and "keep_current" in bad.json()["detail"]
    # Without the option every session ends, the caller's too.
    r = requests.post(server.url + "/api/auth/logout-all", headers=bearer(second["access_token"]))
    assert r.status_code == 200 and r.json()["sessions_revoked"] == 1
    assert requests.get(server.url + "/api/auth/me", headers=bearer(second["access_token"])).status_code == 401


def test_jobs_sort_and_download_link(server, files_server):
    _, reg = register(server)
    h = bearer(reg["access_token"])
    ids = []
    for name in ["page.html", "latin1.txt", "notes.odt"]:
        r = requests.post(server.url + "/api/process/process-single", headers=h,
                          json={"url": f"{files_server}/{name}"}, timeout=60)
        assert r.status_code == 200, r.text
        ids.append((r.json()["job_id"], r.json()["document_id"]))
    jobs = [j["id"] for j in requests.get(server.url + "/api/history/jobs", headers=h, params={"sort": "oldest"}).json()["jobs"]]
    assert jobs == [j for j, _ in ids]
    jobs = [j["id"] for j in requests.get(server.url + "/api/history/jobs", headers=h, params={"sort": "newest"}).json()["jobs"]]
    assert jobs == [j for j, _ in reversed(ids)]
    r = requests.get(server.url + "/api/history/jobs", headers=h, params={"sort": "sideways"})
    assert r.status_code == 422 and r.json()["detail"].startswith("sort:")

    doc = ids[0][1]
    link = requests.get(f"{server.url}/api/history/documents/{doc}/download",
                        headers={**h, "Accept": "application/json"}, allow_redirects=False)
    assert link.status_code == 200 and "Location" not in link.headers
    assert link.json()["expires_in"] == 300
    original = requests.get(link.json()["url"])
    assert original.status_code == 200
    with open(os.path.join(ROOT, "tests/data/extract/page.html"), "rb") as f:
        assert original.content == f.read()
    redirect = requests.get(f"{server.url}/api/history/documents/{doc}/download", headers=h, allow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith("http")


def test_a_page_with_a_body_past_the_cap_is_a_clean_413(server):
    def chunks():
        for _ in range(300):
            yield b"x" * 4096
    r = requests.get(server.url + "/dashboard", data=chunks(), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert "Content-Encoding" not in r.headers and "ETag" not in r.headers
    r = requests.get(server.url + "/dashboard", data=b"x" * (4 << 20))
    assert r.status_code == 413 and r.json()["code"] == "too_large"
