"""Black-box API tests: start the real mtag binary on a free port with a fresh
data dir and talk HTTP to it. The same suite runs on SQLite and PostgreSQL
(MTAG_TEST_DB); tools/test.sh provides the binary and the PostgreSQL cluster."""
import http.server
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

BIN = os.environ.get("MTAG_TEST_BIN", os.path.join(os.path.dirname(__file__), "../../build/mtag"))
DB = os.environ.get("MTAG_TEST_DB", "sqlite")
PG_URL = os.environ.get("MTAG_TEST_PG_URL", "")
PG_DIR = os.environ.get("MTAG_TEST_PG_DIR", "")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name):
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    return os.path.join(bindir or "/usr/lib/postgresql/15/bin", name)


def new_database_url():
    """A fresh PostgreSQL database per server, so tests never see each other's rows."""
    if DB != "postgresql":
        return None
    if not PG_URL:
        pytest.fail("MTAG_TEST_DB=postgresql needs MTAG_TEST_PG_URL")
    name = "mtag_" + uuid.uuid4().hex[:12]
    subprocess.run([pg_bin("psql"), PG_URL, "-q", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    return PG_URL.rsplit("/", 1)[0] + "/" + name


S3_ENDPOINT = os.environ.get("MTAG_TEST_S3_ENDPOINT", "")
S3_DIR = os.environ.get("MTAG_TEST_S3_DIR", "")


def s3_storage_env():
    """The PostgreSQL suite runs on S3: a fresh bucket per server."""
    if not S3_ENDPOINT:
        return {}
    bucket = "mtag-" + uuid.uuid4().hex[:12]
    return {"MTAG_STORAGE_URL": f"s3://{bucket}?endpoint={S3_ENDPOINT}&region=us-east-1&path_style=1",
            "MTAG_S3_ACCESS_KEY": "S3RVER", "MTAG_S3_SECRET_KEY": "S3RVER"}


class Server:
    def __init__(self, tmp, extra_env=None, args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = os.path.join(tmp, "data")
        self.log_path = os.path.join(tmp, "mtag.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
        env.update({
            "MTAG_LISTEN": f"127.0.0.1:{self.port}",
            "MTAG_DATA_DIR": self.data_dir,
            "MTAG_LOG_LEVEL": "info",
            # Tests serve their documents from loopback (files_server); the
            # refusal of private addresses is tested on a server of its own.
            "MTAG_FETCH_ALLOW_PRIVATE": "1",
            # Every test client is 127.0.0.1: the limits are tested on servers of their own.
            "MTAG_RATE_LOGIN": "100000", "MTAG_RATE_LOGIN_ACCOUNT": "100000",
            "MTAG_RATE_REGISTER": "100000", "MTAG_RATE_REFRESH": "100000",
        })
        db_url = new_database_url()
        if db_url:
            env["MTAG_DATABASE_URL"] = db_url
            env.update(s3_storage_env())
        env.update(extra_env or {})
        self.env = env
        os.makedirs(tmp, exist_ok=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "serve", *args], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mtag exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                requests.get(self.url + "/health", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("mtag did not answer within %ds:\n%s" % (timeout, self.read_log()))

    def query(self, sql):
        """Rows of a read-only query on the server's database, for checks the API cannot show."""
        url = self.env.get("MTAG_DATABASE_URL")
        if url and url.startswith("postgres"):
            out = subprocess.run([pg_bin("psql"), url, "-At", "-F", "\t", "-c", sql],
                                 check=True, capture_output=True, text=True).stdout
            return [tuple(line.split("\t")) for line in out.splitlines() if line]
        con = sqlite3.connect(os.path.join(self.data_dir, "mtag.db"))
        try:
            return [tuple("" if v is None else str(v) for v in row) for row in con.execute(sql)]
        finally:
            con.close()

    def execute(self, sql):
        """Change the database behind the server's back (e.g. import an old hash)."""
        url = self.env.get("MTAG_DATABASE_URL")
        if url and url.startswith("postgres"):
            subprocess.run([pg_bin("psql"), url, "-q", "-c", sql], check=True, capture_output=True)
            return
        con = sqlite3.connect(os.path.join(self.data_dir, "mtag.db"))
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()

    def mtag(self, *args, input=None):
        """Run an mtag command against this server's data dir and database."""
        env = {k: v for k, v in self.env.items() if k.startswith("MTAG_")}
        return run_mtag(*args, env=env, input=input)

    def read_log(self, until=None, timeout=5):
        """The log so far; with until, waits (at most timeout s) for a line containing
        every string of until: a request's access line is written when the server has
        finished with it, which may be after the client has read the response."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path) as f:
                log = f.read()
            if not until or time.monotonic() > deadline or any(
                    all(u in l for u in until) for l in log.splitlines()):
                return log
            time.sleep(0.05)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status (0 also proves no sanitizer report)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("mtag did not stop within %ds after SIGTERM" % timeout)
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(str(tmp_path_factory.mktemp("mtag")))
    yield s
    rc = s.stop()
    assert rc == 0, f"mtag exited with {rc}:\n{s.read_log()[-5000:]}"


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own, for tests that stop or disturb it."""
    servers = []

    def start(**kw):
        s = Server(str(tmp_path / f"s{len(servers)}"), **kw)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()


def run_mtag(*args, env=None, timeout=30, input=None, cwd=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    base.update(env or {})
    return subprocess.run([BIN, *args], env=base, capture_output=True, text=True,
                          timeout=timeout, input=input, cwd=cwd)


class FilesHandler(http.server.SimpleHTTPRequestHandler):
    """Serves tests/data/extract and the public corpus; /slow/ answers after a pause."""

    def translate_path(self, path):
        path = urllib.parse.unquote(path.split("?", 1)[0])
        if path.startswith("/gen/"):
            return os.path.join(GEN_DIR, path[len("/gen/"):])
        if path.startswith("/corpus/"):
            return os.path.join(CORPUS, path[len("/corpus/"):])
        return os.path.join(ROOT, "tests/data/extract", path.lstrip("/"))

    # How many /slow/ requests marked "counted" (in their query) are being served at once,
    # and the most seen (tests reset it): another test's slow downloads, still running,
    # are not counted.
    lock = threading.Lock()
    active = 0
    most = 0

    def do_GET(self):
        if self.path.startswith("/slow/"):
            cls = FilesHandler
            counted = "counted" in self.path
            with cls.lock:
                cls.active += counted
                cls.most = max(cls.most, cls.active)
            try:
                time.sleep(float(self.path.split("/")[2]))
            finally:
                with cls.lock:
                    cls.active -= counted
            self.path = "/" + "/".join(self.path.split("/")[3:])
        return super().do_GET()

    def log_message(self, *args):
        pass


CORPUS = os.environ.get("MTAG_TEST_CORPUS", os.path.join(ROOT, "../shared/corpus/pdf"))
# Files the tests write and serve under /gen/ (spreadsheets, documents made on the fly).
GEN_DIR = tempfile.mkdtemp(prefix="mtag-test-gen-")


@pytest.fixture(scope="session")
def files_server():
    """A plain HTTP server on loopback with the test documents: its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FilesHandler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
