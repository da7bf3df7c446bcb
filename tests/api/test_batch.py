"""Batch jobs: spreadsheets of links, the durable queue, progress, cancel, retry, limits,
and a server killed in the middle of a batch."""
import io
import os
import signal
import threading
import time
import uuid

import requests

from conftest import GEN_DIR, Server, new_database_url

PASSWORD = "correct horse battery staple"
FINAL = ("completed", "partial", "failed", "cancelled")


def user(server):
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": f"b-{uuid.uuid4().hex[:10]}@example.org", "password": PASSWORD})
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def sheet(name, lines):
    with open(os.path.join(GEN_DIR, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return name


def submit(server, files_server, name, column="url", headers=None, **extra):
    return requests.post(server.url + "/api/process/process-batch",
                         json={"spreadsheet_url": f"{files_server}/gen/{name}", "url_column": column, **extra},
                         headers=headers or {}, timeout=60)


def wait_final(server, job, headers=None, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(server.url + f"/api/process/batch-status/{job}", headers=headers or {}, timeout=30)
        assert r.status_code == 200, r.text
        if r.json()["status"] in FINAL or time.monotonic() > deadline:
            return r.json()
        time.sleep(0.2)


def test_csv_batch_end_to_end(server, files_server):
    name = sheet(f"b-{uuid.uuid4().hex[:6]}.csv", [
        "Title;Document URL;Notes",
        f"a;{files_server}/two-pages.pdf;x",
        f"b;{files_server}/page.html;y",
        ";;",
        f"c;{files_server}/missing.pdf;z",
        "d;not a url;w",
        f"e;{files_server}/page.html;dup",
        f"f;{files_server}/report.docx;v",
    ])
    r = submit(server, files_server, name, column="document url", max_tags=5)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "pending" and body["total_documents"] == 5  # blank and duplicate skipped
    s = wait_final(server, body["job_id"])
    assert (s["status"], s["total"], s["completed"], s["failed"]) == ("partial", 5, 3, 2)
    assert [x["status"] for x in s["results"]] == ["completed", "completed", "failed", "failed", "completed"]
    assert s["results"][0]["title"] == "Golden Test — Café" and len(s["results"][0]["tags"]) <= 5
    assert s["results"][2]["error"] == "download failed: HTTP 404"
    assert s["results"][3]["error"].startswith("row 6: invalid URL")
    assert s["started_at"] and s["completed_at"]
    page = requests.get(server.url + f"/api/process/batch-status/{body['job_id']}?limit=2&offset=2").json()
    assert [x["document_id"] for x in page["results"]] == [x["document_id"] for x in s["results"][2:4]]
    assert requests.get(server.url + f"/api/process/batch-status/{body['job_id']}?limit=0").status_code == 422


def test_missing_column_and_bad_spreadsheet(server, files_server):
    name = sheet("cols.csv", ["Name,Link", "x,http://example.org/a.pdf"])
    r = submit(server, files_server, name, column="url")
    assert r.status_code == 422
    assert r.json()["detail"] == "column 'url' not found; headers: Name, Link"
    r = submit(server, files_server, "nope.csv")
    assert r.status_code == 422 and r.json()["detail"] == "spreadsheet_url: download failed: HTTP 404"
    r = requests.post(server.url + "/api/process/process-batch", json={"spreadsheet_url": "x"})
    assert r.status_code == 422 and r.json()["field"] == "url_column"


def test_ownership(server, files_server):
    name = sheet(f"own-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/page.html"])
    h = user(server)
    job = submit(server, files_server, name, headers=h).json()["job_id"]
    assert requests.get(server.url + f"/api/process/batch-status/{job}", headers=h).status_code == 200
    assert requests.get(server.url + f"/api/process/batch-status/{job}").status_code == 404
    assert requests.get(server.url + f"/api/process/batch-status/{job}", headers=user(server)).status_code == 404
    anon = submit(server, files_server, name).json()["job_id"]
    # Anonymous work: its id is the capability.
    assert requests.get(server.url + f"/api/process/batch-status/{anon}", headers=h).status_code == 200
    assert requests.get(server.url + f"/api/process/batch-status/{uuid.uuid4()}").status_code == 404
    assert requests.get(server.url + "/api/process/batch-status/not-a-uuid").status_code == 404


def test_cancel_and_retry(server, files_server):
    h = user(server)
    slow = sheet(f"slow-{uuid.uuid4().hex[:6]}.csv",
                 ["url"] + [f"{files_server}/slow/0.5/page.html?n={i}" for i in range(30)])
    job = submit(server, files_server, slow, headers=h).json()["job_id"]
    time.sleep(0.8)
    r = requests.post(server.url + f"/api/history/jobs/{job}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["documents_cancelled"] > 0
    s = wait_final(server, job, h)
    assert s["status"] == "cancelled"
    time.sleep(1.5)  # running documents finish
    s = requests.get(server.url + f"/api/process/batch-status/{job}?limit=500", headers=h).json()
    assert all(x["status"] in ("completed", "failed") for x in s["results"])
    assert sum(x["error"] == "cancelled" for x in s["results"]) == r.json()["documents_cancelled"]
    assert requests.post(server.url + f"/api/history/jobs/{job}/cancel", headers=h).status_code == 409
    assert requests.post(server.url + f"/api/history/jobs/{job}/cancel", headers=user(server)).status_code == 404
    # Its documents stopped by the cancel are failed too: a retry would undo the cancel.
    r = requests.post(server.url + f"/api/history/jobs/{job}/retry", headers=h)
    assert (r.status_code, r.json()["detail"]) == (409, "the job was cancelled: its documents are not retried")
    # Retry: a document that failed because its file was missing, now present.
    missing = f"late-{uuid.uuid4().hex[:6]}.txt"
    name = sheet(f"retry-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/gen/{missing}"])
    job = submit(server, files_server, name, headers=h).json()["job_id"]
    assert wait_final(server, job, h)["status"] == "failed"
    sheet(missing, ["Now the document exists and has some words in it about retrying documents."])
    r = requests.post(server.url + f"/api/history/jobs/{job}/retry", headers=h)
    assert r.status_code == 200 and r.json()["documents_retried"] == 1
    s = wait_final(server, job, h)
    assert (s["status"], s["completed"], s["failed"]) == ("completed", 1, 0)


def test_a_retry_leaves_rows_that_are_no_url(server, files_server):
    """A row refused at submission would fail again: a retry leaves it, with its row."""
    h = user(server)
    missing = f"late-{uuid.uuid4().hex[:6]}.txt"
    job = submit(server, files_server, sheet(f"r-{uuid.uuid4().hex[:6]}.csv",
                                             ["url", f"{files_server}/gen/{missing}", "ftp://example.org/a.pdf"]),
                 headers=h).json()["job_id"]
    assert wait_final(server, job, h)["status"] == "failed"
    sheet(missing, ["Now the document exists, with words about retries."])
    r = requests.post(server.url + f"/api/history/jobs/{job}/retry", headers=h, timeout=30)
    assert (r.status_code, r.json()["documents_retried"]) == (200, 1)
    s = wait_final(server, job, h)
    assert (s["status"], s["completed"], s["failed"]) == ("partial", 1, 1)
    assert s["results"][1]["error"] == "row 3: unsupported scheme: ftp"


def test_a_single_document_that_failed_can_be_retried(server, files_server):
    """process-single records one attempt: a retry puts the failed document back in the
    queue (it answered "no failed documents", the job still failed)."""
    h = user(server)
    missing = f"single-{uuid.uuid4().hex[:6]}.txt"
    r = requests.post(server.url + "/api/process/process-single", headers=h, timeout=60,
                      json={"url": f"{files_server}/gen/{missing}"})
    assert r.status_code == 422
    job = r.json()["job_id"]
    sheet(missing, ["Now the document exists, with words about retries."])
    r = requests.post(server.url + f"/api/history/jobs/{job}/retry", headers=h, timeout=30)
    assert (r.status_code, r.json()["documents_retried"]) == (200, 1)
    s = wait_final(server, job, h)
    assert (s["status"], s["completed"], s["failed"]) == ("completed", 1, 0)
    # An upload that failed before its file was stored has nothing to process again.
    r = requests.post(server.url + "/api/process/upload", headers=h, timeout=60,
                      files=[("files", ("bad.pdf", b"%PDF-1.4 not really", "application/pdf"))])
    assert r.status_code == 422
    r = requests.post(server.url + f"/api/history/jobs/{r.json()['job_id']}/retry", headers=h, timeout=30)
    assert (r.status_code, r.json()["documents_retried"]) == (200, 0)


def test_a_job_is_processing_from_its_first_claim(server, files_server):
    """A job whose documents are being processed says so, with the time it started."""
    h = user(server)
    job = submit(server, files_server, sheet(f"run-{uuid.uuid4().hex[:6]}.csv",
                                             ["url", f"{files_server}/slow/3/page.html"]), headers=h).json()["job_id"]
    for _ in range(100):
        st = requests.get(server.url + f"/api/history/jobs/{job}", headers=h, timeout=30).json()
        if st["documents"][0]["status"] == "processing":
            break
        time.sleep(0.05)
    assert (st["documents"][0]["status"], st["status"]) == ("processing", "processing")
    assert st["started_at"] is not None and st["completed_at"] is None
    assert requests.get(server.url + "/api/history/jobs", headers=h, params={"status": "processing"},
                        timeout=30).json()["total"] == 1
    done = wait_final(server, job, h)
    assert done["status"] == "completed"
    final = requests.get(server.url + f"/api/history/jobs/{job}", headers=h, timeout=30).json()
    assert final["started_at"] == st["started_at"] and final["completed_at"] >= final["started_at"]


def test_per_user_limits(fresh_server, files_server):
    s = fresh_server(extra_env={"MTAG_MAX_PENDING_DOCUMENTS": "3"})
    h = user(s)
    name = sheet(f"lim-{uuid.uuid4().hex[:6]}.csv", ["url"] + [f"{files_server}/page.html?n={i}" for i in range(5)])
    r = submit(s, files_server, name, headers=h)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert "more than the 3 allowed" in r.json()["detail"]
    # Several uploaded files are a job too, under the same limits.
    files = [("files", (f"f{i}.txt", f"Some words about limits number {i}.".encode(), "text/plain"))
             for i in range(5)]
    r = requests.post(s.url + "/api/process/upload", files=files, headers=h, timeout=60)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "60")
    assert r.json()["detail"] == "you would have 5 documents waiting, more than the 3 allowed"
    r = requests.post(s.url + "/api/process/upload", files=files[:3], headers=h, timeout=60)
    assert r.status_code == 202 and r.json()["total_documents"] == 3
    # Without an account, each client address has one user's limits.
    r = submit(s, files_server, name)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert r.json()["detail"] == "your anonymous work would have 5 documents waiting, more than the 3 allowed"
    r = requests.post(s.url + "/api/process/upload", files=files[:3], timeout=60)
    assert r.status_code == 202


def test_anonymous_limits_are_per_client_address(fresh_server, files_server):
    """One anonymous visitor at the limit does not hold it for another; the address is
    kept only as a keyed digest, and a claimed job no longer counts for it."""
    s = fresh_server(extra_env={"MTAG_MAX_RUNNING_JOBS": "1", "MTAG_TRUSTED_PROXIES": "127.0.0.1"})
    one, two = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "198.51.100.7"}
    slow = sheet(f"anon-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/slow/8/page.html?anon"])
    first = submit(s, files_server, slow, headers=one)
    assert first.status_code == 202, first.text
    r = submit(s, files_server, slow, headers=one)
    assert r.status_code == 429
    assert r.json()["detail"] == ("your anonymous work has 1 job running, the most allowed;"
                                  " wait for one to end, or sign in")
    r = submit(s, files_server, slow, headers=two)
    assert r.status_code == 202, r.text
    keys = s.query("SELECT anon_client FROM processing_jobs ORDER BY created_at")
    assert len(keys) == 2 and keys[0] != keys[1] and all(len(k[0]) == 16 for k in keys)
    assert "203.0.113.5" not in str(keys)
    # Claimed by someone signed in, the job is theirs: the address may submit again.
    h = user(s)
    assert requests.post(s.url + f"/api/history/jobs/{first.json()['job_id']}/claim", headers=h,
                         timeout=30).status_code == 200
    assert s.query(f"SELECT count(*) FROM processing_jobs WHERE id = '{first.json()['job_id']}'"
                   " AND anon_client IS NULL") == [("1",)]
    assert submit(s, files_server, slow, headers=one).status_code == 202
    # An IPv6 client may use any address of its /64: it is one client.
    assert submit(s, files_server, slow, headers={"X-Forwarded-For": "2001:db8:0:1::5"}).status_code == 202
    assert submit(s, files_server, slow, headers={"X-Forwarded-For": "2001:db8:0:1::9"}).status_code == 429
    # All anonymous clients together have ten users' limits (here 10 running jobs; 3 run).
    statuses = [submit(s, files_server, slow, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                for i in range(1, 9)]
    assert statuses == [202] * 7 + [429]
    r = submit(s, files_server, slow, headers={"X-Forwarded-For": "192.0.2.200"})
    assert r.status_code == 429
    assert r.json()["detail"] == "anonymous work has 10 jobs running, the most allowed; sign in, or try again later"


def test_submissions_at_once_keep_the_limit(fresh_server, files_server):
    """Batches submitted at once cannot pass the running-jobs limit together (each counted the
    others' jobs before any was written: 23 of 24 went through a limit of 10)."""
    s = fresh_server(extra_env={"MTAG_MAX_RUNNING_JOBS": "3", "MTAG_HTTP_THREADS": "8"})
    h = user(s)
    slow = sheet(f"race-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/slow/5/page.html"])
    results = []

    def one():
        results.append(submit(s, files_server, slow, headers=h))
    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [202] * 3 + [429] * 9, codes
    details = {r.json()["detail"] for r in results if r.status_code == 429}
    assert details <= {"you have 3 jobs running, the most allowed; wait for one to end",
                       "other jobs were submitted at the same time; try again"}, details


def test_retry_counts_against_the_limits(fresh_server, files_server):
    """Documents queued again by a retry count like new ones: a finished job retried is one
    more running job."""
    s = fresh_server(extra_env={"MTAG_MAX_RUNNING_JOBS": "1"})
    h = user(s)
    missing = f"absent-{uuid.uuid4().hex[:6]}.txt"
    failed = submit(s, files_server, sheet(f"f-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/gen/{missing}"]),
                    headers=h).json()["job_id"]
    assert wait_final(s, failed, h)["status"] == "failed"
    slow = submit(s, files_server, sheet(f"s-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/slow/3/page.html"]),
                  headers=h).json()["job_id"]
    r = requests.post(s.url + f"/api/history/jobs/{failed}/retry", headers=h)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "60")
    assert r.json()["detail"] == "you have 1 job running, the most allowed; wait for one to end"
    assert wait_final(s, slow, h)["status"] == "completed"
    r = requests.post(s.url + f"/api/history/jobs/{failed}/retry", headers=h)
    assert (r.status_code, r.json()["documents_retried"]) == (200, 1)


def test_four_workers_process_each_document_once(fresh_server, files_server):
    s = fresh_server(extra_env={"MTAG_WORKERS": "4"})
    name = sheet(f"many-{uuid.uuid4().hex[:6]}.csv", ["url"] + [f"{files_server}/latin1.txt?n={i}" for i in range(500)])
    job = submit(s, files_server, name).json()["job_id"]
    st = wait_final(s, job, timeout=300)
    assert (st["status"], st["completed"], st["failed"]) == ("completed", 500, 0)
    rows = s.query(f"SELECT attempts, count(*) FROM documents WHERE job_id = '{job}' GROUP BY attempts")
    assert rows == [("1", "500")]
    assert len(s.query(f"SELECT DISTINCT node_id FROM documents WHERE job_id = '{job}'")) == 1


def test_sigkill_mid_batch_loses_nothing(tmp_path, files_server):
    env = {"MTAG_WORKERS": "2", "MTAG_LEASE_S": "4"}
    db = new_database_url()
    if db:
        env["MTAG_DATABASE_URL"] = db
    s = Server(str(tmp_path / "a"), extra_env=env)
    name = sheet(f"kill-{uuid.uuid4().hex[:6]}.csv",
                 ["url"] + [f"{files_server}/slow/0.05/page.html?n={i}" for i in range(200)])
    job = submit(s, files_server, name).json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = int(requests.get(s.url + f"/api/process/batch-status/{job}").json()["completed"])
        if done >= 20:
            break
        time.sleep(0.1)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.log.close()
    # The same data and database, a new process.
    s2 = Server(str(tmp_path / "a"), extra_env={**env, "MTAG_DATA_DIR": s.data_dir,
                                                  **({"MTAG_DATABASE_URL": db} if db else {}),
                                                  **{k: v for k, v in s.env.items() if k.startswith("MTAG_STORAGE") or k.startswith("MTAG_S3")}})
    try:
        st = wait_final(s2, job, timeout=240)
        assert st["status"] == "completed", st
        assert st["completed"] + st["failed"] == st["total"] == 200
        assert s2.query(f"SELECT count(*) FROM documents WHERE job_id = '{job}' AND status IN ('pending', 'processing')") == [("0",)]
    finally:
        assert s2.stop() == 0


def test_a_node_dying_mid_request_leaves_no_document_processing(tmp_path, files_server):
    """A document processed at once for a request is claimed by its node as it is made:
    SIGKILL mid-download, and after its lease a worker of the next process finishes it
    (it stayed processing forever, its job counted as running against the user's limits)."""
    env = {"MTAG_WORKERS": "1", "MTAG_LEASE_S": "4", "MTAG_RATE_REGISTER": "100"}
    db = new_database_url()
    if db:
        env["MTAG_DATABASE_URL"] = db
    s = Server(str(tmp_path / "a"), extra_env=env)
    auth = {"email": f"u-{uuid.uuid4().hex[:8]}@example.org", "password": "correct horse battery"}
    h = {"Authorization": "Bearer " + requests.post(s.url + "/api/auth/register", json=auth)
         .json()["access_token"]}
    def request():
        try:
            requests.post(s.url + "/api/process/process-single", headers=h, timeout=60,
                          json={"url": f"{files_server}/slow/3/two-pages.pdf"})
        except requests.ConnectionError:
            pass  # the server is killed under it
    threading.Thread(target=request, daemon=True).start()
    deadline = time.monotonic() + 10
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = s.query("SELECT job_id, attempts, node_id FROM documents WHERE status = 'processing'")
        time.sleep(0.05)
    assert len(rows) == 1 and rows[0][1] == "1" and rows[0][2], rows
    job = rows[0][0]
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.log.close()
    s2 = Server(str(tmp_path / "a"), extra_env={**env, "MTAG_DATA_DIR": s.data_dir,
                                                  **{k: v for k, v in s.env.items() if k.startswith("MTAG_STORAGE") or k.startswith("MTAG_S3")}})
    try:
        h2 = {"Authorization": "Bearer " + requests.post(s2.url + "/api/auth/login", json=auth)
              .json()["access_token"]}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = requests.get(s2.url + f"/api/history/jobs/{job}", headers=h2).json()
            if st["status"] not in ("pending", "processing"):
                break
            time.sleep(0.2)
        assert st["status"] == "completed", st
        assert st["documents"][0]["status"] == "completed"
        (attempts,), = s2.query(f"SELECT attempts FROM documents WHERE job_id = '{job}'")
        assert attempts == "2"
    finally:
        assert s2.stop() == 0


def read_events(resp):
    """(id, event, data) of each Server-Sent Event until the stream ends."""
    events, cur = [], {}
    for raw in resp.iter_lines(decode_unicode=True):
        if raw == "":
            if cur:
                events.append((cur.get("id"), cur.get("event"), cur.get("data")))
            cur = {}
        elif not raw.startswith(":"):
            k, _, v = raw.partition(": ")
            cur[k] = v
    return events


def test_events_stream_progress_and_resume(server, files_server):
    import json
    name = sheet(f"ev-{uuid.uuid4().hex[:6]}.csv",
                 ["url"] + [f"{files_server}/slow/0.3/page.html?n={i}" for i in range(4)])
    job = submit(server, files_server, name).json()["job_id"]
    url = server.url + f"/api/process/batch-status/{job}/events"
    with requests.get(url, stream=True, timeout=60) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        events = read_events(r)
    kinds = [e[1] for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) <= {"progress"} and kinds.count("progress") >= 1
    ids = [int(e[0]) for e in events]
    assert ids == sorted(ids) and ids[-1] == 5
    final = json.loads(events[-1][2])
    assert final == {"job_id": job, "status": "completed", "total": 4, "completed": 4, "failed": 0}
    # Resuming after the last event: nothing more; after event 2: only what came later.
    with requests.get(url, stream=True, timeout=30, headers={"Last-Event-ID": "5"}) as r:
        assert read_events(r) == []
    with requests.get(url, stream=True, timeout=30, headers={"Last-Event-ID": "2"}) as r:
        evs = read_events(r)
    assert [e[1] for e in evs] == ["progress", "done"] and evs[0][0] == "4"
    assert requests.get(server.url + f"/api/process/batch-status/{uuid.uuid4()}/events").status_code == 404


def test_events_stream_says_when_its_job_is_deleted(server, files_server):
    """The job deleted while its stream is open: an error event shaped as every error of the
    API (detail and code), and the stream ends."""
    import json
    h = user(server)
    name = sheet(f"evd-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/slow/5/page.html"])
    job = submit(server, files_server, name, headers=h).json()["job_id"]
    url = server.url + f"/api/process/batch-status/{job}/events"
    with requests.get(url, stream=True, timeout=60, headers=h) as r:
        assert r.status_code == 200
        assert requests.delete(server.url + f"/api/history/jobs/{job}", headers=h).status_code == 200
        events = read_events(r)
    assert events[-1][1] == "error"
    assert json.loads(events[-1][2]) == {"detail": "the job was deleted", "code": "not_found"}


def test_spreadsheet_uploaded_as_multipart(server, files_server):
    rows = "Name,Link\nA,{0}/page.html\nB,{0}/latin1.txt\n".format(files_server)
    r = requests.post(server.url + "/api/process/process-batch",
                      files={"file": ("links.csv", rows.encode(), "text/csv")},
                      data={"url_column": "B", "max_tags": "3"}, timeout=60)
    assert r.status_code == 202, r.text
    s = wait_final(server, r.json()["job_id"])
    assert (s["status"], s["completed"]) == ("completed", 2)
    assert all(len(x["tags"]) <= 3 for x in s["results"])
    r = requests.post(server.url + "/api/process/process-batch",
                      files={"file": ("links.csv", rows.encode(), "text/csv")}, timeout=60)
    assert r.status_code == 422 and r.json()["detail"] == "url_column: field required"


def test_delete_a_running_job_removes_rows_and_files(server, files_server):
    h = user(server)
    uid = requests.get(server.url + "/api/auth/me", headers=h).json()["id"]
    # A stored original first (the same user's same bytes will be shared with it and must survive).
    kept = requests.post(server.url + "/api/process/process-single",
                         json={"url": f"{files_server}/report.docx"}, headers=h).json()
    name = sheet(f"del-{uuid.uuid4().hex[:6]}.csv",
                 ["url", f"{files_server}/report.docx?again=1"] +
                 [f"{files_server}/slow/0.4/page.html?n={i}" for i in range(12)])
    job = submit(server, files_server, name, headers=h).json()["job_id"]
    deadline = time.monotonic() + 30
    while requests.get(server.url + f"/api/process/batch-status/{job}", headers=h).json()["completed"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert requests.delete(server.url + f"/api/history/jobs/{job}", headers=user(server)).status_code == 404
    r = requests.delete(server.url + f"/api/history/jobs/{job}", headers=h)
    assert r.status_code == 200 and r.json() == {"message": "job deleted", "job_id": job}
    assert requests.get(server.url + f"/api/process/batch-status/{job}", headers=h).status_code == 404
    time.sleep(1.5)  # documents that were running finish, find their job gone, and drop their files
    assert server.query(f"SELECT count(*) FROM documents WHERE job_id = '{job}'") == [("0",)]
    if "MTAG_STORAGE_URL" not in server.env:
        root = os.path.join(server.data_dir, "blobs", uid)
        assert not os.path.exists(os.path.join(root, job))
    # The shared original of the other job is still there and downloadable.
    link = requests.get(server.url + f"/api/history/documents/{kept['document_id']}/download",
                        headers=h, allow_redirects=False).headers["Location"]
    assert requests.get(link).status_code == 200
    assert requests.delete(server.url + f"/api/history/jobs/{job}", headers=h).status_code == 404


def test_downloads_are_polite_per_host(fresh_server, files_server):
    from conftest import FilesHandler
    s = fresh_server(extra_env={"MTAG_WORKERS": "4", "MTAG_FETCH_PER_HOST": "1"})
    name = sheet(f"polite-{uuid.uuid4().hex[:6]}.csv",
                 ["url"] + [f"{files_server}/slow/0.3/page.html?n={i}&counted" for i in range(6)])
    with FilesHandler.lock:
        FilesHandler.most = 0
    job = submit(s, files_server, name).json()["job_id"]
    st = wait_final(s, job)
    assert (st["status"], st["completed"]) == ("completed", 6)
    assert FilesHandler.most == 1  # four workers, one host, one download at a time


def columns(server, **kw):
    return requests.post(server.url + "/api/process/spreadsheet-columns", timeout=60, **kw)


def test_spreadsheet_columns_for_choosing_the_url_column(server, files_server):
    data = os.path.join(os.path.dirname(__file__), "../data/sheet")

    def upload(name):
        with open(os.path.join(data, name), "rb") as f:
            return columns(server, files={"file": (name, f)})

    r = upload("comma.csv")
    assert r.status_code == 200, r.text
    assert r.json() == {"format": "csv", "suggested": "URL", "columns": [
        {"letter": "A", "name": "Name", "is_link": False},
        {"letter": "B", "name": "URL", "is_link": False},
        {"letter": "C", "name": "Notes", "is_link": False}]}
    r = upload("shared.xlsx").json()
    assert (r["format"], [c["name"] for c in r["columns"]], r["suggested"]) == \
        ("xlsx", ["Name", "Web Address", "Count"], "Web Address")
    r = upload("links.ods").json()
    assert (r["format"], [c["name"] for c in r["columns"]], r["suggested"]) == ("ods", ["Title", "Link"], "Link")
    # A list of links without a header row: the column goes by its letter.
    r = upload("urls-only.csv").json()
    assert r["columns"] == [{"letter": "A", "name": "https://example.com/1", "is_link": True}]
    assert r["suggested"] == "A"
    # By URL, for the signed-in too; a blank header cell is named by its letter.
    name = sheet(f"cols-{uuid.uuid4().hex[:6]}.csv", ["title,,page", "a,b,https://example.com/x"])
    r = columns(server, json={"spreadsheet_url": f"{files_server}/gen/{name}"}, headers=user(server))
    assert r.status_code == 200, r.text
    assert [(c["letter"], c["name"]) for c in r.json()["columns"]] == [("A", "title"), ("B", "B"), ("C", "page")]
    assert r.json()["suggested"] is None
    # What cannot be read is a clear error, never a 500.
    assert upload("empty.csv").json()["detail"] == "unsupported spreadsheet: empty file"
    assert upload("image.png").status_code == 422
    assert upload("bomb.xlsx").status_code == 413
    r = columns(server, json={"spreadsheet_url": f"{files_server}/gen/no-such.csv"})
    assert r.status_code == 422 and r.json()["detail"] == "spreadsheet_url: download failed: HTTP 404"
    r = columns(server, json={})
    assert r.status_code == 422 and r.json()["detail"].startswith("spreadsheet_url")
    with open(os.path.join(data, "comma.csv"), "rb") as f:
        body = f.read()
    r = columns(server, files=[("file", ("a.csv", body)), ("file", ("b.csv", body))])
    assert r.status_code == 422 and r.json()["detail"] == "file: exactly one spreadsheet file is required"


def test_spreadsheet_columns_of_a_hostile_header_row(server):
    """A 1 KB ODS repeating a 64 KB cell over 6,800 columns: a short list, not 400 MB."""
    import zipfile
    cell = "h" * 65000
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
               ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
               ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
               '<office:body><office:spreadsheet><table:table table:name="S"><table:table-row>'
               f'<table:table-cell table:number-columns-repeated="6800"><text:p>{cell}</text:p></table:table-cell>'
               '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    assert len(body.getvalue()) < 2048
    r = columns(server, files={"file": ("wide.ods", body.getvalue())})
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) < 1 << 20
    cols = r.json()["columns"]
    assert len(cols) == 1024
    assert {c["name"] for c in cols} == {"h" * 256}
    assert (cols[0]["letter"], cols[-1]["letter"]) == ("A", "AMJ")
