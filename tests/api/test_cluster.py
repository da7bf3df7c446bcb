"""Several mtag processes: roles, the refusal of a second node on SQLite or a local
directory, and (on PostgreSQL + S3) a cluster of 2 api and 3 worker nodes losing a
worker to SIGKILL and another to SIGSTOP in the middle of a batch."""
import os
import signal
import time
import uuid

import pytest
import requests

from conftest import DB, GEN_DIR, S3_ENDPOINT, Server, new_database_url, run_mtag, s3_storage_env


def sheet(name, lines):
    with open(os.path.join(GEN_DIR, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return name


def submit(node, files_server, name):
    r = requests.post(node.url + "/api/process/process-batch",
                      json={"spreadsheet_url": f"{files_server}/gen/{name}", "url_column": "url"}, timeout=60)
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


@pytest.mark.skipif(DB != "sqlite", reason="the refusal concerns SQLite and local storage")
def test_second_node_on_sqlite_is_refused(server):
    env = {k: v for k, v in server.env.items() if k.startswith("MTAG_")}
    env["MTAG_LISTEN"] = "127.0.0.1:0"
    r = run_mtag("serve", "--role", "worker", env=env, timeout=60)
    assert r.returncode == 1
    assert "another mtag node is already serving the SQLite database" in r.stderr
    assert "PostgreSQL and S3" in r.stderr
    # The CLI is no node: it still works beside the server.
    assert run_mtag("user", "list", env=env).returncode == 0


def test_roles(tmp_path, files_server):
    env = {}
    db = new_database_url()
    if db:
        env["MTAG_DATABASE_URL"] = db
        env.update(s3_storage_env())
    api = Server(str(tmp_path / "api"), extra_env=env, args=("--role", "api"))
    try:
        name = sheet(f"roles-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/page.html"])
        job = submit(api, files_server, name)
        time.sleep(1.5)
        st = requests.get(api.url + f"/api/process/batch-status/{job}").json()
        assert st["status"] == "pending"  # an api node runs no workers
        assert "role=api" in api.read_log()
        if not db:
            return  # a worker on the same SQLite file is refused (test above)
        worker = Server(str(tmp_path / "worker"), extra_env={**env, "MTAG_STORAGE_URL": api.env.get("MTAG_STORAGE_URL", "")},
                        args=("--role", "worker"))
        try:
            assert requests.get(worker.url + "/health").status_code == 200
            assert requests.get(worker.url + "/api/openapi.json").status_code == 404
            deadline = time.monotonic() + 60
            while requests.get(api.url + f"/api/process/batch-status/{job}").json()["status"] != "completed":
                assert time.monotonic() < deadline
                time.sleep(0.2)
            # The worker claimed the documents: its own /metrics counts the claims.
            m = requests.get(worker.url + "/metrics")
            assert m.status_code == 200
            calls = [l for l in m.text.splitlines() if l.startswith("mtag_claim_duration_seconds_count ")]
            assert len(calls) == 1 and float(calls[0].split()[1]) >= 1
        finally:
            assert worker.stop() == 0
    finally:
        assert api.stop() == 0
    r = run_mtag("serve", "--role", "boss")
    assert r.returncode == 2 and "--role must be all, api or worker" in r.stderr


def cluster(tmp_path, apis, workers):
    """api and worker nodes on one new database and the S3 bucket, leases of 4 s: (apis, workers)."""
    env = {"MTAG_DATABASE_URL": new_database_url(), "MTAG_LEASE_S": "4", "MTAG_WORKERS": "1",
           "MTAG_FETCH_PER_HOST": "8", **s3_storage_env()}
    a = [Server(str(tmp_path / f"api{i}"), extra_env=env, args=("--role", "api")) for i in range(apis)]
    w = [Server(str(tmp_path / f"w{i}"), extra_env={**env, "MTAG_NODE_ID": f"worker-{i}"},
                args=("--role", "worker")) for i in range(workers)]
    return a, w


@pytest.mark.skipif(DB != "postgresql" or not S3_ENDPOINT, reason="a cluster needs PostgreSQL and S3")
def test_cluster_survives_a_killed_and_a_stopped_worker(tmp_path, files_server):
    nodes = []
    try:
        (api1, api2), workers = cluster(tmp_path, 2, 3)
        nodes = [api1, api2, *workers]
        name = sheet(f"cluster-{uuid.uuid4().hex[:6]}.csv",
                     ["url"] + [f"{files_server}/slow/0.05/page.html?n={i}" for i in range(300)])
        job = submit(api1, files_server, name)
        deadline = time.monotonic() + 60
        while requests.get(api2.url + f"/api/process/batch-status/{job}").json()["completed"] < 30:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        workers[0].proc.send_signal(signal.SIGKILL)
        workers[1].proc.send_signal(signal.SIGSTOP)
        time.sleep(6)  # past the stopped worker's lease
        workers[1].proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 240
        while True:
            st = requests.get(api2.url + f"/api/process/batch-status/{job}").json()
            if st["status"] in ("completed", "partial", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert (st["status"], st["completed"] + st["failed"], st["total"]) == ("completed", 300, 300)
        left = api1.query(f"SELECT count(*) FROM documents WHERE job_id = '{job}' AND status IN ('pending', 'processing')")
        assert left == [("0",)]
        stored = api1.query(f"SELECT count(*) FROM documents WHERE job_id = '{job}' AND blob_key IS NOT NULL")
        assert stored == [("300",)]
        nodes_seen = {n for (n,) in api1.query(f"SELECT DISTINCT node_id FROM documents WHERE job_id = '{job}'")}
        assert "worker-2" in nodes_seen and len(nodes_seen) >= 2
    finally:
        for n in nodes:
            if n.proc.poll() is None:
                n.proc.send_signal(signal.SIGCONT)
                n.stop()


@pytest.mark.skipif(DB != "postgresql" or not S3_ENDPOINT, reason="needs PostgreSQL and S3")
def test_a_stopping_worker_keeps_its_lease_while_it_finishes(tmp_path, files_server):
    """SIGTERM: the worker finishes the document it holds, and its lease is renewed until then
    (it was not: another node took the document again after the lease and processed it twice)."""
    from conftest import FilesHandler
    nodes = []
    try:
        (api,), workers = cluster(tmp_path, 1, 2)
        nodes = [api, *workers]
        with FilesHandler.lock:
            FilesHandler.most = 0
        name = sheet(f"stop-{uuid.uuid4().hex[:6]}.csv", ["url", f"{files_server}/slow/12/page.html?counted"])
        job = submit(api, files_server, name)
        deadline = time.monotonic() + 30
        while not (rows := api.query(f"SELECT node_id FROM documents WHERE job_id = '{job}' AND status = 'processing'")):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        holder = next(w for w in workers if rows[0][0] == w.env["MTAG_NODE_ID"])
        time.sleep(1)
        holder.proc.send_signal(signal.SIGTERM)
        assert holder.proc.wait(timeout=60) == 0  # it finished the document, then left
        rows = api.query(f"SELECT status, attempts, node_id FROM documents WHERE job_id = '{job}'")
        assert rows == [("completed", "1", holder.env["MTAG_NODE_ID"])]
        assert FilesHandler.most == 1  # downloaded once: nobody took it again
    finally:
        for n in nodes:
            if n.proc.poll() is None:
                n.stop()
