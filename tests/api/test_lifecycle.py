"""Start-up, configuration errors, migrations, shutdown and database outages."""
import os
import socket
import sqlite3
import stat
import subprocess
import threading
import time

import pytest
import requests

from conftest import DB, PG_DIR, ROOT, new_database_url, pg_bin, run_mtag

DESIGN_VARS = ["MTAG_LISTEN", "MTAG_DATA_DIR", "MTAG_DATABASE_URL", "MTAG_STORAGE_URL",
               "MTAG_SECRET_KEY", "MTAG_WORKERS", "MTAG_FETCH_ALLOW_PRIVATE",
               "MTAG_MAX_UPLOAD_MB", "MTAG_MAX_DOWNLOAD_MB", "MTAG_PUBLIC_URL",
               "MTAG_TRUSTED_PROXIES", "MTAG_LOG_LEVEL", "MTAG_LLM_URL", "MTAG_LLM_MODEL",
               "MTAG_LLM_API_KEY"]


def test_help_lists_commands_and_every_variable():
    r = run_mtag("help")
    assert r.returncode == 0
    for cmd in ["serve", "migrate", "version", "help"]:
        assert f"  {cmd} " in r.stdout
    for var in DESIGN_VARS:
        assert var in r.stdout, var
    assert "default: 127.0.0.1:8000" in r.stdout


def test_help_flag_on_each_command():
    for cmd in ["serve", "migrate", "version", "help"]:
        r = run_mtag(cmd, "--help")
        assert r.returncode == 0, cmd
        assert r.stdout.startswith("usage: mtag") or "usage: mtag" in r.stdout
        # mtag help COMMAND says the same.
        assert run_mtag("help", cmd).stdout == r.stdout
    r = run_mtag("help", "frobnicate")
    assert (r.returncode, r.stderr.strip()) == (2, "mtag help: unknown command 'frobnicate' (see `mtag help`)")
    r = run_mtag("help", "tag", "extra")
    assert (r.returncode, r.stderr.strip()) == (2, "mtag help: unexpected argument 'extra' (mtag help [COMMAND])")
    r = run_mtag("version", "extra")
    assert (r.returncode, r.stderr.strip()) == (2, "mtag version: unexpected argument 'extra'")


def test_usage_errors_exit_2(tmp_path):
    r = run_mtag("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = run_mtag("serve", "--colour", "blue")
    assert r.returncode == 2 and "--colour" in r.stderr
    r = run_mtag()
    assert r.returncode == 2


def test_bad_configuration_names_the_variable(tmp_path):
    env = {"MTAG_DATA_DIR": str(tmp_path)}
    r = run_mtag("serve", env={**env, "MTAG_WORKERS": "lots"})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["mtag: MTAG_WORKERS: must be an integer from 1 to 256, got 'lots'"]
    r = run_mtag("serve", "--listen", "nowhere", env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == "mtag: --listen: expected HOST:PORT (port 0-65535), got 'nowhere'"
    r = run_mtag("migrate", env={**env, "MTAG_DATABASE_URL": "mysql://x"})
    assert r.returncode == 2 and "MTAG_DATABASE_URL" in r.stderr
    # The flag wins over the environment.
    r = run_mtag("serve", "--log-level", "chatty", env={**env, "MTAG_LOG_LEVEL": "debug"})
    assert r.returncode == 2 and r.stderr.startswith("mtag: --log-level:")
    # S3 storage without credentials is refused before anything is migrated; the keys are
    # read from the environment only (a flag would show them to ps), and empty is unset.
    r = run_mtag("serve", env={**env, "MTAG_STORAGE_URL": "s3://bucket?endpoint=http://127.0.0.1:9",
                               "MTAG_S3_ACCESS_KEY": ""})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "mtag: MTAG_STORAGE_URL: S3 credentials missing: set MTAG_S3_ACCESS_KEY and MTAG_S3_SECRET_KEY"
        " (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
    assert not os.path.exists(os.path.join(tmp_path, "mtag.db"))
    r = run_mtag("serve", "--s3-access-key", "AKID", env=env)
    assert (r.returncode, r.stderr.strip()) == (2, "mtag serve: unknown option --s3-access-key (see `mtag serve --help`)")
    r = run_mtag("serve", env={**env, "MTAG_LISTEN": "999.1.1.1:80"})
    assert (r.returncode, r.stderr.strip()) == (2, "mtag: MTAG_LISTEN: the host is not an IPv4 address, got '999.1.1.1:80'")


def test_files_are_the_services_alone(tmp_path):
    """In a directory others can read (systemd's default 0755), the database is not."""
    data = tmp_path / "state"
    data.mkdir(mode=0o755)
    env = {"MTAG_DATA_DIR": str(data)}
    assert run_mtag("migrate", env=env).returncode == 0
    assert stat.S_IMODE(os.stat(data / "mtag.db").st_mode) == 0o600


def test_secret_key_generated_0600_and_kept(fresh_server):
    s = fresh_server()
    path = os.path.join(s.data_dir, "secret.key")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    key = open(path).read().strip()
    assert len(key) == 64
    assert key not in s.read_log()
    assert s.stop() == 0
    s2 = fresh_server(extra_env={"MTAG_DATA_DIR": s.data_dir,
                                 **({"MTAG_DATABASE_URL": s.env["MTAG_DATABASE_URL"]} if DB == "postgresql" else {})})
    assert open(path).read().strip() == key
    assert s2.stop() == 0


def test_data_directory_made_when_the_secret_key_is_given(fresh_server, tmp_path):
    """With the secret key given (and, on PostgreSQL, S3 for the files) nothing else made the
    data directory: serve failed on its uploads directory, after the migrations had run."""
    deep = str(tmp_path / "not" / "yet" / "data")
    s = fresh_server(extra_env={"MTAG_DATA_DIR": deep, "MTAG_SECRET_KEY": "k" * 40})
    assert requests.get(s.url + "/health", timeout=5).status_code == 200
    assert stat.S_IMODE(os.stat(os.path.join(deep, "uploads")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(deep).st_mode) == 0o700
    assert s.stop() == 0


def migrate_env(tmp_path):
    env = {"MTAG_DATA_DIR": str(tmp_path / "data")}
    url = new_database_url()
    if url:
        env["MTAG_DATABASE_URL"] = url
    return env


def test_migrate_twice(tmp_path):
    env = migrate_env(tmp_path)
    r = run_mtag("migrate", env=env)
    assert r.returncode == 0, r.stderr
    first = r.stdout.strip()
    assert first.startswith("applied ") and first != "applied 0 migrations; schema version 0"
    version = first.rsplit(" ", 1)[1]
    r = run_mtag("migrate", env=env)
    assert r.returncode == 0
    assert r.stdout.strip() == f"applied 0 migrations; schema version {version}"


def test_migrate_from_two_processes_at_once(tmp_path):
    env = migrate_env(tmp_path)
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    procs = [subprocess.Popen([os.environ.get("MTAG_TEST_BIN", ROOT + "/build/mtag"), "migrate"],
                              env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    # Each migration runs in its own transaction, so the processes may share the
    # work: every migration is applied exactly once, and all end on one version.
    applied = sum(int(o.split()[1]) for o, _ in outs)
    versions = {o.strip().rsplit(" ", 1)[1] for o, _ in outs}
    assert len(versions) == 1
    assert applied == int(versions.pop())
    (count,), = [(int(r[0]),) for r in query_count(env)]
    assert count == applied


def query_count(env):
    """Rows of schema_migrations in the database of env."""
    url = env.get("MTAG_DATABASE_URL")
    if url:
        out = subprocess.run([pg_bin("psql"), url, "-At", "-c", "SELECT count(*) FROM schema_migrations"],
                             check=True, capture_output=True, text=True).stdout
        return [(out.strip(),)]
    con = sqlite3.connect(os.path.join(env["MTAG_DATA_DIR"], "mtag.db"))
    try:
        return list(con.execute("SELECT count(*) FROM schema_migrations"))
    finally:
        con.close()


def test_port_in_use_exits_1(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        env = migrate_env(tmp_path)
        env["MTAG_LISTEN"] = f"127.0.0.1:{port}"
        r = run_mtag("serve", env=env)
    assert r.returncode == 1
    assert str(port) in r.stderr


def test_sigterm_finishes_in_flight_requests(fresh_server):
    s = fresh_server()
    results, stop = [], threading.Event()

    def hammer():
        # A new connection per request: after the stop signal the listening
        # socket is closed (connection refused), but a request already
        # accepted must still get its whole answer.
        while not stop.is_set():
            try:
                r = requests.get(s.url + "/health", timeout=10)
                results.append(r.status_code)
            except requests.ConnectionError as e:
                # Refused: the listener is closed. Reset: the connection was
                # still in the kernel's accept queue, never seen by mtag.
                # Anything else (a cut answer) would be a lost request.
                msg = str(e)
                results.append("refused" if "Connection refused" in msg else
                               "reset" if "Connection reset" in msg else repr(e))
                time.sleep(0.01)
    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    s.proc.send_signal(15)
    rc = s.proc.wait(timeout=12)
    elapsed = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join()
    assert rc == 0, s.read_log()[-3000:]
    assert elapsed < 10
    ok = results.count(200)
    assert ok > 50
    assert set(results) <= {200, "refused", "reset"}, \
        [r for r in results if r not in (200, "refused", "reset")][:5]
    assert "event=serve.stop signal=SIGTERM" in s.read_log()
    assert "event=serve.exit status=0" in s.read_log()


@pytest.mark.skipif(DB != "postgresql", reason="needs the PostgreSQL test cluster")
def test_health_degraded_while_database_down_then_recovers(fresh_server):
    assert PG_DIR, "MTAG_TEST_PG_DIR is not set"
    s = fresh_server()
    assert requests.get(s.url + "/health").status_code == 200
    subprocess.run([ROOT + "/tools/pg-cluster.sh", "pause", PG_DIR], check=True)
    try:
        r = requests.get(s.url + "/health", timeout=15)
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "degraded"
        assert body["database"] == "unavailable"
        assert body["code"] == "unavailable"
        # Other routes keep answering while the database is down.
        assert requests.get(s.url + "/api/openapi.json").status_code == 200
    finally:
        subprocess.run([ROOT + "/tools/pg-cluster.sh", "resume", PG_DIR], check=True)
    deadline = time.monotonic() + 20
    while True:
        r = requests.get(s.url + "/health", timeout=15)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and r.json()["database"] == "ok"
    assert s.stop() == 0
