"""`mtag tag`: the pipeline from the command line, with no server and no database."""
import json
import os
import signal
import subprocess
import time
import zlib

from conftest import BIN, ROOT, run_mtag

DATA = os.path.join(ROOT, "tests/data/extract")
CORPUS = os.environ.get("MTAG_TEST_CORPUS", os.path.join(ROOT, "../shared/corpus/pdf"))


def test_json_lines(tmp_path):
    r = run_mtag("tag", "--json", "--max-tags", "4", os.path.join(DATA, "two-pages.pdf"),
                 os.path.join(DATA, "page.html"), env={"TMPDIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(lines) == 2
    pdf, html = lines
    assert pdf["title"] == "Golden Test — Café"
    assert pdf["pages"] == 2 and pdf["mime_type"] == "application/pdf"
    assert len(pdf["sha256"]) == 64 and pdf["size_bytes"] == os.path.getsize(os.path.join(DATA, "two-pages.pdf"))
    assert 1 <= len(pdf["tags"]) <= 4
    scores = [t["score"] for t in pdf["tags"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert html["title"] == "Tagging & Extraction Test" and html["mime_type"] == "text/html"


def test_corpus_pdf_language_and_title():
    path = os.path.join(CORPUS, "GeoTopo-komprimiert.pdf")
    r = run_mtag("tag", "--json", path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["language"] == "de" and doc["pages"] == 117
    assert doc["title"] == "Geometrie und Topologie"
    assert len(doc["tags"]) == 10
    # Arabic set in contextual glyphs (presentation forms) drawn left to right is read as its
    # letters in reading order: Arabic, not Urdu, and the words as written.
    r = run_mtag("tag", "--json", os.path.join(CORPUS, "ArabicCIDTrueType.pdf"))
    doc = json.loads(r.stdout)
    assert doc["language"] == "ar"
    assert [t["tag"] for t in doc["tags"]] == ["انواع الخطوط العربية"]


def test_file_name_that_is_not_utf8(tmp_path):
    """A file named in Latin-1 is extracted like any other (the helper was sent nothing and
    the document failed as "the helper process crashed")."""
    latin = os.path.join(os.fsencode(str(tmp_path)), b"r\xe9sum\xe9.pdf")
    with open(os.path.join(CORPUS, "habibi.pdf"), "rb") as src, open(latin, "wb") as dst:
        dst.write(src.read())
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    r = subprocess.run([BIN, "tag", "--json", latin], env=base, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["title"] == "habibi"


def test_decomposed_text_is_composed(tmp_path):
    path = tmp_path / "macos.txt"
    path.write_text("Cre\u0300me bru\u0302le\u0301e. " * 3 + "La cre\u0300me est bonne.", encoding="utf-8")
    doc = json.loads(run_mtag("tag", "--json", str(path)).stdout)
    assert "crème" in " ".join(t["tag"] for t in doc["tags"]).lower()


def test_readable_listing():
    r = run_mtag("tag", os.path.join(DATA, "report.docx"))
    assert r.returncode == 0
    assert r.stdout.startswith(os.path.join(DATA, "report.docx") + "\n  title:    Quarterly Report Q3\n")
    assert "  tags:     " in r.stdout


def test_failures_exit_1_with_the_reason_and_others_still_print():
    r = run_mtag("tag", "--json", os.path.join(DATA, "encrypted-user.pdf"), os.path.join(DATA, "image.png"),
                 os.path.join(DATA, "latin1.txt"), "/nonexistent.pdf")
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 1  # latin1.txt
    err = r.stderr.splitlines()
    assert f"mtag tag: {DATA}/encrypted-user.pdf: password-protected PDF: a password is needed to open it" in err
    assert f"mtag tag: {DATA}/image.png: unsupported type: PNG image" in err
    assert any(l.startswith("mtag tag: /nonexistent.pdf: ") for l in err)


def path_bomb(path, ops):
    """A one-page PDF whose content is ops path operators: slow to interpret, small on disk."""
    z = zlib.compressobj(9)
    chunk = b"0 0 m 1 1 l S\n" * 100000
    content = b"".join(z.compress(chunk) for _ in range(ops // 100000)) + z.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(path, "wb") as f:
        f.write(out)


def test_extraction_time_limit_and_files_without_an_end(tmp_path):
    bomb = str(tmp_path / "paths.pdf")
    path_bomb(bomb, 20_000_000)  # ~4 s to interpret here
    started = time.monotonic()
    r = run_mtag("tag", bomb, env={"MTAG_EXTRACT_TIMEOUT_S": "1"})
    assert r.returncode == 1
    assert r.stderr.strip() == f"mtag tag: {bomb}: extraction timed out after 1 s"
    assert time.monotonic() - started < 3.5
    # A device or a FIFO never ends: refused at once rather than read for ever.
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    r = run_mtag("tag", "/dev/zero", fifo, str(tmp_path), timeout=20)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"mtag tag: /dev/zero: cannot read /dev/zero: not a regular file",
                                     f"mtag tag: {fifo}: cannot read {fifo}: not a regular file",
                                     f"mtag tag: {tmp_path}: cannot read {tmp_path}: it is a directory"]


def test_end_of_options_and_other_schemes(tmp_path):
    """After `--` every argument is an input, even one that looks like an option; an
    address of another scheme than http(s) is refused by its scheme, as the server does."""
    odd = tmp_path / "--odd.txt"
    odd.write_text("Words about a file whose name starts like an option.")
    r = run_mtag("tag", "--json", "--odd.txt", cwd=str(tmp_path))
    assert (r.returncode, r.stderr.strip()) == (2, "mtag tag: unknown option --odd.txt (see `mtag tag --help`)")
    r = run_mtag("tag", "--json", "--", "--odd.txt", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["title"] == "--odd.txt"
    # A one-dash option of no command is a usage error, not a file that cannot be read.
    r = run_mtag("tag", "-x", "--odd.txt", cwd=str(tmp_path))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.strip() == ("mtag tag: unknown option -x (see `mtag tag --help`;"
                                " a file named so goes after --)")
    r = run_mtag("tag", "ftp://example.org/a.pdf")
    assert (r.returncode, r.stderr.strip()) == (1, "mtag tag: ftp://example.org/a.pdf: unsupported scheme: ftp")


def test_stdin():
    with open(os.path.join(DATA, "page.html"), "rb") as f:
        data = f.read()
    r = run_mtag("tag", "--json", "-", input=data.decode())
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["source"] == "stdin" and doc["title"] == "Tagging & Extraction Test"


def test_language_restriction_and_usage_errors():
    path = os.path.join(CORPUS, "GeoTopo-komprimiert.pdf")
    r = run_mtag("tag", "--json", "--lang", "en,fr", path)
    assert r.returncode == 0 and json.loads(r.stdout)["language"] == "und"
    assert run_mtag("tag").returncode == 2
    r = run_mtag("tag", "--max-tags", "0", path)
    assert r.returncode == 2 and "--max-tags must be an integer from 1 to 100" in r.stderr
    r = run_mtag("tag", "--lang", "english", path)
    assert r.returncode == 2 and "--lang" in r.stderr
    r = run_mtag("tag", "--lang", ",".join(["en"] * 17), path)
    assert r.returncode == 2
    assert r.stderr.strip() == "mtag tag: --lang takes 1 to 16 ISO 639-1 codes separated by commas, e.g. en,fr"


def test_url_blocked_by_default_and_allowed_when_configured(fresh_server):
    s = fresh_server()
    url = s.url + "/api/openapi.json"
    r = run_mtag("tag", "--json", url)
    assert r.returncode == 1
    assert r.stderr.strip() == f"mtag tag: {url}: blocked: 127.0.0.1 is a loopback address"
    r = run_mtag("tag", "--json", url, env={"MTAG_FETCH_ALLOW_PRIVATE": "1"})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["mime_type"] == "text/plain" and doc["title"] == "openapi.json"


def test_llm_settings_are_said_to_be_unused():
    r = run_mtag("tag", "--json", os.path.join(DATA, "page.html"), env={"MTAG_LLM_URL": "http://127.0.0.1:9/v1"})
    assert r.returncode == 0
    assert r.stderr.splitlines() == ["mtag: warning: MTAG_LLM_URL, MTAG_LLM_MODEL and MTAG_LLM_API_KEY are not"
                                     " used yet: tags come from the built-in tagger"]
    assert json.loads(r.stdout)["tags"]


def test_html_in_utf16_is_read_as_html(tmp_path):
    page = "<html><head><title>Bonjour été</title></head><body><p>Le volcan entre en éruption.</p></body></html>"
    le, be = tmp_path / "le.html", tmp_path / "be.html"
    le.write_bytes(page.encode("utf-16"))  # with its byte order mark
    be.write_bytes(b"\xfe\xff" + page.encode("utf-16-be"))
    for path in (le, be):
        doc = json.loads(run_mtag("tag", "--json", str(path)).stdout)
        assert (doc["mime_type"], doc["title"]) == ("text/html", "Bonjour été"), doc
        assert not any(t["tag"] in ("html", "head", "body", "title") for t in doc["tags"])


def test_deeply_nested_html_keeps_its_text(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<html><body><p>Opening remarks.</p>" + "<div>" * 3000 + "<p>Volcanic ash clouds.</p>"
                    + "</div>" * 3000 + "<p>Closing lava flows.</p></body></html>")
    doc = json.loads(run_mtag("tag", "--json", str(path)).stdout)
    tags = " ".join(t["tag"] for t in doc["tags"]).lower()
    assert "volcanic" in tags and "lava" in tags, doc["tags"]


def test_words_with_combining_marks_are_whole(tmp_path):
    """A virama or a Thai tone mark is inside its word (glibc calls them no letters): the tags
    of a Thai PDF were cut as "มงคลพิทักษ" and a Hindi text's as "लोकतंत"."""
    doc = json.loads(run_mtag("tag", "--json", os.path.join(CORPUS, "issue13211.pdf")).stdout)
    tags = [t["tag"] for t in doc["tags"]]
    assert any("มงคลพิทักษ์สุข" in t for t in tags), tags
    path = tmp_path / "hi.txt"
    path.write_text("भारत ने 1947 में स्वतंत्रता प्राप्त की। स्वतंत्रता के बाद भारत ने लोकतंत्र को अपनाया। "
                    "भारतीय लोकतंत्र दुनिया का सबसे बड़ा लोकतंत्र है। आज भारतीय लोकतंत्र में चुनाव आयोग "
                    "स्वतंत्र चुनाव कराता है।", encoding="utf-8")
    words = " ".join(t["tag"] for t in json.loads(run_mtag("tag", "--json", str(path)).stdout)["tags"]).split()
    assert "लोकतंत्र" in words and "लोकतंत" not in words, words


def test_contractions_are_no_tags(tmp_path):
    """"aren't" and "Don’t" are one word each, a stopword: they were tagged "special cases aren"
    and "Don"."""
    doc = json.loads(run_mtag("tag", "--json", os.path.join(CORPUS, "google-doc-document.pdf")).stdout)
    tags = [t["tag"] for t in doc["tags"]]
    assert "special cases" in tags and not any(t.endswith((" aren", " re")) for t in tags), tags
    path = tmp_path / "flood.txt"
    path.write_text("Don't ignore coastal flooding. Don\u2019t wait: coastal flooding won't stop. "
                    "The company's flood barriers needn't be tall.", encoding="utf-8")
    tags = [t["tag"] for t in json.loads(run_mtag("tag", "--json", str(path)).stdout)["tags"]]
    assert "coastal flooding" in tags and "Don" not in tags, tags
    assert not any(w in ("won", "needn") for t in tags for w in t.split()), tags


def test_links_are_no_tags(tmp_path):
    """The words of URLs and e-mail addresses are no tags: standard_fonts.pdf was tagged "com",
    "www", "org", a text "Visit www", "https", "html", "Contact info"."""
    doc = json.loads(run_mtag("tag", "--json", os.path.join(CORPUS, "standard_fonts.pdf")).stdout)
    words = {w for t in doc["tags"] for w in t["tag"].split()}
    assert "Nicola Asuni" in [t["tag"] for t in doc["tags"]] and not words & {"com", "www", "org"}, doc["tags"]
    path = tmp_path / "links.txt"
    path.write_text("Flood insurance claims rose. Visit www.example.com/about.html or https://example.org, "
                    "contact info@example.com for flood insurance questions.", encoding="utf-8")
    words = {w.lower() for t in json.loads(run_mtag("tag", "--json", str(path)).stdout)["tags"] for w in t["tag"].split()}
    assert "flood" in words and not words & {"www", "com", "org", "html", "https", "info", "example"}, words


def test_an_interrupted_download_leaves_no_temp_file(files_server, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    for sig in (signal.SIGINT, signal.SIGTERM):
        p = subprocess.Popen([BIN, "tag", f"{files_server}/slow/20/page.html?{int(sig)}"],
                             env={**base, "TMPDIR": str(tmp_path), "MTAG_FETCH_ALLOW_PRIVATE": "1"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not any(f.startswith("mtag-fetch-") for f in os.listdir(tmp_path)):
            assert time.monotonic() < deadline and p.poll() is None, p.communicate()
            time.sleep(0.05)
        p.send_signal(sig)
        p.communicate(timeout=10)
        assert p.returncode == -sig  # dies of the signal, as without a handler
        assert [f for f in os.listdir(tmp_path) if f.startswith("mtag-")] == []
