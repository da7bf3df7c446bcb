"""Processing one document now: process-single, upload, download, de-duplication,
storage in /health. On SQLite the originals go to a local directory; on
PostgreSQL to S3 (s3rver behind the verifying proxy)."""
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import BIN, DB, GEN_DIR, ROOT, S3_DIR, Server, new_database_url

DATA = os.path.join(ROOT, "tests/data/extract")
PASSWORD = "correct horse battery staple"


def user(server):
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": f"p-{uuid.uuid4().hex[:10]}@example.org", "password": PASSWORD})
    assert r.status_code == 201
    body = r.json()
    return {"Authorization": "Bearer " + body["access_token"]}, body["user"]["id"]


def single(server, url, headers=None, **extra):
    return requests.post(server.url + "/api/process/process-single", json={"url": url, **extra},
                         headers=headers or {}, timeout=120)


def sha(path):
    with open(os.path.join(DATA, path), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_anonymous_process_single(server, files_server):
    r = single(server, files_server + "/two-pages.pdf", max_tags=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"tags", "extracted_text", "metadata", "job_id", "document_id"}
    assert 1 <= len(body["tags"]) <= 5 and all(isinstance(t, str) for t in body["tags"])
    assert "Hello from page one." in body["extracted_text"]
    m = body["metadata"]
    assert m["title"] == "Golden Test — Café" and m["page_count"] == 2
    assert m["mime_type"] == "application/pdf" and m["author"] == "Ada Lovelace"
    assert m["content_sha256"] == sha("two-pages.pdf")
    assert m["size_bytes"] == os.path.getsize(os.path.join(DATA, "two-pages.pdf"))
    assert m["processing_time"] > 0 and m["language_detected"] in ("en", "fr", "und")
    assert len(m["tag_scores"]) == len(body["tags"])
    # Reals to 9 significant digits, not a double's 17 (0.90200000000000002).
    assert re.search(r"\d\.\d{10,}", r.text) is None, r.text[:2000]
    # Recorded, anonymously.
    rows = server.query(f"SELECT status, user_id, blob_key FROM documents WHERE id = '{body['document_id']}'")
    assert rows == [("completed", "", f"anonymous/{body['job_id']}/{body['document_id']}.pdf")]
    rows = server.query(f"SELECT job_type, status, processed_documents FROM processing_jobs WHERE id = '{body['job_id']}'")
    assert rows == [("single", "completed", "1")]


def test_authenticated_process_single_and_download(server, files_server):
    h, uid = user(server)
    r = single(server, files_server + "/report.docx", headers=h)
    assert r.status_code == 200, r.text
    doc = r.json()["document_id"]
    assert r.json()["metadata"]["title"] == "Quarterly Report Q3"
    rows = server.query(f"SELECT status, user_id, blob_key, mime_type FROM documents WHERE id = '{doc}'")
    assert rows[0][:3] == ("completed", uid, f"{uid}/{r.json()['job_id']}/{doc}.docx")
    # The owner gets a short-lived link to the original bytes.
    r = requests.get(server.url + f"/api/history/documents/{doc}/download", headers=h, allow_redirects=False)
    assert r.status_code == 302
    link = r.headers["Location"]
    assert r.json()["url"] == link and r.json()["expires_in"] == 300
    got = requests.get(link)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == sha("report.docx")
    assert got.headers["Content-Disposition"].startswith("attachment; filename=")
    if "MTAG_STORAGE_URL" not in server.env:  # served by mtag, not by S3
        assert got.headers["Cache-Control"] == "private, no-store"  # never kept by a shared cache
    assert "report.docx" in got.headers["Content-Disposition"]
    assert got.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    # Whatever the file, it runs nothing on this origin if a browser opens it.
    if DB != "postgresql":  # S3's presigned URL is another origin
        assert got.headers["Content-Security-Policy"] == \
            "default-src 'none'; sandbox; frame-ancestors 'none'"
    # Another user, or nobody, gets nothing.
    h2, _ = user(server)
    r = requests.get(server.url + f"/api/history/documents/{doc}/download", headers=h2, allow_redirects=False)
    assert r.status_code == 404
    r = requests.get(server.url + f"/api/history/documents/{doc}/download", allow_redirects=False)
    assert r.status_code == 401


@pytest.mark.skipif(DB != "sqlite", reason="the port is the same whatever the database")
def test_download_links_name_the_port_the_kernel_chose(tmp_path, files_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    env.update({"MTAG_LISTEN": "127.0.0.1:0", "MTAG_DATA_DIR": str(tmp_path / "data"),
                "MTAG_FETCH_ALLOW_PRIVATE": "1", "MTAG_LOG_LEVEL": "warn"})
    proc = subprocess.Popen([BIN, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        base = re.match(r"mtag \S+ listening on (http://127\.0\.0\.1:(\d+))/$", line.strip())
        assert base and base.group(2) != "0", line
        server = type("S", (), {"url": base.group(1)})
        h, _ = user(server)
        doc = single(server, files_server + "/page.html", headers=h).json()["document_id"]
        link = requests.get(server.url + f"/api/history/documents/{doc}/download", headers=h,
                            allow_redirects=False).headers["Location"]
        assert link.startswith(server.url + f"/api/files/{doc}?")
        assert requests.get(link).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.skipif(DB == "postgresql", reason="local links: the S3 suite uses presigned URLs, tested in test_blob")
def test_local_links_expire_and_cannot_be_forged(server, files_server):
    h, _ = user(server)
    doc = single(server, files_server + "/page.html", headers=h).json()["document_id"]
    link = requests.get(server.url + f"/api/history/documents/{doc}/download", headers=h,
                        allow_redirects=False).headers["Location"]
    assert requests.get(link).status_code == 200
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    r = requests.get(tampered)
    assert r.status_code == 403 and r.json()["detail"] == "this download link is not valid"
    # A correctly signed link whose time is up (signed here with the server's key).
    secret = open(os.path.join(server.data_dir, "secret.key")).read().strip().encode()
    key = hmac.new(secret, b"mtag download link v1", hashlib.sha256).digest()
    exp = int(time.time()) - 5
    sig = hmac.new(key, f"{doc}\n{exp}".encode(), hashlib.sha256).hexdigest()
    r = requests.get(server.url + f"/api/files/{doc}?exp={exp}&sig={sig}")
    assert r.status_code == 403 and r.json()["detail"] == "this download link has expired"
    exp = int(time.time()) + 60
    sig = hmac.new(key, f"{doc}\n{exp}".encode(), hashlib.sha256).hexdigest()
    assert requests.get(server.url + f"/api/files/{doc}?exp={exp}&sig={sig}").status_code == 200
    assert requests.get(server.url + f"/api/files/{doc}").status_code == 403


def test_failures_are_422_and_recorded(server, files_server):
    h, uid = user(server)
    cases = [("/missing.pdf", "download failed: HTTP 404"),
             ("/image.png", "unsupported type: PNG image"),
             ("/encrypted-user.pdf", "password-protected PDF: a password is needed to open it")]
    for path, reason in cases:
        r = single(server, files_server + path, headers=h)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["detail"] == reason and body["code"] == "validation_error"
        rows = server.query(f"SELECT status, error_message, user_id FROM documents WHERE id = '{body['document_id']}'")
        assert rows == [("failed", reason, uid)]
        rows = server.query(f"SELECT status, failed_documents FROM processing_jobs WHERE id = '{body['job_id']}'")
        assert rows == [("failed", "1")]


def test_input_validation(server):
    url = server.url + "/api/process/process-single"
    r = requests.post(url, json={})
    assert r.status_code == 422 and r.json()["field"] == "url"
    r = requests.post(url, json={"url": "http://x/", "languages": "en"})
    assert r.status_code == 422 and r.json()["field"] == "languages"
    r = requests.post(url, json={"url": "http://x/", "languages": ["english"]})
    assert r.status_code == 422
    r = requests.post(url, json={"url": "http://x/", "max_tags": 0})
    assert r.status_code == 422 and r.json()["field"] == "max_tags"
    r = requests.post(url, data="url=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = single(server, "ftp://example.org/a.pdf")
    assert r.status_code == 422 and r.json()["detail"] == "unsupported scheme: ftp"


def test_private_addresses_refused_by_default(fresh_server, files_server):
    s = fresh_server(extra_env={"MTAG_FETCH_ALLOW_PRIVATE": "0"})
    r = single(s, files_server + "/page.html")
    assert r.status_code == 422
    assert r.json()["detail"] == "blocked: 127.0.0.1 is a loopback address"


def test_same_bytes_reuse_the_stored_original(server, files_server):
    h, uid = user(server)
    a = single(server, files_server + "/two-pages.pdf", headers=h).json()
    b = single(server, files_server + "/two-pages.pdf?again=1", headers=h).json()
    assert "duplicate_of" not in a["metadata"]
    assert b["metadata"]["duplicate_of"] == a["document_id"] and b["metadata"]["blob_reused"] is True
    keys = server.query(f"SELECT blob_key FROM documents WHERE id IN ('{a['document_id']}', '{b['document_id']}')")
    assert len({k for (k,) in keys}) == 1
    # Another user's identical bytes are stored separately.
    h2, _ = user(server)
    c = single(server, files_server + "/two-pages.pdf", headers=h2).json()
    assert "duplicate_of" not in c["metadata"]
    # An upload of several files says so too (its worker read a file stored before).
    r = upload(server, [("again.pdf", read("two-pages.pdf")), ("b.html", read("page.html"))], headers=h)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st = requests.get(server.url + f"/api/process/batch-status/{job}", headers=h, timeout=30).json()
        if st["status"] in ("completed", "partial", "failed"):
            break
        time.sleep(0.2)
    (meta,), = server.query(f"SELECT processing_metadata FROM documents WHERE job_id = '{job}'"
                            " AND filename = 'again.pdf'")
    assert json.loads(meta)["duplicate_of"] == a["document_id"], meta


def upload(server, files, headers=None, **fields):
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return requests.post(server.url + "/api/process/upload", files=parts, data=fields,
                         headers=headers or {}, timeout=120)


def read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def test_upload_one_file_is_processed_now(server):
    h, uid = user(server)
    r = upload(server, [("../../etc/Notes 2024.txt", read("latin1.txt"))], headers=h, max_tags="3")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["metadata"]["title"] == "Notes 2024.txt"  # the last segment of the name
    assert body["metadata"]["filename"] == "Notes 2024.txt"
    assert len(body["tags"]) <= 3
    rows = server.query(f"SELECT blob_key, filename FROM documents WHERE id = '{body['document_id']}'")
    assert rows == [(f"{uid}/{body['job_id']}/{body['document_id']}.txt", "Notes 2024.txt")]


def test_upload_several_files_in_the_background(server):
    h, uid = user(server)
    files = [("a.pdf", read("two-pages.pdf")), ("b.html", read("page.html")), ("c.png", read("image.png"))]
    r = upload(server, files, headers=h, languages="en,fr")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "pending" and body["total_documents"] == 3
    job = body["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        (status, done, failed), = server.query(
            f"SELECT status, processed_documents, failed_documents FROM processing_jobs WHERE id = '{job}'")
        if status in ("completed", "partial", "failed"):
            break
        time.sleep(0.2)
    assert (status, done, failed) == ("partial", "2", "1")
    rows = dict(server.query(f"SELECT filename, status FROM documents WHERE job_id = '{job}'"))
    assert rows == {"a.pdf": "completed", "b.html": "completed", "c.png": "failed"}
    (err,), = server.query(f"SELECT error_message FROM documents WHERE job_id = '{job}' AND filename = 'c.png'")
    assert err == "unsupported type: PNG image"


def test_an_upload_without_a_name_is_titled_by_its_text(server):
    """A part whose filename is empty (or only a path) has no name to show: its title comes
    from its text, never from the server's temporary file (mtag-upload-XXXXXX)."""
    h, _ = user(server)
    for name in ['""', '"."', '"../"']:
        body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=" +
                name.encode() + b"\r\nContent-Type: text/plain\r\n\r\n"
                b"Nameless notes about gardening\nSecond line of the notes.\r\n--b0undary--\r\n")
        r = requests.post(server.url + "/api/process/upload", data=body, timeout=60,
                          headers={**h, "Content-Type": "multipart/form-data; boundary=b0undary"})
        assert r.status_code == 200, r.text
        assert r.json()["metadata"]["title"] == "Nameless notes about gardening", name
        (filename,), = server.query(
            f"SELECT coalesce(filename, '-') FROM documents WHERE id = '{r.json()['document_id']}'")
        assert filename == "-"


def test_a_name_that_is_not_utf8_is_kept_readable(server):
    """A Latin-1 file name in a multi-file upload: the job is taken (it was a 400 that left
    the files it had stored in storage for good), the bytes that are not UTF-8 shown as '?'."""
    h, uid = user(server)
    part = lambda name, text: (b"--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" +
                               name + b"\"\r\nContent-Type: text/plain\r\n\r\n" + text + b"\r\n")
    body = part(b"r\xe9sum\xe9.txt", b"Notes about the garden.") + part(b"b.txt", b"Notes about bees.") + \
        b"--b0undary--\r\n"
    r = requests.post(server.url + "/api/process/upload", data=body, timeout=60,
                      headers={**h, "Content-Type": "multipart/form-data; boundary=b0undary"})
    assert r.status_code == 202, r.text
    names = sorted(n for (n,) in server.query(f"SELECT filename FROM documents WHERE job_id = '{r.json()['job_id']}'"))
    assert names == ["b.txt", "r?sum?.txt"]


def test_an_anonymous_job_id_is_never_logged(server):
    """An anonymous job's id is what lets its submitter read it: the access log names its
    status route by pattern, and the processing log calls it anonymous."""
    files = [("a.pdf", read("two-pages.pdf")), ("b.html", read("page.html"))]
    r = upload(server, files)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st = requests.get(server.url + f"/api/process/batch-status/{job}", timeout=30).json()
        if st["status"] in ("completed", "partial", "failed"):
            break
        time.sleep(0.2)
    assert st["status"] == "completed"
    # Nor when no route takes it: a wrong method, or a typo around it.
    assert requests.put(server.url + f"/api/process/batch-status/{job}", timeout=30).status_code == 405
    assert requests.get(server.url + f"/api/process/batch-status/{job}/x", timeout=30).status_code == 404
    assert requests.put(server.url + f"/api/process/batch-status/{job}).", timeout=30).status_code == 405
    # Nor when someone without an account tries to claim it (the web UI does after sign-in).
    assert requests.post(server.url + f"/api/history/jobs/{job}/claim", timeout=30).status_code == 401
    log = server.read_log(until=["event=http.access", "path=/api/history/jobs/{id}/claim"])
    # A document's line is written after its outcome, which the job's status may show first.
    deadline = time.monotonic() + 10
    while log.count("event=core.document job=anonymous") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        log = server.read_log()
    assert "path=/api/process/batch-status/{job_id} status=200" in log
    assert "method=PUT path=/api/process/batch-status/{id} status=405" in log
    assert log.count("event=core.document job=anonymous") >= 2
    assert job not in log


def test_upload_errors(fresh_server):
    s = fresh_server(extra_env={"MTAG_MAX_UPLOAD_MB": "1"})
    r = upload(s, [("big.txt", b"x" * (2 << 20))])
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    r = requests.post(s.url + "/api/process/upload", files={"max_tags": (None, "5")})
    assert r.status_code == 422 and r.json()["detail"] == "files: at least one file is required"
    r = requests.post(s.url + "/api/process/upload", json={"files": []})
    assert r.status_code == 415
    r = upload(s, [("a.txt", b"hello world, this is a text")], max_tags="zero")
    assert r.status_code == 422 and r.json()["field"] == "max_tags"
    # An option sent as a file would have become a document, its value lost.
    r = requests.post(s.url + "/api/process/upload",
                      files=[("files", ("a.txt", b"hello world, this is a text", "text/plain")),
                             ("max_tags", ("m", b"3", "application/octet-stream"))])
    assert (r.status_code, r.json()["detail"]) == (422, "max_tags: must be a text field, not a file")
    assert s.proc.poll() is None


def test_slow_downloads_do_not_block_the_server(fresh_server, files_server):
    """Documents processed at once take at most half the threads for slow work
    (2 x MTAG_HTTP_THREADS), a client at most a quarter of those: past them, 429 at
    once; signing in and /health go on while they run."""
    s = fresh_server(extra_env={"MTAG_HTTP_THREADS": "4", "MTAG_TRUSTED_PROXIES": "127.0.0.1",
                                "MTAG_FETCH_PER_HOST": "16"})
    h, _ = user(s)
    email = requests.get(s.url + "/api/auth/me", headers=h).json()["email"]
    done, results = [], []

    def slow(i, client):
        r = single(s, files_server + f"/slow/3/page.html?{i}", headers={"X-Forwarded-For": client})
        results.append((client, r.status_code, r.json().get("detail") if r.status_code != 200 else None))
        if r.status_code == 200:
            done.append(time.monotonic())
    # One client three times (a quarter of 8 each: the third is refused), six others (8 in
    # all), then one more (the node is full).
    clients = ["192.0.2.1"] * 3 + [f"192.0.2.{i}" for i in range(2, 8)] + ["192.0.2.99"]
    threads = [threading.Thread(target=slow, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
        time.sleep(0.1)
    time.sleep(0.3)
    r = requests.get(s.url + "/health", timeout=5)
    started = time.monotonic()
    login = requests.post(s.url + "/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    answered = time.monotonic()
    for t in threads:
        t.join()
    assert r.status_code == 200 and login.status_code == 200
    assert answered - started < 2 and not any(d <= answered for d in done)  # while all were in flight
    assert sorted(c for c, status, _ in results if status == 200) == sorted(["192.0.2.1"] * 2 + clients[3:9])
    assert sorted((c, d) for c, status, d in results if status == 429) == [
        ("192.0.2.1", "2 of your documents are being processed at once, the most allowed;"
                      " wait for one to end, or send several in one upload or batch"),
        ("192.0.2.99", "the server is processing as many documents at once as it takes;"
                       " try again in a moment")]


@pytest.mark.skipif(DB != "sqlite", reason="the budget is the same whatever the database")
def test_anonymous_files_have_a_budget(fresh_server):
    """Anonymous work keeps at most ten uploads' worth of files per client (here 10 MB):
    one visitor could otherwise fill the disk for the day the files are kept."""
    s = fresh_server(extra_env={"MTAG_MAX_UPLOAD_MB": "1"})
    text = ("Volcanoes and glaciers shape the valley floor. " * 19000).encode()  # ~0.9 MB
    statuses = []
    for i in range(12):
        r = requests.post(s.url + "/api/process/upload", files={"files": (f"v{i}.txt", text, "text/plain")},
                          timeout=60)
        statuses.append(r.status_code)
    assert statuses == [200] * 11 + [429], statuses
    assert r.json()["detail"] == ("your anonymous work would keep 11 MB of files, more than the 10 MB allowed;"
                                  " sign in, or wait for them to be deleted")
    # Signed in, the same bytes are theirs to keep.
    h, _ = user(s)
    r = requests.post(s.url + "/api/process/upload", files={"files": ("v.txt", text, "text/plain")},
                      headers=h, timeout=60)
    assert r.status_code == 200


@pytest.mark.skipif(DB != "sqlite", reason="the wait is the same whatever the database")
def test_a_request_waits_a_bounded_time_for_its_hosts_download_slot(fresh_server, files_server):
    s = fresh_server(extra_env={"MTAG_FETCH_PER_HOST": "1"})
    h, uid = user(s)
    first = []
    t = threading.Thread(target=lambda: first.append(single(s, files_server + "/slow/24/page.html", headers=h)))
    t.start()
    time.sleep(1)
    started = time.monotonic()
    r = single(s, files_server + "/page.html?second", headers=h)
    waited = time.monotonic() - started
    assert r.status_code == 429, r.text
    assert r.json()["detail"] == "too many downloads from this host are running; try again later"
    assert r.headers["Retry-After"] == "20"
    assert 19 <= waited < 23
    assert s.query(f"SELECT count(*) FROM documents WHERE user_id = '{uid}'") == [("1",)]  # nothing recorded
    t.join()
    assert first[0].status_code == 200
    # The slot is free again: the same request goes through.
    assert single(s, files_server + "/page.html?second", headers=h).status_code == 200


def test_health_reports_storage(server):
    body = requests.get(server.url + "/health").json()
    assert body["storage"] == "ok"
    assert body["storage_driver"] == ("s3" if DB == "postgresql" and os.environ.get("MTAG_TEST_S3_ENDPOINT") else "local")


@pytest.mark.skipif(DB != "postgresql" or not S3_DIR, reason="needs the S3 test server")
def test_s3_outage_is_503_then_recovers(fresh_server, files_server):
    import subprocess
    s = fresh_server()
    h, _ = user(s)
    assert single(s, files_server + "/page.html", headers=h).status_code == 200
    subprocess.run([ROOT + "/tools/s3-server.sh", "pause", S3_DIR], check=True)
    try:
        r = requests.get(s.url + "/health", timeout=60)
        assert r.status_code == 503 and r.json()["storage"] == "unavailable"
        # New bytes (the same bytes would reuse the stored copy and need no storage).
        r = single(s, files_server + "/report.docx", headers=h)
        assert r.status_code == 503
    finally:
        subprocess.run([ROOT + "/tools/s3-server.sh", "resume", S3_DIR], check=True)
    deadline = time.monotonic() + 30
    while requests.get(s.url + "/health", timeout=60).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert requests.get(s.url + "/health").status_code == 200
    assert single(s, files_server + "/notes.odt", headers=h).status_code == 200
    (status, err), = s.query("SELECT status, error_message FROM documents WHERE source_url LIKE '%/report.docx'")
    assert (status, err) == ("failed", "could not store the original: the storage did not answer")


@pytest.mark.skipif(DB != "postgresql" or not S3_DIR, reason="needs the S3 test server")
def test_files_of_a_job_deleted_in_an_s3_outage_go_when_it_answers(fresh_server, files_server):
    """A job deleted while storage does not answer: its rows go at once and its file is kept
    to be deleted again, which the next delete storage takes does (it stayed for good)."""
    import subprocess
    s = fresh_server()
    h, _ = user(s)
    gone = single(s, files_server + "/page.html", headers=h).json()["job_id"]
    other = single(s, files_server + "/latin1.txt", headers=h).json()["job_id"]
    key = s.query(f"SELECT blob_key FROM documents WHERE job_id = '{gone}'")[0][0]
    bucket = s.env["MTAG_STORAGE_URL"].split("//")[1].split("?")[0]
    stored = os.path.join(S3_DIR, "data", bucket, key + "._S3rver_object")
    assert os.path.exists(stored)
    subprocess.run([ROOT + "/tools/s3-server.sh", "pause", S3_DIR], check=True)
    try:
        assert requests.delete(s.url + f"/api/history/jobs/{gone}", headers=h, timeout=60).status_code == 200
    finally:
        subprocess.run([ROOT + "/tools/s3-server.sh", "resume", S3_DIR], check=True)
    assert requests.get(s.url + f"/api/history/jobs/{gone}", headers=h).status_code == 404
    assert os.path.exists(stored) and s.query("SELECT key FROM blob_deletes") == [(key,)]
    assert requests.delete(s.url + f"/api/history/jobs/{other}", headers=h, timeout=60).status_code == 200
    assert not os.path.exists(stored)
    assert s.query("SELECT key FROM blob_deletes") == []


@pytest.mark.skipif(DB != "postgresql" or not S3_DIR, reason="needs the S3 test server")
def test_an_s3_outage_does_not_fail_queued_documents(fresh_server, files_server):
    """Workers whose document could not be stored leave it to be taken again and claim
    nothing until storage answers: a short outage no longer fails the whole queue."""
    import subprocess
    s = fresh_server(extra_env={"MTAG_LEASE_S": "4", "MTAG_WORKERS": "2"})
    h, _ = user(s)
    links = [f"{files_server}/page.html?outage={uuid.uuid4().hex}&n={i}" for i in range(6)]
    name = f"outage-{uuid.uuid4().hex[:6]}.csv"
    with open(os.path.join(GEN_DIR, name), "w") as f:
        f.write("url\n" + "\n".join(links) + "\n")
    subprocess.run([ROOT + "/tools/s3-server.sh", "pause", S3_DIR], check=True)
    try:
        r = requests.post(s.url + "/api/process/process-batch", headers=h, timeout=60,
                          json={"spreadsheet_url": f"{files_server}/gen/{name}", "url_column": "url"})
        assert r.status_code == 202, r.text
        job = r.json()["job_id"]
        time.sleep(6)  # the first documents meet the outage
    finally:
        subprocess.run([ROOT + "/tools/s3-server.sh", "resume", S3_DIR], check=True)
    deadline = time.monotonic() + 90
    while True:
        st = requests.get(s.url + f"/api/process/batch-status/{job}", headers=h, timeout=30).json()
        if st["status"] in ("completed", "partial", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (st["status"], st["completed"], st["failed"]) == ("completed", 6, 0), st


def test_debug_logging_to_a_file_does_not_break_extraction(fresh_server, files_server):
    # Helpers run with RLIMIT_FSIZE 0 and inherit the server's stderr, here a regular
    # file: a debug line written there must not kill them (SIGXFSZ).
    s = fresh_server(extra_env={"MTAG_LOG_LEVEL": "debug"})
    r = single(s, files_server + "/two-pages.pdf")
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["page_count"] == 2


def test_the_janitor_purges_expired_anonymous_work(tmp_path, files_server):
    """Anonymous work older than MTAG_ANONYMOUS_TTL_HOURS goes with its file when the janitor
    runs (at start-up, then every 10 minutes); recent and signed-in work stays."""
    env = {"MTAG_ANONYMOUS_TTL_HOURS": "1"}
    db = new_database_url()
    if db:
        env["MTAG_DATABASE_URL"] = db
    s = Server(str(tmp_path / "a"), extra_env=env)
    token = requests.post(s.url + "/api/auth/register", json={
        "email": f"j-{uuid.uuid4().hex[:8]}@example.org", "password": "correct horse battery staple"}).json()["access_token"]

    def process(name, headers=None):
        r = requests.post(s.url + "/api/process/process-single", json={"url": f"{files_server}/{name}"},
                          headers=headers or {}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()["job_id"], r.json()["document_id"]

    old_job, old_doc = process("page.html")
    new_job, _ = process("latin1.txt")
    mine_job, _ = process("notes.odt", {"Authorization": "Bearer " + token})
    key = s.query(f"SELECT blob_key FROM documents WHERE id = '{old_doc}'")[0][0]
    storage = {k: v for k, v in s.env.items() if k.startswith("MTAG_STORAGE") or k.startswith("MTAG_S3")}
    if storage:  # s3rver keeps each object as a file "<key>._S3rver_object" under its bucket
        bucket = storage["MTAG_STORAGE_URL"].split("//")[1].split("?")[0]
        stored = os.path.join(S3_DIR, "data", bucket, key + "._S3rver_object")
    else:
        stored = os.path.join(s.data_dir, "blobs", key)
    assert os.path.exists(stored), stored
    assert s.stop() == 0
    # Long past the hour, as far as the database knows.
    long_ago = "2020-01-01T00:00:00.000000Z"
    s.execute(f"UPDATE processing_jobs SET created_at = '{long_ago}' WHERE id = '{old_job}'")
    s.execute(f"UPDATE documents SET created_at = '{long_ago}' WHERE job_id = '{old_job}'")
    s2 = Server(str(tmp_path / "a"), extra_env={**env, "MTAG_DATA_DIR": s.data_dir, **storage})
    try:
        s2.read_log(until=["core.purge_anonymous", "jobs=1"], timeout=20)
        assert requests.get(f"{s2.url}/api/process/batch-status/{old_job}").status_code == 404
        assert s2.query(f"SELECT count(*) FROM documents WHERE job_id = '{old_job}'") == [("0",)]
        assert not os.path.exists(stored)
        assert requests.get(f"{s2.url}/api/process/batch-status/{new_job}").status_code == 200
        assert requests.get(f"{s2.url}/api/history/jobs/{mine_job}",
                            headers={"Authorization": "Bearer " + token}).status_code == 200
    finally:
        assert s2.stop() == 0
