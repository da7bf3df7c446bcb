/*
 * test_extract.c - extraction: golden files, exact errors, limits, UTF-8
 * cleaning, PDF dates, threads, and (with MTAG_TEST_CORPUS) a sweep over a
 * directory of real-world PDFs.
 *
 * Golden files: every fixture tests/data/extract/NAME (made by
 * tools/make-extract-fixtures.py) is extracted with the default limits and
 * rendered as text (type, MIME type, pages, properties, then the text, or
 * the error); the rendering must equal NAME.expected. MTAG_UPDATE_GOLDEN=1
 * rewrites the expected files instead, for review with git diff.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "pipeline/extract.h"
#include "pipeline/extract_int.h"
#include "base/xalloc.h"

#define DATA_DIR "tests/data/extract"
#define DATA(name) DATA_DIR "/" name

static const char *const type_names[] = { "unknown", "pdf", "epub", "xps", "html", "docx", "odt", "text" };

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
			   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		if (!len || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
		if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F) ||
		    (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
			return false;
		i += len;
	}
	return true;
}

static void render_prop(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "%s: %s\n", name, v ? v : "(none)");
}

/* The stable text form of one extraction, as stored in the .expected files. */
static void render(struct buf *b, enum mtag_err e, const struct extract_result *r, const char *err)
{
	buf_printf(b, "type: %s\nmime: %s\n", type_names[r->type], r->mime_type);
	if (e) {
		buf_printf(b, "error: %s\nmessage: %s\n", err_name(e), err);
		return;
	}
	buf_printf(b, "pages: %d\ntruncated: %s\n", r->page_count, r->truncated ? "yes" : "no");
	render_prop(b, "title", r->title);
	render_prop(b, "author", r->author);
	render_prop(b, "subject", r->subject);
	render_prop(b, "keywords", r->keywords);
	render_prop(b, "creator", r->creator);
	render_prop(b, "producer", r->producer);
	render_prop(b, "created", r->created);
	render_prop(b, "modified", r->modified);
	buf_printf(b, "text_len: %zu\n--- text (a form feed is shown as a line \\f)\n", r->text_len);
	for (size_t i = 0; i < r->text_len; i++) {
		if (r->text[i] == '\f')
			buf_puts(b, "\n\\f\n");
		else
			buf_putc(b, r->text[i]);
	}
	buf_puts(b, "\n--- end\n");
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = BUF_INIT((size_t)16 << 20);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

static bool spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (sorted) for which keep(name) holds. OUT: *n. Free with free_names. */
static char **list_dir(const char *dir, bool (*keep)(const char *), size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !keep(de->d_name))
			continue;
		if (*n == cap)
			names = xrealloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*names));
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), name_cmp);
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_fixture(const char *name)
{
	return !ends_with(name, ".expected");
}

static bool is_expected(const char *name)
{
	return ends_with(name, ".expected");
}

/* Compare (or with update, rewrite) one golden file; false on a mismatch. */
static bool golden_one(const char *name, bool update)
{
	char path[512], gpath[600], err[256];
	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	snprintf(gpath, sizeof(gpath), "%s.expected", path);
	struct arena a = ARENA_INIT;
	struct extract_result r;
	enum mtag_err e = extract_file(&a, path, NULL, &r, err, sizeof(err));
	struct buf got = BUF_INIT((size_t)16 << 20);
	render(&got, e, &r, err);
	arena_release(&a);
	bool ok = true;
	if (update) {
		ok = spit(gpath, got.ptr, got.len);
	} else {
		size_t wlen = 0;
		char *want = slurp(gpath, &wlen);
		ok = want && wlen == got.len && memcmp(want, got.ptr, wlen) == 0;
		if (!ok) {
			size_t i = 0;
			while (want && i < wlen && i < got.len && want[i] == got.ptr[i])
				i++;
			fprintf(stderr, "golden mismatch: %s (%s), first difference at byte %zu; got:\n%s\n",
				name, want ? "differs" : "no .expected file", i, got.ptr);
		}
		free(want);
	}
	buf_release(&got);
	return ok;
}

static void test_golden(void)
{
	bool update = getenv("MTAG_UPDATE_GOLDEN") && strcmp(getenv("MTAG_UPDATE_GOLDEN"), "1") == 0;
	size_t n = 0, ng = 0, bad = 0;
	char **names = list_dir(DATA_DIR, is_fixture, &n);
	char **goldens = list_dir(DATA_DIR, is_expected, &ng);
	for (size_t i = 0; i < n; i++)
		bad += !golden_one(names[i], update);
	/* A golden file whose fixture is gone is stale. */
	for (size_t i = 0; i < ng; i++) {
		char base[512];
		snprintf(base, sizeof(base), "%.*s", (int)(strlen(goldens[i]) - 9), goldens[i]);
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = strcmp(names[k], base) == 0;
		if (!found) {
			fprintf(stderr, "stale golden file: %s\n", goldens[i]);
			bad++;
		}
	}
	if (update)
		fprintf(stderr, "golden files rewritten: %zu (review with git diff)\n", n);
	free_names(names, n);
	free_names(goldens, ng);
	CHECK(n >= 20);
	CHECK_INT(bad, 0);
}

static void test_detect(void)
{
	static const struct {
		const char *name;
		enum extract_type type;
	} cases[] = {
		{ DATA("two-pages.pdf"), EXTRACT_PDF }, { DATA("encrypted-user.pdf"), EXTRACT_PDF },
		{ DATA("header-only.pdf"), EXTRACT_PDF }, { DATA("tiny.epub"), EXTRACT_EPUB },
		{ DATA("pages.xps"), EXTRACT_XPS }, { DATA("page.html"), EXTRACT_HTML },
		{ DATA("cp1252.html"), EXTRACT_HTML }, { DATA("fragment.html"), EXTRACT_HTML },
		{ DATA("angle.txt"), EXTRACT_TEXT }, { DATA("tag-cut.txt"), EXTRACT_TEXT },
		{ DATA("report.docx"), EXTRACT_DOCX },
		{ DATA("bomb.docx"), EXTRACT_DOCX }, { DATA("notes.odt"), EXTRACT_ODT },
		{ DATA("latin1.txt"), EXTRACT_TEXT }, { DATA("utf8-bom.txt"), EXTRACT_TEXT },
		{ DATA("utf16le.txt"), EXTRACT_TEXT }, { DATA("image.png"), EXTRACT_UNKNOWN },
		{ DATA("empty.dat"), EXTRACT_UNKNOWN }, { DATA("sheet.xlsx"), EXTRACT_UNKNOWN },
		{ DATA("random.bin"), EXTRACT_UNKNOWN }, { DATA("no-such-file"), EXTRACT_UNKNOWN },
		{ DATA_DIR, EXTRACT_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (extract_detect(cases[i].name) != cases[i].type)
			FAIL_AT("%s detected as %s, want %s", cases[i].name,
				type_names[extract_detect(cases[i].name)], type_names[cases[i].type]);
	CHECK_STR(extract_mime_type(EXTRACT_XPS), "application/oxps");
	CHECK_STR(extract_mime_type(EXTRACT_TEXT), "text/plain");
}

/* Extract path with limits l (NULL: defaults); the message in err. */
static enum mtag_err run(struct arena *a, const char *path, const struct extract_limits *l,
			 struct extract_result *r, char *err, size_t errlen)
{
	return extract_file(a, path, l, r, err, errlen);
}

static void test_errors(void)
{
	static const struct {
		const char *name;
		enum mtag_err e;
		const char *msg; /* exact, or a prefix when it ends with '*' */
	} cases[] = {
		{ DATA("encrypted-user.pdf"), ERR_VALIDATION, "password-protected PDF: a password is needed to open it" },
		{ DATA("empty.dat"), ERR_VALIDATION, "unsupported type: empty file" },
		{ DATA("image.png"), ERR_VALIDATION, "unsupported type: PNG image" },
		{ DATA("data.gz"), ERR_VALIDATION, "unsupported type: gzip data" },
		{ DATA("sheet.xlsx"), ERR_VALIDATION, "unsupported type: XLSX spreadsheet" },
		{ DATA("random.bin"), ERR_VALIDATION, "unsupported type: binary data" },
		{ DATA("bomb.docx"), ERR_VALIDATION, "unsupported type: zip bomb" },
		{ DATA("lying-size.docx"), ERR_VALIDATION,
		  "corrupt zip entry word/document.xml: it inflates to more than it declares" },
		{ DATA("huge-entry.epub"), ERR_VALIDATION,
		  "document too large: reading it needs more than 512 MB of memory" },
		{ DATA("header-only.pdf"), ERR_VALIDATION, "corrupt PDF: *" },
		{ DATA("truncated.pdf"), ERR_VALIDATION, "corrupt PDF: *" },
		{ DATA("no-such-file"), ERR_IO, "cannot open file: No such file or directory" },
		{ DATA_DIR, ERR_IO, "cannot read file: not a regular file" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arena a = ARENA_INIT;
		struct extract_result r;
		char err[256] = "";
		int64_t t0 = clock_mono_us();
		enum mtag_err e = run(&a, cases[i].name, NULL, &r, err, sizeof(err));
		int64_t ms = (clock_mono_us() - t0) / 1000;
		arena_release(&a);
		size_t k = strlen(cases[i].msg);
		bool prefix = cases[i].msg[k - 1] == '*';
		if (e != cases[i].e || (prefix ? strncmp(err, cases[i].msg, k - 1) != 0 || strlen(err) < k
				       : strcmp(err, cases[i].msg) != 0))
			FAIL_AT("%s: %s \"%s\", want %s \"%s\"", cases[i].name, err_name(e), err,
				err_name(cases[i].e), cases[i].msg);
		CHECK(r.text && r.text_len == 0); /* a failed extraction leaves an empty result */
		/* The bombs are refused from their headers, without inflating a byte. */
		if ((strstr(cases[i].name, "bomb") || strstr(cases[i].name, "huge")) && ms > 10000)
			FAIL_AT("%s took %lld ms", cases[i].name, (long long)ms);
	}
}

static void test_pdf_properties(void)
{
	struct arena a = ARENA_INIT;
	struct extract_result r;
	char err[256];
	CHECK_INT(run(&a, DATA("two-pages.pdf"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK_INT(r.page_count, 2);
	CHECK(!r.truncated);
	CHECK_STR(r.title, "Golden Test \xE2\x80\x94 Caf\xC3\xA9");
	CHECK_STR(r.author, "Ada Lovelace");
	CHECK(r.producer == NULL); /* blank in the file */
	CHECK_STR(r.created, "2020-01-02T02:04:05Z");
	CHECK_STR(r.modified, "2021-03-04T05:06:07");
	CHECK(strchr(r.text, '\f') != NULL);
	CHECK(strstr(r.text, "Caf\xC3\xA9 cr\xC3\xA8me") != NULL);
	CHECK(strstr(r.text, "12 \xE2\x82\xAC") != NULL);
	arena_release(&a);

	/* The owner password only restricts printing and such: the file reads as the plain one. */
	struct extract_result o;
	CHECK_INT(run(&a, DATA("encrypted-owner.pdf"), NULL, &o, err, sizeof(err)), ERR_OK);
	CHECK_INT(o.page_count, 2);
	CHECK_STR(o.author, "Ada Lovelace");
	CHECK(strstr(o.text, "Second page: the end.") != NULL);
	arena_release(&a);

	/* A page without text is not an error. */
	CHECK_INT(run(&a, DATA("no-text.pdf"), NULL, &o, err, sizeof(err)), ERR_OK);
	CHECK_INT(o.page_count, 1);
	CHECK_INT(o.text_len, 0);
	arena_release(&a);
}

static void test_max_pages(void)
{
	struct arena a = ARENA_INIT;
	struct extract_result r;
	struct extract_limits l;
	char err[256];
	extract_limits_init(&l);
	CHECK_INT(l.max_pages, 2000);
	CHECK_INT(l.max_text, 10 << 20);
	l.max_pages = 1;
	CHECK_INT(run(&a, DATA("two-pages.pdf"), &l, &r, err, sizeof(err)), ERR_OK);
	CHECK_INT(r.page_count, 2);
	CHECK(r.truncated);
	CHECK(strchr(r.text, '\f') == NULL);
	CHECK(strstr(r.text, "Hello from page one.") != NULL);
	CHECK(strstr(r.text, "Second page") == NULL);
	arena_release(&a);
}

/* Every cap from 1 to 60 bytes cuts every format at a character boundary. */
static void test_max_text(void)
{
	static const char *const files[] = {
		DATA("two-pages.pdf"), DATA("utf8-bom.txt"), DATA("latin1.txt"), DATA("utf16le.txt"),
		DATA("page.html"), DATA("report.docx"), DATA("notes.odt"), DATA("tiny.epub"),
	};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct extract_result full;
		struct arena a = ARENA_INIT;
		char err[256];
		CHECK_INT(run(&a, files[f], NULL, &full, err, sizeof(err)), ERR_OK);
		for (size_t max = 1; max <= 60; max++) {
			struct arena b = ARENA_INIT;
			struct extract_result r;
			struct extract_limits l;
			extract_limits_init(&l);
			l.max_text = max;
			CHECK_INT(run(&b, files[f], &l, &r, err, sizeof(err)), ERR_OK);
			if (r.text_len > max || !utf8_valid(r.text, r.text_len) || strlen(r.text) != r.text_len)
				FAIL_AT("%s cut at %zu: %zu bytes, bad UTF-8 or NUL", files[f], max, r.text_len);
			if (full.text_len > max && !r.truncated)
				FAIL_AT("%s cut at %zu: not marked truncated", files[f], max);
			if (max + 3 < full.text_len && r.text_len + 3 < max &&
			    memcmp(r.text, full.text, r.text_len) != 0)
				FAIL_AT("%s cut at %zu: not a prefix of the full text", files[f], max);
			arena_release(&b);
		}
		arena_release(&a);
	}
}

static void test_html_skips(void)
{
	struct arena a = ARENA_INIT;
	struct extract_result r;
	char err[256];
	CHECK_INT(run(&a, DATA("page.html"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK(strstr(r.text, "LEAK") == NULL);
	CHECK(strstr(r.text, "document.write") == NULL);
	CHECK_STR(r.title, "Tagging & Extraction Test");
	CHECK_STR(r.author, "Grace Hopper");
	CHECK(strstr(r.text, "caf\xC3\xA9\xC2\xA0" "au") != NULL);   /* &nbsp; kept as U+00A0 */
	CHECK(strstr(r.text, "Last paragraph spanning lines.") != NULL);
	CHECK(strstr(r.text, "  preformatted\n    text   kept") != NULL);
	arena_release(&a);

	CHECK_INT(run(&a, DATA("cp1252.html"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK_STR(r.title, "Caf\xC3\xA9 menu");
	CHECK(strstr(r.text, "5 \xE2\x82\xAC, \xE2\x80\x9Cquoted\xE2\x80\x9D") != NULL);
	arena_release(&a);

	/* The UTF-8 byte order mark wins over <meta charset="windows-1251">. */
	CHECK_INT(run(&a, DATA("utf8-bom-meta.html"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK_STR(r.title, "Новости дня");
	CHECK_STR(r.text, "Сегодня мы представляем новую систему тегов.");
	arena_release(&a);
}

static void test_office(void)
{
	struct arena a = ARENA_INIT;
	struct extract_result r;
	char err[256];
	CHECK_INT(run(&a, DATA("report.docx"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK_STR(r.title, "Quarterly Report Q3");
	CHECK_STR(r.author, "Jane Doe");
	CHECK_STR(r.subject, "Finance");
	CHECK_STR(r.creator, "Microsoft Office Word");
	CHECK_STR(r.created, "2021-05-06T07:08:09Z");
	CHECK(strstr(r.text, "Hello\tworld\nnext line & <tags>") != NULL);
	CHECK(strstr(r.text, "DELETED") == NULL);
	CHECK(strstr(r.text, "FALLBACK") == NULL);
	CHECK(strstr(r.text, "MOVED AWAY") == NULL);
	CHECK(strstr(r.text, "PAGE") == NULL);
	CHECK(strstr(r.text, "non-breaking") != NULL);
	arena_release(&a);

	CHECK_INT(run(&a, DATA("notes.odt"), NULL, &r, err, sizeof(err)), ERR_OK);
	CHECK_STR(r.author, "First Author");
	CHECK_STR(r.keywords, "meeting, notes");
	CHECK_STR(r.modified, "2022-03-05T10:00:00");
	CHECK(strstr(r.text, "Three   spaces, a\ttab and a\nline break.") != NULL);
	CHECK(strstr(r.text, "White space is collapsed, spans are inline.") != NULL);
	CHECK(strstr(r.text, "DELETED") == NULL);
	CHECK(strstr(r.text, "ANNOTATION") == NULL);
	arena_release(&a);
}

static void test_pdf_dates(void)
{
	static const char *const cases[][2] = {
		{ "D:20200102030405+01'00'", "2020-01-02T02:04:05Z" },
		{ "D:20200102030405-05'30'", "2020-01-02T08:34:05Z" },
		{ "D:20200102030405Z", "2020-01-02T03:04:05Z" },
		{ "D:20200102030405Z00'00'", "2020-01-02T03:04:05Z" },
		{ "D:20201231233000-01'00", "2021-01-01T00:30:00Z" },
		{ "D:20210304050607", "2021-03-04T05:06:07" },
		{ "20210304050607", "2021-03-04T05:06:07" },
		{ "D:2021", "2021-01-01T00:00:00" },
		{ "D:202103", "2021-03-01T00:00:00" },
		{ "D:20210230", "D:20210230" },             /* no February 30th: kept as stored */
		{ "D:20211301", "D:20211301" },
		{ "Tuesday", "Tuesday" },
		{ "D:2021030405060", "D:2021030405060" },
	};
	struct arena a = ARENA_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(extract_pdf_date(&a, cases[i][0]), cases[i][1]);
	arena_release(&a);
}

/* Feed chunks to a builder; the result as a C string in out. */
static void feed(bool collapse, size_t max, const char *const *chunks, size_t n, char *out, size_t outlen)
{
	struct extract_out o;
	extract_out_init(&o, max, collapse);
	for (size_t i = 0; i < n; i++)
		extract_out_text(&o, chunks[i], strlen(chunks[i]));
	snprintf(out, outlen, "%s", buf_cstr(&o.text));
	extract_out_release(&o);
}

/* extract_rtl_reading_order on a copy of page; the result must be want. */
static void check_rtl(const char *page, const char *want)
{
	size_t n = strlen(page);
	char *t = xmalloc(n + 1);
	memcpy(t, page, n + 1);
	extract_rtl_reading_order(t, n);
	CHECK_STR(t, want);
	free(t);
}

/*
 * Right-to-left words drawn in visual order are put back in reading order:
 * a page whose words start with letters that only end words (ם, ة) or end
 * with Arabic's article reversed ("لا"); numbers and Latin words in them
 * read left to right, marks stay on their letter, brackets are mirrored.
 * Text already in reading order, and text with too little to tell, is kept.
 */
static void test_rtl_reading_order(void)
{
	check_rtl("\u05dd\u05dc\u05d5\u05e2 \u05dd\u05d5\u05dc\u05e9", "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd");
	check_rtl("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd");
	check_rtl("\u05dd\u05d5\u05dc\u05e9", "\u05dd\u05d5\u05dc\u05e9"); /* one word: too little */
	/* A line of Hebrew with a Latin word and a number; a bracketed word; an English line. */
	check_rtl("2024 \u05da\u05e8\u05d3 PDF \u05dd\u05d5\u05dc\u05e9\n"
		  "(\u05dd\u05dc\u05d5\u05e2) \u05d0\u05d1\n"
		  "the word \u05dd\u05d5\u05dc\u05e9 here, 12.5\n"
		  "so the road \u05da\u05e8\u05d3 12.5 \u05dd\u05d5\u05dc\u05e9 ends here",
		  "\u05e9\u05dc\u05d5\u05dd PDF \u05d3\u05e8\u05da 2024\n"
		  "\u05d1\u05d0 (\u05e2\u05d5\u05dc\u05dd)\n"
		  "the word \u05e9\u05dc\u05d5\u05dd here, 12.5\n"
		  "so the road \u05e9\u05dc\u05d5\u05dd 12.5 \u05d3\u05e8\u05da ends here");
	/* Arabic: "كَتَبَ المدرسة" drawn left to right, its vowel marks after their letters. */
	check_rtl("\u0629\u0633\u0631\u062f\u0645\u0644\u0627 \u0628\u064e\u062a\u064e\u0643\u064e",
		  "\u0643\u064e\u062a\u064e\u0628\u064e \u0627\u0644\u0645\u062f\u0631\u0633\u0629");
	check_rtl("\u0627\u0644\u0645\u062f\u0631\u0633\u0629 \u0627\u0644\u0643\u0628\u064a\u0631\u0629",
		  "\u0627\u0644\u0645\u062f\u0631\u0633\u0629 \u0627\u0644\u0643\u0628\u064a\u0631\u0629");
	check_rtl("plain text, nothing to do\n\n", "plain text, nothing to do\n\n");
	/* A mark that starts a line is a character of its own, not the line break's: the page
	 * keeps its length (it lost its last bytes). */
	check_rtl("\u05dd\u05dc\u05d5\u05e2 \u05dd\u05d5\u05dc\u05e9\n\u05b0\u05da\u05e8\u05d3\nabc",
		  "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd\n\u05d3\u05e8\u05da\u05b0\nabc");

	/* A real PDF drawn so (pdf.js's ArabicCIDTrueType.pdf: contextual glyphs, left to right). */
	const char *dir = getenv("MTAG_TEST_CORPUS");
	if (!dir || !*dir)
		return;
	char path[1024];
	snprintf(path, sizeof(path), "%s/ArabicCIDTrueType.pdf", dir);
	struct arena a;
	arena_init(&a);
	struct extract_result r;
	char err[256];
	CHECK_INT(extract_file(&a, path, NULL, &r, err, sizeof(err)), ERR_OK);
	/* "أنواع الخطوط العربية" in glyphs: alef, the initial noon, waw's final form, alef, ain... */
	const char *want = "\u0627\ufee7\ufeee\u0627\u0639 \u0627\ufccb\ufec4\ufeee\u0637 "
			   "\u0627\ufedf\ufecc\ufeae\ufe91\ufef4\ufe94\n";
	CHECK(r.text && !strncmp(r.text, want, strlen(want)));
	arena_release(&a);
}

static void test_out_cleaning(void)
{
	char got[128];
	const char *crlf[] = { "a\r", "\nb\r\rc\n" };
	feed(false, 100, crlf, 2, got, sizeof(got));
	CHECK_STR(got, "a\nb\n\nc\n");
	const char *bad[] = { "x\xff" "y\xe2\x82" "z\xc2\x85" "\x01" "\xed\xa0\x80" "." };
	feed(false, 100, bad, 1, got, sizeof(got));
	/* One U+FFFD per maximal invalid prefix (as WHATWG decoders do): a surrogate is three. */
	CHECK_STR(got, "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.");
	const char *ws[] = { "  a \t\n b  ", "  c\f", "d" };
	feed(true, 100, ws, 3, got, sizeof(got));
	CHECK_STR(got, "a b c d");
	const char *cut[] = { "ab\xC3\xA9" };
	feed(false, 3, cut, 1, got, sizeof(got));
	CHECK_STR(got, "ab");
	CHECK_INT(extract_utf8_complete("ab\xE2\x82", 4), 2);
	CHECK_INT(extract_utf8_complete("ab\xE2\x82\xAC", 5), 5);
	struct arena a = ARENA_INIT;
	CHECK(extract_prop(&a, " \n\t ", 4) == NULL);
	CHECK_STR(extract_prop(&a, "  two\n  lines ", 14), "two lines");
	arena_release(&a);
}

struct thread_job {
	const char *path;
	size_t text_len;
	enum mtag_err e;
};

static void *thread_main(void *arg)
{
	struct thread_job *j = arg;
	for (int i = 0; i < 5; i++) {
		struct arena a = ARENA_INIT;
		struct extract_result r;
		char err[256];
		j->e = extract_file(&a, j->path, NULL, &r, err, sizeof(err));
		j->text_len = r.text_len;
		arena_release(&a);
	}
	return NULL;
}

/* Each call has its own MuPDF context: threads extract at once. */
static void test_threads(void)
{
	struct thread_job jobs[6] = {
		{ DATA("two-pages.pdf"), 0, 0 }, { DATA("tiny.epub"), 0, 0 }, { DATA("report.docx"), 0, 0 },
		{ DATA("two-pages.pdf"), 0, 0 }, { DATA("page.html"), 0, 0 }, { DATA("pages.xps"), 0, 0 },
	};
	pthread_t t[6];
	for (int i = 0; i < 6; i++)
		CHECK_INT(pthread_create(&t[i], NULL, thread_main, &jobs[i]), 0);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 6; i++) {
		CHECK_INT(jobs[i].e, ERR_OK);
		CHECK(jobs[i].text_len > 0);
	}
	CHECK_INT(jobs[0].text_len, jobs[3].text_len);
}

/* Files of the corpus whose outcome is known: the message must start with want. */
static const struct {
	const char *file;
	const char *want;
} corpus_expect[] = {
	{ "poppler-742-0-fuzzed.pdf", "corrupt PDF: " },   /* defeats MuPDF's parser */
	{ "invalid.pdf", "corrupt PDF: " },                /* a 44-byte header and EOF */
	{ "libreoffice-writer-password.pdf", "password-protected PDF: " },
	{ "password-example.pdf", "password-protected PDF: " },
};

#define SWEEP_FILE_MAX_US (60 * 1000000LL) /* per file, under the sanitizers */

struct sweep {
	const char *dir;
	char *manifest;      /* MANIFEST.tsv, or NULL */
	int files, ok, refused, failed;
	long pages;
	size_t bytes;
	int64_t slowest_us;
	char slowest[128];
	struct buf reasons;  /* "file: message; " for each refused or failed file */
};

/* Pages listed for file in MANIFEST.tsv (6th column), or -1. */
static int manifest_pages(const struct sweep *s, const char *file)
{
	size_t n = strlen(file);
	for (const char *line = s->manifest; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, file, n) != 0 || line[n] != '\t')
			continue;
		const char *col = line;
		for (int i = 0; i < 5 && col; i++)
			col = strchr(col, '\t') ? strchr(col, '\t') + 1 : NULL;
		return col && *col >= '0' && *col <= '9' ? (int)strtol(col, NULL, 10) : -1;
	}
	return -1;
}

/* What is wrong with an outcome, or NULL. */
static const char *sweep_problem(const struct sweep *s, const char *file, enum mtag_err e,
				 const struct extract_result *r, const char *err)
{
	const char *props[] = { r->title, r->author, r->subject, r->keywords, r->creator,
				r->producer, r->created, r->modified };
	for (size_t i = 0; i < sizeof(corpus_expect) / sizeof(corpus_expect[0]); i++)
		if (strcmp(file, corpus_expect[i].file) == 0 &&
		    (e != ERR_VALIDATION || strncmp(err, corpus_expect[i].want, strlen(corpus_expect[i].want)) != 0))
			return "not the expected error";
	if (e == ERR_VALIDATION)
		return strlen(err) > 10 ? NULL : "an error without a sentence";
	if (e != ERR_OK)
		return "an error other than validation";
	if (!utf8_valid(r->text, r->text_len) || strlen(r->text) != r->text_len)
		return "text not valid UTF-8, or with NUL";
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (props[i] && !utf8_valid(props[i], strlen(props[i])))
			return "a property not valid UTF-8";
	int want = manifest_pages(s, file);
	if (r->page_count < 1 || (want > 0 && r->page_count != want))
		return "page count differs from MANIFEST.tsv";
	return NULL;
}

static void sweep_one(struct sweep *s, const char *file)
{
	char path[1024], err[256] = "";
	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	struct arena a = ARENA_INIT;
	struct extract_result r;
	int64_t t0 = clock_mono_us();
	enum mtag_err e = extract_file(&a, path, NULL, &r, err, sizeof(err));
	int64_t us = clock_mono_us() - t0;
	const char *problem = sweep_problem(s, file, e, &r, err);
	if (!problem && us > SWEEP_FILE_MAX_US)
		problem = "slower than 60 s";
	s->files++;
	if (problem) {
		s->failed++;
		buf_printf(&s->reasons, "%s: FAILED (%s) %s %s; ", file, problem, err_name(e), err);
	} else if (e) {
		s->refused++;
		buf_printf(&s->reasons, "%s: %s; ", file, err);
	} else {
		s->ok++;
		s->pages += r.page_count;
		s->bytes += r.text_len;
	}
	if (us > s->slowest_us) {
		s->slowest_us = us;
		snprintf(s->slowest, sizeof(s->slowest), "%s", file);
	}
	printf("corpus: %-36s %-16s pages=%-4d text=%-8zu %6.3f s%s%s\n", file, err_name(e),
	       r.page_count, r.text_len, (double)us / 1e6, e ? "  " : "", e ? err : "");
	arena_release(&a);
}

static bool is_pdf(const char *name)
{
	return ends_with(name, ".pdf");
}

/*
 * MTAG_TEST_CORPUS=dir: every *.pdf in dir and dir/tricky/, in process, under
 * the sanitizers. tricky/bomb_giant.pdf (JBIG2 pages of 100000 x 100000
 * pixels, minutes of work for plain MuPDF) is included: the memory cap of
 * extract_pdf.c refuses its bitmaps at once, so no file needs skipping.
 */
static void test_corpus(void)
{
	const char *dir = getenv("MTAG_TEST_CORPUS");
	if (!dir || !*dir) {
		printf("corpus: skipped (set MTAG_TEST_CORPUS to a directory of PDFs)\n");
		return;
	}
	struct sweep s = { .dir = dir, .reasons = BUF_INIT((size_t)1 << 20) };
	char mpath[1024];
	size_t mlen;
	snprintf(mpath, sizeof(mpath), "%s/MANIFEST.tsv", dir);
	s.manifest = slurp(mpath, &mlen);
	size_t n = 0, nt = 0;
	char **names = list_dir(dir, is_pdf, &n);
	char tdir[1024];
	snprintf(tdir, sizeof(tdir), "%s/tricky", dir);
	char **tricky = list_dir(tdir, is_pdf, &nt);
	int64_t t0 = clock_mono_us();
	for (size_t i = 0; i < n; i++)
		sweep_one(&s, names[i]);
	for (size_t i = 0; i < nt; i++) {
		char rel[600];
		snprintf(rel, sizeof(rel), "tricky/%s", tricky[i]);
		sweep_one(&s, rel);
	}
	printf("corpus: %d files, %d ok (%ld pages, %zu bytes of text), %d refused, %d failed; "
	       "%.2f s, slowest %s %.2f s; %s\n", s.files, s.ok, s.pages, s.bytes, s.refused, s.failed,
	       (double)(clock_mono_us() - t0) / 1e6, s.slowest, (double)s.slowest_us / 1e6,
	       buf_cstr(&s.reasons));
	free_names(names, n);
	free_names(tricky, nt);
	free(s.manifest);
	int files = s.files, failed = s.failed;
	buf_release(&s.reasons);
	CHECK(files > 0);
	CHECK_INT(failed, 0);
}

int main(void)
{
	RUN(test_golden);
	RUN(test_detect);
	RUN(test_errors);
	RUN(test_pdf_properties);
	RUN(test_max_pages);
	RUN(test_max_text);
	RUN(test_html_skips);
	RUN(test_office);
	RUN(test_pdf_dates);
	RUN(test_out_cleaning);
	RUN(test_rtl_reading_order);
	RUN(test_threads);
	RUN(test_corpus);
	return unit_report("test_extract");
}
