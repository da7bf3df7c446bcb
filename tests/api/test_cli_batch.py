"""`mtag batch SHEET --column NAME`: a spreadsheet of links through the pipeline, with no
server and no database. The documents come from files_server (tests/data/extract on
loopback, with /slow/SECONDS/ paths that answer late)."""
import csv
import json
import os
import re
import signal
import subprocess
import time

from conftest import BIN, run_mtag

ENV = {"MTAG_FETCH_ALLOW_PRIVATE": "1"}


def write_sheet(tmp_path, urls, name="links.csv"):
    path = tmp_path / name
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "url"])
        for i, u in enumerate(urls):
            w.writerow([f"doc {i + 1}", u])
    return str(path)


def five_urls(base):
    """3 good documents, a 404 and a duplicate; the first answers late, so it finishes last."""
    return [f"{base}/slow/1/two-pages.pdf", f"{base}/page.html", f"{base}/missing.pdf",
            f"{base}/page.html", f"{base}/report.docx"]


def env(tmp_path, **extra):
    return {**ENV, "TMPDIR": str(tmp_path), **extra}


def test_csv_out_in_row_order(files_server, tmp_path):
    sheet = write_sheet(tmp_path, five_urls(files_server))
    out = tmp_path / "results.csv"
    r = run_mtag("batch", sheet, "--column", "url", "--out", str(out), "--workers", "3",
                 env=env(tmp_path))
    assert r.returncode == 1, r.stderr  # one document failed
    assert "batch: 4 links in column 'url'" in r.stderr and "1 duplicate rows skipped" in r.stderr
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["row", "url", "status", "title", "language", "pages", "tags", "error"]
    body = rows[1:]
    assert [(x[0], x[2]) for x in body] == [("2", "completed"), ("3", "completed"),
                                           ("4", "failed"), ("6", "completed")]
    assert body[0][1] == f"{files_server}/slow/1/two-pages.pdf"
    assert body[0][3] == "Golden Test — Café" and body[0][5] == "2" and body[0][4] == "en"
    assert "; " in body[0][6] and body[0][7] == ""
    assert body[1][3] == "Tagging & Extraction Test"
    assert body[2][7] == "download failed: HTTP 404" and body[2][3] == "" and body[2][6] == ""
    assert body[3][3] == "Quarterly Report Q3"
    assert not [n for n in os.listdir(tmp_path) if n.startswith("mtag-fetch-")]  # temp files removed


def test_jsonl_out(files_server, tmp_path):
    sheet = write_sheet(tmp_path, five_urls(files_server))
    out = tmp_path / "results.jsonl"
    r = run_mtag("batch", sheet, "--column", "URL", "--out", str(out), "--max-tags", "3",
                 env=env(tmp_path))
    assert r.returncode == 1, r.stderr
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(d["row"], d["status"]) for d in docs] == [(2, "completed"), (3, "completed"),
                                                       (4, "failed"), (6, "completed")]
    pdf = docs[0]
    assert pdf["url"].endswith("/slow/1/two-pages.pdf") and pdf["title"] == "Golden Test — Café"
    assert pdf["pages"] == 2 and pdf["mime_type"] == "application/pdf" and pdf["error"] is None
    assert 1 <= len(pdf["tags"]) <= 3 and len(pdf["sha256"]) == 64
    assert docs[2] == {"row": 4, "url": f"{files_server}/missing.pdf", "status": "failed",
                       "error": "download failed: HTTP 404"}


def test_stdout_json_lines_and_exit_0(files_server, tmp_path):
    sheet = write_sheet(tmp_path, [f"{files_server}/page.html", f"{files_server}/report.docx"])
    r = run_mtag("batch", sheet, "--column", "B", "--lang", "en,fr", env=env(tmp_path))
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["row"] for d in docs] == [2, 3]
    assert all(d["status"] == "completed" for d in docs)
    assert "batch: 2 of 2 documents done, 0 failed" in r.stderr


def test_invalid_links_are_failed_documents(tmp_path):
    sheet = write_sheet(tmp_path, ["not a link", "ftp://example.com/x"])
    r = run_mtag("batch", sheet, "--column", "url", env=env(tmp_path))
    assert r.returncode == 1
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["status"] for d in docs] == ["failed", "failed"]
    assert docs[0]["error"].startswith("invalid URL")


def test_missing_column_and_usage_errors(tmp_path):
    sheet = write_sheet(tmp_path, ["https://example.com/"])
    r = run_mtag("batch", sheet, "--column", "link", env=env(tmp_path))
    assert r.returncode == 2
    assert r.stderr.strip() == f"mtag batch: {sheet}: column 'link' not found; headers: name, url"
    assert r.stdout == ""
    assert run_mtag("batch", sheet).returncode == 2  # no --column
    assert run_mtag("batch", "--column", "url").returncode == 2  # no sheet
    r = run_mtag("batch", sheet, "--column", "url", "--out", str(tmp_path / "x.txt"))
    assert r.returncode == 2 and "--out must name a .csv or a .jsonl file" in r.stderr
    r = run_mtag("batch", sheet, "--column", "url", "--workers", "0")
    assert r.returncode == 2 and "--workers must be an integer from 1 to 64" in r.stderr
    r = run_mtag("batch", str(tmp_path / "none.csv"), "--column", "url")
    assert r.returncode == 2 and "cannot open the spreadsheet" in r.stderr
    r = run_mtag("batch", str(tmp_path), "--column", "url")
    assert r.returncode == 2 and r.stderr.strip() == f"mtag batch: {tmp_path}: not a file"
    assert run_mtag("batch", "--help").returncode == 0


def test_names_that_are_not_utf8(tmp_path):
    """A spreadsheet whose file name is not UTF-8 (Latin-1, as old archives have) is read like
    any other (the helper process was sent no request and reported a crash); a column name
    that is not UTF-8 is a usage error that says so."""
    sheet = write_sheet(tmp_path, ["not a link"])
    latin = os.path.join(os.fsencode(str(tmp_path)), b"feuille-\xe9t\xe9.csv")
    with open(sheet, "rb") as src, open(latin, "wb") as dst:
        dst.write(src.read())
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    r = subprocess.run([BIN, "batch", latin, "--column", "url"], env={**base, **env(tmp_path)},
                       capture_output=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["error"].startswith("invalid URL")
    r = subprocess.run([BIN, "batch", sheet, "--column", b"li\xffnk"], env={**base, **env(tmp_path)},
                       capture_output=True, timeout=30)
    assert r.returncode == 2 and r.stderr.endswith(b": the column's name is not UTF-8 text\n"), r.stderr


def test_the_spreadsheet_is_never_the_results_file(tmp_path):
    """--out naming the spreadsheet would empty it before it is read: refused, the sheet
    untouched (it was truncated, read back as empty, and the run said 0 links, exit 0)."""
    sheet = write_sheet(tmp_path, ["https://example.com/a.pdf"], name="links.csv")
    before = open(sheet, "rb").read()
    for out in [sheet, str(tmp_path / "." / "links.csv")]:
        r = run_mtag("batch", sheet, "--column", "url", "--out", out, env=env(tmp_path))
        assert r.returncode == 2, r.stderr
        assert "is the spreadsheet itself" in r.stderr
    assert open(sheet, "rb").read() == before
    # A sheet with no links is a usage error, as the API's 422, and leaves no results file.
    empty = write_sheet(tmp_path, [], name="empty.csv")
    r = run_mtag("batch", empty, "--column", "url", "--out", str(tmp_path / "r.csv"), env=env(tmp_path))
    assert r.returncode == 2 and "column 'url' has no links" in r.stderr
    assert not (tmp_path / "r.csv").exists()


def test_progress_lines_when_not_a_terminal(files_server, tmp_path):
    urls = [f"{files_server}/slow/0.4/page.html?{i}" for i in range(6)]
    sheet = write_sheet(tmp_path, urls)
    r = run_mtag("batch", sheet, "--column", "url", "--workers", "1",
                 env=env(tmp_path, MTAG_BATCH_PROGRESS_S="0.3"))
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("progress: ")]
    assert len(lines) >= 3, r.stderr
    for l in lines:
        assert re.fullmatch(r"progress: \d+/6 done, 0 failed, \d+\.\d docs/s, ETA (-|\d+s)", l), l
    assert "\r" not in r.stderr
    for bad in ("abc", "0", "5s"):
        r = run_mtag("batch", sheet, "--column", "url", env=env(tmp_path, MTAG_BATCH_PROGRESS_S=bad))
        assert (r.returncode, r.stderr.strip()) == (
            2, f"mtag: MTAG_BATCH_PROGRESS_S: must be seconds from 0.05 to 86400, got '{bad}'")


def wait_for_lines(path, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and len(open(path).read().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never had {n} lines")


def start_batch(tmp_path, sheet, out):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    return subprocess.Popen([BIN, "batch", sheet, "--column", "url", "--out", out, "--workers", "1"],
                            env={**base, **env(tmp_path)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_ctrl_c_finishes_running_and_keeps_results(files_server, tmp_path):
    urls = [f"{files_server}/page.html"] + [f"{files_server}/slow/1.5/page.html?{i}" for i in range(4)]
    out = str(tmp_path / "r.csv")
    p = start_batch(tmp_path, write_sheet(tmp_path, urls), out)
    wait_for_lines(out, 2)  # the header and the first document
    time.sleep(0.3)  # the second is running
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=15)
    assert p.returncode == 130, err
    assert "stopping: waiting up to 5 s for 1 running document" in err
    with open(out, newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert [(x[0], x[2]) for x in rows] == [("2", "completed"), ("3", "completed")]


def test_second_ctrl_c_stops_at_once(files_server, tmp_path):
    urls = [f"{files_server}/page.html", f"{files_server}/slow/20/page.html"]
    out = str(tmp_path / "r.csv")
    p = start_batch(tmp_path, write_sheet(tmp_path, urls), out)
    wait_for_lines(out, 2)
    time.sleep(0.3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=10)
    assert p.returncode == 130, err
    assert time.monotonic() - t0 < 5
    assert "stopped with 1 of 2 documents done" in err
    with open(out, newline="") as f:
        assert [x[0] for x in list(csv.reader(f))[1:]] == ["2"]


def temp_files(tmp_path):
    return sorted(f for f in os.listdir(tmp_path) if f.startswith("mtag-"))


def wait_for_temp_files(tmp_path, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(temp_files(tmp_path)) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{tmp_path} never had {n} mtag-* files: {os.listdir(tmp_path)}")


def test_a_stopped_run_leaves_no_temp_files(files_server, tmp_path):
    """The downloads still running when the batch gives up on them are removed, whether the
    grace period ends (SIGTERM) or a second Ctrl-C cuts it short."""
    for signals in ([signal.SIGTERM], [signal.SIGINT, signal.SIGINT]):
        tmp = tmp_path / f"run{len(signals)}"
        tmp.mkdir()
        urls = [f"{files_server}/slow/20/page.html?{i}" for i in range(4)]
        base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
        p = subprocess.Popen([BIN, "batch", write_sheet(tmp, urls), "--column", "url",
                              "--out", str(tmp / "r.csv"), "--workers", "2"],
                             env={**base, **env(tmp)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_for_temp_files(tmp, 2)  # both workers are downloading
        for s in signals:
            p.send_signal(s)
            time.sleep(0.3)
        _, err = p.communicate(timeout=15)
        assert p.returncode == 128 + signals[0], err
        assert "stopped with 0 of 4 documents done" in err
        assert temp_files(tmp) == []
