/*
 * test_sandbox.c - extraction in helper processes: a result equal to the
 * in-process one, a document past the time limit, a helper killed in the
 * middle of a document, and the pool carrying on after both.
 *
 * Needs the mtag binary (MTAG_TEST_BIN, default build/san/mtag) for the
 * helpers. The slow document is a PDF of our own, built at run time.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "harness.h"
#include "pipeline/sandbox.h"
#include "base/xalloc.h"

static const char *bin(void)
{
	const char *b = getenv("MTAG_TEST_BIN");
	return b && b[0] ? b : "build/san/mtag";
}

/*
 * A small PDF that takes MuPDF many seconds: one page whose content stream
 * inflates to 400 MB of "q Q " (save/restore, no text, no memory growth).
 * Built once per run in /tmp.
 */
static const char *slow_pdf(void)
{
	static char path[] = "/tmp/mtag-test-slow-XXXXXX";
	static bool made;
	if (made)
		return path;
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "wb");
	z_stream z = { 0 };
	deflateInit(&z, 9);
	static unsigned char in[1 << 16], out[1 << 16];
	for (size_t i = 0; i < sizeof(in); i += 4)
		memcpy(in + i, "q Q ", 4);
	unsigned char *zbuf = NULL;
	size_t zlen = 0;
	for (int round = 0; round <= 6400; round++) {
		z.next_in = in;
		z.avail_in = round < 6400 ? sizeof(in) : 0;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			deflate(&z, round < 6400 ? Z_NO_FLUSH : Z_FINISH);
			size_t n = sizeof(out) - z.avail_out;
			zbuf = realloc(zbuf, zlen + n);
			memcpy(zbuf + zlen, out, n);
			zlen += n;
		} while (z.avail_out == 0);
	}
	deflateEnd(&z);
	long off[5];
	fprintf(f, "%%PDF-1.4\n");
	off[1] = ftell(f);
	fprintf(f, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	off[2] = ftell(f);
	fprintf(f, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
	off[3] = ftell(f);
	fprintf(f, "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n");
	off[4] = ftell(f);
	fprintf(f, "4 0 obj << /Length %zu /Filter /FlateDecode >> stream\n", zlen);
	fwrite(zbuf, 1, zlen, f);
	fprintf(f, "\nendstream endobj\n");
	long xref = ftell(f);
	fprintf(f, "xref\n0 5\n0000000000 65535 f \n");
	for (int i = 1; i <= 4; i++)
		fprintf(f, "%010ld 00000 n \n", off[i]);
	fprintf(f, "trailer << /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", xref);
	fclose(f);
	free(zbuf);
	made = true;
	return path;
}

static struct sandbox *new_sandbox(int procs, int timeout_s)
{
	struct sandbox_options o;
	sandbox_options_init(&o);
	o.exe = bin();
	o.procs = procs;
	o.timeout_s = timeout_s;
	return sandbox_new(&o);
}

/* A text file of our own. */
static const char *write_text(const char *body)
{
	static char path[] = "/tmp/mtag-test-sandbox-XXXXXX";
	static bool made;
	if (!made) {
		int fd = mkstemp(path);
		if (fd < 0)
			return NULL;
		close(fd);
		made = true;
	}
	FILE *f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	return path;
}

static void test_same_result_as_in_process(void)
{
	const char *path = write_text("Sandboxed extraction\nThe quick brown fox jumps over the lazy dog.\n");
	struct sandbox *sb = new_sandbox(1, 30);
	struct arena a = ARENA_INIT;
	struct extract_result in, out;
	struct extract_limits l;
	char err[256] = "";
	extract_limits_init(&l);
	CHECK_INT(extract_file(&a, path, &l, &in, err, sizeof(err)), ERR_OK);
	CHECK_INT(sandbox_extract(sb, &a, path, &l, &out, err, sizeof(err)), ERR_OK);
	CHECK_INT(out.type, in.type);
	CHECK_STR(out.mime_type, in.mime_type);
	CHECK_INT(out.text_len, in.text_len);
	CHECK(memcmp(out.text, in.text, in.text_len) == 0);
	CHECK_INT(out.page_count, in.page_count);
	/* Errors travel too, with their sentence. */
	char want[256] = "";
	enum mtag_err e = extract_file(&a, "/nonexistent/file.pdf", &l, &in, want, sizeof(want));
	CHECK(e != ERR_OK);
	CHECK_INT(sandbox_extract(sb, &a, "/nonexistent/file.pdf", &l, &out, err, sizeof(err)), e);
	CHECK_STR(err, want);
	sandbox_free(sb);
	arena_release(&a);
}

static void test_time_limit(void)
{
	struct sandbox *sb = new_sandbox(1, 1);
	struct arena a = ARENA_INIT;
	struct extract_result out;
	struct extract_limits l;
	char err[256] = "";
	extract_limits_init(&l);
	CHECK_INT(sandbox_extract(sb, &a, slow_pdf(), &l, &out, err, sizeof(err)), ERR_TIMEOUT);
	CHECK_STR(err, "extraction timed out after 1 s");
	/* The helper was replaced: the next document is fine. */
	const char *path = write_text("after the timeout\n");
	CHECK_INT(sandbox_extract(sb, &a, path, &l, &out, err, sizeof(err)), ERR_OK);
	CHECK_INT(out.text_len, 18);
	sandbox_free(sb);
	arena_release(&a);
}

/* The pid of our child running `extract-helper`, or 0. */
static pid_t find_helper(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0, self = getpid();
	while (d && (e = readdir(d)) != NULL && !found) {
		char path[300], stat[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int pid = 0, ppid = 0;
		if (fgets(stat, sizeof(stat), f)) {
			const char *rp = strrchr(stat, ')');
			if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1)
				pid = (int)strtol(e->d_name, NULL, 10);
		}
		fclose(f);
		if (ppid == self && pid > 0)
			found = pid;
	}
	if (d)
		closedir(d);
	return found;
}

struct bg {
	struct sandbox *sb;
	enum mtag_err e;
	char err[256];
};

static void *extract_bomb(void *arg)
{
	struct bg *b = arg;
	struct arena a = ARENA_INIT;
	struct extract_result out;
	struct extract_limits l;
	extract_limits_init(&l);
	b->e = sandbox_extract(b->sb, &a, slow_pdf(), &l, &out, b->err, sizeof(b->err));
	arena_release(&a);
	return NULL;
}

static void test_helper_killed_mid_document(void)
{
	static struct bg b;
	b.sb = new_sandbox(1, 60);
	pthread_t th;
	pthread_create(&th, NULL, extract_bomb, &b);
	pid_t helper = 0;
	for (int i = 0; i < 500 && !helper; i++) {
		usleep(10000);
		helper = find_helper();
	}
	usleep(300000); /* well inside the document */
	/* SIGKILL: under AddressSanitizer a SIGSEGV would become an ASan report and exit(1). */
	if (helper)
		kill(helper, SIGKILL);
	pthread_join(th, NULL);
	CHECK(helper > 0);
	CHECK_INT(b.e, ERR_INTERNAL);
	CHECK_STR(b.err, "extraction failed: the helper process crashed (KILL)");
	struct arena a = ARENA_INIT;
	struct extract_result out;
	struct extract_limits l;
	char err[256];
	extract_limits_init(&l);
	const char *path = write_text("after the crash\n");
	CHECK_INT(sandbox_extract(b.sb, &a, path, &l, &out, err, sizeof(err)), ERR_OK);
	CHECK_INT(out.text_len, 16);
	sandbox_free(b.sb);
	arena_release(&a);
}

/* One extraction of a small text on a thread of its own, which then ends. */
static void *extract_once(void *arg)
{
	struct bg *b = arg;
	struct arena a = ARENA_INIT;
	struct extract_result out;
	struct extract_limits l;
	extract_limits_init(&l);
	b->e = sandbox_extract(b->sb, &a, write_text("started for a thread that ends\n"), &l, &out,
			       b->err, sizeof(b->err));
	arena_release(&a);
	return NULL;
}

/*
 * A helper started for a thread outlives that thread: the HTTP offload pool's
 * threads end at a stop while the workers still use the helpers they
 * started, and a helper dies with the thread that started it
 * (PR_SET_PDEATHSIG): the workers' documents failed as "crashed (KILL)".
 */
static void test_helper_outlives_the_thread_that_wanted_it(void)
{
	static struct bg b;
	b.sb = new_sandbox(1, 30);
	pthread_t th;
	pthread_create(&th, NULL, extract_once, &b);
	pthread_join(th, NULL);
	CHECK_INT(b.e, ERR_OK);
	pid_t helper = find_helper();
	CHECK(helper > 0);
	usleep(200000); /* a parent-death signal would have come by now */
	struct arena a = ARENA_INIT;
	struct extract_result out;
	struct extract_limits l;
	char err[256] = "";
	extract_limits_init(&l);
	CHECK_INT(sandbox_extract(b.sb, &a, write_text("the same helper\n"), &l, &out, err, sizeof(err)),
		  ERR_OK);
	CHECK_STR(err, "");
	CHECK_INT(find_helper(), helper);
	sandbox_free(b.sb);
	arena_release(&a);
}

int main(void)
{
	RUN(test_same_result_as_in_process);
	RUN(test_time_limit);
	RUN(test_helper_killed_mid_document);
	RUN(test_helper_outlives_the_thread_that_wanted_it);
	unlink(write_text(""));
	unlink(slow_pdf());
	return unit_report("test_sandbox");
}
