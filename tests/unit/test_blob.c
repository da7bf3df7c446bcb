/*
 * test_blob.c - the blob contract, once on each driver.
 *
 * The local half runs in a temporary directory. The S3 half runs against
 * MTAG_TEST_S3_ENDPOINT (tools/s3-server.sh: s3rver behind a proxy that
 * verifies every SigV4 signature with aws4), in a bucket named at random and
 * created by the driver; it is skipped with a note when the variable is
 * unset, or counted as a failure when MTAG_TEST_REQUIRE_S3=1. With
 * MTAG_TEST_S3_DIR (the directory given to tools/s3-server.sh) the outage
 * test pauses and resumes the server. Presigning is checked against AWS's
 * published example without any server.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/random.h"
#include "blob/blob.h"
#include "blob/blob_int.h"
#include "base/xalloc.h"

static struct blob *B;          /* the store under test */
static const char *DRIVER;      /* "local" or "s3" */
static char tmpdir[256];        /* scratch files of this run */
static char local_root[300];    /* root of the local store */
static const char *s3_endpoint; /* NULL: no S3 half */
static char s3_url_base[512];   /* s3://BUCKET?endpoint=... */
static char errbuf[512];

/* ---- helpers ---- */

/* Write size pseudo-random bytes (seeded) to path. OUT: hex SHA-256. */
static bool make_file(const char *path, size_t size, uint64_t seed, char hex[65])
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	static uint64_t chunk[1 << 17]; /* 1 MiB */
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	bool ok = true;
	for (size_t done = 0; done < size && ok;) {
		for (size_t i = 0; i < sizeof(chunk) / 8; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			chunk[i] = x;
		}
		size_t n = size - done < sizeof(chunk) ? size - done : sizeof(chunk);
		ok = write(fd, chunk, n) == (ssize_t)n;
		EVP_DigestUpdate(md, chunk, n);
		done += n;
	}
	unsigned char d[32];
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return close(fd) == 0 && ok;
}

/* SHA-256 of a file and its size. */
static bool hash_file(const char *path, char hex[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	static char b[1 << 16];
	ssize_t n;
	*size = 0;
	while ((n = read(fd, b, sizeof(b))) > 0) {
		EVP_DigestUpdate(md, b, (size_t)n);
		*size += (uint64_t)n;
	}
	unsigned char d[32];
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	close(fd);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return n == 0;
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Put a small file holding text under key. */
static enum mtag_err put_text(struct blob *b, const char *key, const char *text)
{
	char path[512];
	tmp_path(path, sizeof(path), "text.in");
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return blob_put_file(b, key, path, "text/plain", errbuf, sizeof(errbuf));
}

/* Get key into a file. OUT: its hash and size. */
static enum mtag_err get_hash(struct blob *b, const char *key, char hex[65], uint64_t *size)
{
	char path[512];
	tmp_path(path, sizeof(path), "get.out");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	enum mtag_err e = blob_get_to_fd(b, key, fd, errbuf, sizeof(errbuf));
	close(fd);
	if (!hash_file(path, hex, size))
		return ERR_IO;
	return e;
}

/* Get key as text (at most cap-1 bytes). */
static enum mtag_err get_text(struct blob *b, const char *key, char *out, size_t cap)
{
	char path[512];
	tmp_path(path, sizeof(path), "get.txt");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	enum mtag_err e = blob_get_to_fd(b, key, fd, errbuf, sizeof(errbuf));
	ssize_t n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return e;
}

static bool is_s3(void)
{
	return strcmp(DRIVER, "s3") == 0;
}

/* ---- the contract ---- */

static void roundtrip(size_t size, const char *key)
{
	char in[512], want[65], got[65];
	uint64_t n = 0;
	tmp_path(in, sizeof(in), "rt.in");
	CHECK(make_file(in, size, size + 7, want));
	CHECK_INT(blob_put_file(B, key, in, "application/octet-stream", errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_INT(get_hash(B, key, got, &n), ERR_OK);
	CHECK_INT(n, size);
	CHECK_STR(got, want);
	struct arena a = ARENA_INIT;
	struct blob_info bi;
	CHECK_INT(blob_head(B, &a, key, &bi, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(bi.size, size);
	CHECK_STR(bi.key, key);
	CHECK(bi.modified_us > 0);
	arena_release(&a);
	unlink(in);
}

static void test_roundtrip_0(void)
{
	roundtrip(0, "rt/empty.bin");
}

static void test_roundtrip_1(void)
{
	roundtrip(1, "rt/one.bin");
}

static void test_roundtrip_50mb(void)
{
	roundtrip(50u << 20, "rt/big/fifty.bin"); /* S3: multipart (16 MiB threshold) */
}

static void test_missing_key(void)
{
	char hex[65];
	uint64_t n = 99;
	CHECK_INT(get_hash(B, "no/such/key", hex, &n), ERR_NOT_FOUND);
	CHECK_INT(n, 0); /* nothing written to the output */
	struct arena a = ARENA_INIT;
	struct blob_info bi;
	CHECK_INT(blob_head(B, &a, "no/such/key", &bi, errbuf, sizeof(errbuf)), ERR_NOT_FOUND);
	CHECK_INT(blob_head(B, &a, "rt", &bi, errbuf, sizeof(errbuf)), ERR_NOT_FOUND); /* a "directory" */
	arena_release(&a);
}

static void test_overwrite(void)
{
	char text[64];
	CHECK_INT(put_text(B, "ow/k.txt", "first version"), ERR_OK);
	CHECK_INT(put_text(B, "ow/k.txt", "second"), ERR_OK);
	CHECK_INT(get_text(B, "ow/k.txt", text, sizeof(text)), ERR_OK);
	CHECK_STR(text, "second");
	struct arena a = ARENA_INIT;
	struct blob_info bi;
	CHECK_INT(blob_head(B, &a, "ow/k.txt", &bi, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(bi.size, 6);
	arena_release(&a);
}

/* No key is also a "directory" of another: the local driver cannot hold both a and a/b. */
static const char *const list_keys[] = {
	"lst/c", "lst/a/b", "lst/b/c/d", "lst/a-b", "lst/a.b", "lst/a_", "lstx",
};

static void check_list(const char *prefix, size_t max, const char *want_joined)
{
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	struct buf got = BUF_INIT(4096);
	CHECK_INT(blob_list(B, &a, prefix, max, &v, &n, errbuf, sizeof(errbuf)), ERR_OK);
	for (size_t i = 0; i < n; i++)
		buf_printf(&got, "%s%s", i ? " " : "", v[i].key);
	if (strcmp(buf_cstr(&got), want_joined) != 0)
		FAIL_AT("list(\"%s\", %zu) = [%s], want [%s]", prefix, max, buf_cstr(&got),
			want_joined);
	buf_release(&got);
	arena_release(&a);
}

#define CHECK_LIST(prefix, max, want)                   \
	do {                                            \
		check_list(prefix, max, want);          \
		if (unit_current_failed)                \
			return;                         \
	} while (0)

static void test_list(void)
{
	for (size_t i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++)
		CHECK_INT(put_text(B, list_keys[i], "x"), ERR_OK);
	/* Byte order: '-' < '.' < '/' < '_'. */
	CHECK_LIST("lst/", 100, "lst/a-b lst/a.b lst/a/b lst/a_ lst/b/c/d lst/c");
	CHECK_LIST("lst", 100, "lst/a-b lst/a.b lst/a/b lst/a_ lst/b/c/d lst/c lstx");
	CHECK_LIST("lst/a", 100, "lst/a-b lst/a.b lst/a/b lst/a_");
	CHECK_LIST("lst/b", 100, "lst/b/c/d");
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	CHECK_INT(blob_list(B, &a, "lst/c", 10, &v, &n, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(v[0].size, 1);
	CHECK(v[0].modified_us > 0);
	arena_release(&a);
	CHECK_LIST("lst/b/", 100, "lst/b/c/d");
	CHECK_LIST("nothing/here/", 100, "");
	CHECK_LIST("lst/zz", 100, "");
	CHECK_LIST("lst/", 0, "");
}

/* Pages of 2 keys: continuation tokens on S3 (no-op knob locally). */
static void test_list_pages(void)
{
	char key[32];
	blob_s3_tune(B, 2, 0, 0);
	for (int i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "pg/%02d", i);
		CHECK_INT(put_text(B, key, "y"), ERR_OK);
	}
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	if (blob_list(B, &a, "pg/", 100, &v, &n, errbuf, sizeof(errbuf)) != ERR_OK)
		FAIL_AT("list: %s", errbuf);
	CHECK_INT(n, 7);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "pg/%02zu", i);
		CHECK_STR(v[i].key, key);
	}
	CHECK_INT(blob_list(B, &a, "pg/", 5, &v, &n, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(n, 5);
	CHECK_STR(v[4].key, "pg/04");
	CHECK_LIST("pg/", 3, "pg/00 pg/01 pg/02");
	blob_s3_tune(B, 1000, 0, 0);
	arena_release(&a);
}

static void test_delete(void)
{
	char hex[65];
	uint64_t n;
	CHECK_INT(put_text(B, "del/a/b/c.txt", "bye"), ERR_OK);
	CHECK_INT(put_text(B, "del/keep.txt", "stay"), ERR_OK);
	CHECK_INT(blob_delete(B, "del/a/b/c.txt", errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(get_hash(B, "del/a/b/c.txt", hex, &n), ERR_NOT_FOUND);
	CHECK_INT(blob_delete(B, "del/a/b/c.txt", errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(blob_delete(B, "never/was.txt", errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(get_hash(B, "del/keep.txt", hex, &n), ERR_OK);
	CHECK_LIST("del/", 10, "del/keep.txt");
	if (!is_s3()) { /* emptied directories are removed, the others kept */
		char p[700];
		struct stat st;
		snprintf(p, sizeof(p), "%s/del/a", local_root);
		CHECK(stat(p, &st) != 0 && errno == ENOENT);
		snprintf(p, sizeof(p), "%s/del", local_root);
		CHECK(stat(p, &st) == 0);
	}
}

static const char *invalid_keys[] = {
	"", "../x", "a/../../x", "/abs", "a//b", "a/./b", "a/b/", ".", "..", "a\\b", "a b",
	"a?b", "a#b", "caf\xc3\xa9", "a\nb", NULL /* 600 bytes, below */,
};

/* Every operation refuses every invalid key with ERR_VALIDATION (b may be unreachable). */
static void check_invalid_keys(struct blob *b)
{
	char longkey[601], src[512];
	memset(longkey, 'k', 600);
	longkey[600] = '\0';
	tmp_path(src, sizeof(src), "inv.in");
	FILE *f = fopen(src, "w");
	fputs("x", f);
	fclose(f);
	struct arena a = ARENA_INIT;
	for (size_t i = 0; i < sizeof(invalid_keys) / sizeof(invalid_keys[0]); i++) {
		const char *k = invalid_keys[i] ? invalid_keys[i] : longkey;
		struct blob_info bi, *v;
		const char *s;
		size_t n;
		CHECK(!blob_key_valid(k));
		CHECK_INT(blob_put_file(b, k, src, NULL, errbuf, sizeof(errbuf)), ERR_VALIDATION);
		CHECK(strstr(errbuf, "invalid object key") != NULL);
		CHECK_INT(blob_get_to_fd(b, k, 1, errbuf, sizeof(errbuf)), ERR_VALIDATION);
		CHECK_INT(blob_head(b, &a, k, &bi, errbuf, sizeof(errbuf)), ERR_VALIDATION);
		CHECK_INT(blob_delete(b, k, errbuf, sizeof(errbuf)), ERR_VALIDATION);
		CHECK_INT(blob_presign_get(b, &a, k, 60, NULL, NULL, &s, errbuf, sizeof(errbuf)),
			  ERR_VALIDATION);
		CHECK_INT(blob_local_path(b, &a, k, &s), ERR_VALIDATION);
		/* "", "a/b/", "." and ".." are fine list prefixes (".." may begin "..x"). */
		if (k[0] && strcmp(k, "a/b/") != 0 && strcmp(k, ".") != 0 && strcmp(k, "..") != 0)
			CHECK_INT(blob_list(b, &a, k, 10, &v, &n, errbuf, sizeof(errbuf)),
				  ERR_VALIDATION);
	}
	CHECK(blob_key_valid("a/b-c_d.e/F9"));
	CHECK(blob_key_valid("..x/.y"));
	memset(longkey, 'k', 512);
	longkey[512] = '\0';
	CHECK(blob_key_valid(longkey));
	arena_release(&a);
}

static void test_invalid_keys(void)
{
	check_invalid_keys(B);
	if (unit_current_failed || is_s3())
		return;
	/* Nothing appeared outside or inside the root. */
	char p[700];
	struct stat st;
	snprintf(p, sizeof(p), "%s/../x", local_root);
	CHECK(stat(p, &st) != 0);
	snprintf(p, sizeof(p), "%s/a", local_root);
	CHECK(stat(p, &st) != 0);
}

/* The same refusals from a store nobody listens to: no I/O happened before them. */
static void test_invalid_keys_no_io(void)
{
	struct blob *dead;
	CHECK_INT(blob_open("s3://dead-bucket?endpoint=http://127.0.0.1:1&create_bucket=1", false,
			    &dead, errbuf, sizeof(errbuf)),
		  ERR_OK);
	check_invalid_keys(dead);
	blob_close(dead);
}

static void test_ping(void)
{
	CHECK_INT(blob_ping(B, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_STR(blob_driver_name(B), DRIVER);
}

static void test_local_path(void)
{
	struct arena a = ARENA_INIT;
	const char *p;
	CHECK_INT(put_text(B, "lp/x.txt", "here"), ERR_OK);
	CHECK_INT(blob_local_path(B, &a, "lp/x.txt", &p), ERR_OK);
	if (is_s3()) {
		CHECK(p == NULL);
	} else {
		char want[700];
		struct stat st;
		snprintf(want, sizeof(want), "%s/lp/x.txt", local_root);
		CHECK_STR(p, want);
		CHECK(stat(p, &st) == 0 && st.st_size == 4);
		CHECK_INT(st.st_mode & 0777, 0600);
	}
	arena_release(&a);
}

/* ---- presigned URLs ---- */

struct fetch {
	int status;
	struct buf body;
	char disposition[256];
	char content_type[128];
};

static size_t fetch_body(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;
	buf_append(&f->body, p, size * n);
	return size * n;
}

static void header_copy(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) != 0)
		return;
	line += nl;
	n -= nl;
	while (n && (*line == ' '))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	snprintf(out, cap, "%.*s", (int)n, line);
}

static size_t fetch_header(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;
	header_copy(p, size * n, "Content-Disposition:", f->disposition, sizeof(f->disposition));
	header_copy(p, size * n, "Content-Type:", f->content_type, sizeof(f->content_type));
	return size * n;
}

static void fetch_url(const char *url, struct fetch *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->body, 1 << 20);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	long status = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	f->status = (int)status;
	curl_easy_cleanup(h);
}

static void test_presign(void)
{
	struct arena a = ARENA_INIT;
	const char *url;
	const char *disp = "attachment; filename=\"report (1).txt\"";
	CHECK_INT(put_text(B, "ps/doc.txt", "presigned body"), ERR_OK);
	CHECK_INT(blob_presign_get(B, &a, "ps/doc.txt", 300, "text/plain; charset=utf-8", disp,
				   &url, errbuf, sizeof(errbuf)),
		  ERR_OK);
	if (!is_s3()) {
		CHECK(url == NULL);
		arena_release(&a);
		return;
	}
	CHECK(url != NULL);
	CHECK(strstr(url, "S3RVER") != NULL && strstr(url, "X-Amz-Signature=") != NULL);
	struct fetch f;
	fetch_url(url, &f);
	CHECK_INT(f.status, 200);
	CHECK_STR(buf_cstr(&f.body), "presigned body");
	CHECK_STR(f.disposition, disp);
	CHECK_STR(f.content_type, "text/plain; charset=utf-8");
	buf_release(&f.body);

	/* One character of the signature changed. */
	char *bad = arena_strdup(&a, url);
	char *last = bad + strlen(bad) - 1;
	*last = *last == '0' ? '1' : '0';
	fetch_url(bad, &f);
	CHECK_INT(f.status, 403);
	CHECK(strstr(buf_cstr(&f.body), "SignatureDoesNotMatch") != NULL);
	buf_release(&f.body);

	/* Expired. */
	CHECK_INT(blob_presign_get(B, &a, "ps/doc.txt", 1, NULL, NULL, &url, errbuf,
				   sizeof(errbuf)),
		  ERR_OK);
	sleep(2);
	fetch_url(url, &f);
	CHECK_INT(f.status, 403);
	buf_release(&f.body);

	CHECK_INT(blob_presign_get(B, &a, "ps/doc.txt", 0, NULL, NULL, &url, errbuf,
				   sizeof(errbuf)),
		  ERR_VALIDATION);
	arena_release(&a);
}

/* ---- concurrency: the store is shared by threads ---- */

struct worker {
	int id;
	int failures;
	char msg[400];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char key[64], src[512], dst[512], err[256];
	snprintf(src, sizeof(src), "%s/w%d.in", tmpdir, w->id);
	snprintf(dst, sizeof(dst), "%s/w%d.out", tmpdir, w->id);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "conc/%d/%d", w->id, i);
		FILE *f = fopen(src, "w");
		fprintf(f, "%s", key);
		fclose(f);
		int fd = open(dst, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		char got[64] = "";
		if (blob_put_file(B, key, src, NULL, err, sizeof(err)) != ERR_OK ||
		    blob_get_to_fd(B, key, fd, err, sizeof(err)) != ERR_OK ||
		    pread(fd, got, sizeof(got) - 1, 0) < 0 || strcmp(got, key) != 0 ||
		    blob_delete(B, key, err, sizeof(err)) != ERR_OK) {
			w->failures++;
			snprintf(w->msg, sizeof(w->msg), "%s: %s", key, err);
		}
		close(fd);
	}
	return NULL;
}

static void test_concurrent(void)
{
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .id = i };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		if (w[i].failures)
			FAIL_AT("worker %d: %d failures, last %s", i, w[i].failures, w[i].msg);
	}
}

/* The file:// driver: no temporary file is left or listed. */
static void test_local_atomic(void)
{
	if (is_s3())
		return;
	char p[700];
	CHECK_INT(put_text(B, "at/obj", "v1"), ERR_OK);
	/* A temporary file as a crash would leave it. */
	snprintf(p, sizeof(p), "%s/at/.#tmp.abcdef", local_root);
	FILE *f = fopen(p, "w");
	fputs("half", f);
	fclose(f);
	CHECK_LIST("at/", 10, "at/obj");
	CHECK_INT(put_text(B, "at/obj", "v2"), ERR_OK);
	snprintf(p, sizeof(p), "%s/at", local_root);
	int entries = 0;
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", p);
	FILE *ls = popen(cmd, "r");
	CHECK(fscanf(ls, "%d", &entries) == 1);
	pclose(ls);
	CHECK_INT(entries, 2); /* obj and the planted temp file: put left nothing behind */
}

/* "a" and "a/b" side by side: S3 holds both; the local driver refuses clearly. */
static void test_file_dir_clash(void)
{
	enum mtag_err want = is_s3() ? ERR_OK : ERR_CONFLICT;
	CHECK_INT(put_text(B, "cf/a/b", "1"), ERR_OK);
	CHECK_INT(put_text(B, "cf/a", "2"), want);
	if (!is_s3())
		CHECK(strstr(errbuf, "cannot hold both") != NULL);
	CHECK_INT(put_text(B, "cf/x", "3"), ERR_OK);
	CHECK_INT(put_text(B, "cf/x/y", "4"), want);
	if (!is_s3())
		CHECK(strstr(errbuf, "cannot hold both") != NULL);
	char text[16];
	CHECK_INT(get_text(B, "cf/x", text, sizeof(text)), ERR_OK);
	CHECK_STR(text, "3");
}

#define RUN_ON(fn)                                                      \
	do {                                                            \
		static char name_[96];                                  \
		snprintf(name_, sizeof(name_), "%s:%s", DRIVER, #fn);   \
		unit_current = name_;                                   \
		unit_current_failed = 0;                                \
		fn();                                                   \
		if (unit_current_failed)                                \
			unit_failed++;                                  \
		else                                                    \
			unit_passed++;                                  \
	} while (0)

static void contract_suite(void)
{
	RUN_ON(test_ping);
	RUN_ON(test_roundtrip_0);
	RUN_ON(test_roundtrip_1);
	RUN_ON(test_roundtrip_50mb);
	RUN_ON(test_missing_key);
	RUN_ON(test_overwrite);
	RUN_ON(test_list);
	RUN_ON(test_list_pages);
	RUN_ON(test_delete);
	RUN_ON(test_invalid_keys);
	RUN_ON(test_local_path);
	RUN_ON(test_presign);
	RUN_ON(test_concurrent);
	RUN_ON(test_local_atomic);
	RUN_ON(test_file_dir_clash);
}

/* ---- S3 only ---- */

/* A wrong secret (or access key) is refused by the verifying proxy: ERR_FORBIDDEN. */
static void test_s3_wrong_secret(void)
{
	const char *good = getenv("MTAG_S3_SECRET_KEY");
	char *saved = xstrdup(good);
	struct blob *bad;
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	char hex[65];
	uint64_t size;
	setenv("MTAG_S3_SECRET_KEY", "not-the-secret", 1);
	enum mtag_err e = blob_open(s3_url_base, false, &bad, errbuf, sizeof(errbuf));
	setenv("MTAG_S3_SECRET_KEY", saved, 1);
	free(saved);
	CHECK_INT(e, ERR_OK);
	CHECK_INT(blob_list(bad, &a, "", 10, &v, &n, errbuf, sizeof(errbuf)), ERR_FORBIDDEN);
	char want[300];
	snprintf(want, sizeof(want), "S3 %s: SignatureDoesNotMatch (403)", s3_endpoint);
	CHECK_STR(errbuf, want);
	CHECK_INT(get_hash(bad, "ow/k.txt", hex, &size), ERR_FORBIDDEN);
	CHECK_INT(size, 0);
	CHECK_INT(put_text(bad, "ow/k.txt", "forged"), ERR_FORBIDDEN);
	CHECK(strstr(errbuf, "not-the-secret") == NULL);
	blob_close(bad);
	char text[64];
	CHECK_INT(get_text(B, "ow/k.txt", text, sizeof(text)), ERR_OK);
	CHECK_STR(text, "second");
	arena_release(&a);
}

/* Virtual-hosted addressing: BUCKET.s3.localhost:PORT (curl resolves *.localhost to loopback). */
static void test_s3_vhost(void)
{
	const char *port = strrchr(s3_endpoint, ':');
	if (strncmp(s3_endpoint, "http://127.0.0.1:", 17) != 0 || !port) {
		printf("-- test_blob: vhost test skipped (endpoint is not http://127.0.0.1:PORT)\n");
		return;
	}
	char url[600], bucket[80];
	snprintf(bucket, sizeof(bucket), "%.*s", (int)strcspn(s3_url_base + 5, "?"),
		 s3_url_base + 5);
	snprintf(url, sizeof(url), "s3://%s?endpoint=http://s3.localhost%s&path_style=0", bucket,
		 port);
	struct blob *vh;
	CHECK_INT(blob_open(url, false, &vh, errbuf, sizeof(errbuf)), ERR_OK);
	char text[64];
	CHECK_INT(put_text(vh, "vh/x.txt", "virtual host"), ERR_OK);
	CHECK_INT(get_text(B, "vh/x.txt", text, sizeof(text)), ERR_OK); /* the same bucket */
	CHECK_STR(text, "virtual host");
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	CHECK_INT(blob_list(vh, &a, "vh/", 10, &v, &n, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(n, 1);
	const char *purl;
	CHECK_INT(blob_presign_get(vh, &a, "vh/x.txt", 60, NULL, NULL, &purl, errbuf,
				   sizeof(errbuf)),
		  ERR_OK);
	char want_prefix[200];
	snprintf(want_prefix, sizeof(want_prefix), "http://%s.s3.localhost%s/vh/x.txt?", bucket,
		 port);
	CHECK(strncmp(purl, want_prefix, strlen(want_prefix)) == 0);
	struct fetch f;
	fetch_url(purl, &f);
	CHECK_INT(f.status, 200);
	CHECK_STR(buf_cstr(&f.body), "virtual host");
	buf_release(&f.body);
	CHECK_INT(blob_delete(vh, "vh/x.txt", errbuf, sizeof(errbuf)), ERR_OK);
	blob_close(vh);
	arena_release(&a);
}

/* A bucket that does not exist (and is not to be created): the brief's error shape. */
static void test_s3_no_bucket(void)
{
	char url[600], want[300];
	struct blob *nb;
	snprintf(url, sizeof(url), "s3://no-such-bucket-here?endpoint=%s", s3_endpoint);
	CHECK_INT(blob_open(url, false, &nb, errbuf, sizeof(errbuf)), ERR_OK);
	struct arena a = ARENA_INIT;
	struct blob_info *v;
	size_t n;
	snprintf(want, sizeof(want), "S3 %s: NoSuchBucket (404)", s3_endpoint);
	CHECK_INT(blob_list(nb, &a, "", 10, &v, &n, errbuf, sizeof(errbuf)), ERR_UNAVAILABLE);
	CHECK_STR(errbuf, want);
	CHECK_INT(blob_ping(nb, errbuf, sizeof(errbuf)), ERR_UNAVAILABLE);
	CHECK_STR(errbuf, want);
	CHECK_INT(blob_delete(nb, "k", errbuf, sizeof(errbuf)), ERR_UNAVAILABLE);
	blob_close(nb);
	arena_release(&a);
}

/* 5xx answers are retried: once-failing requests succeed, always-failing ones say so. */
static void test_s3_retries(void)
{
	char text[64], want[300];
	CHECK_INT(put_text(B, "flaky-503/k", "made it"), ERR_OK); /* PUT failed once */
	CHECK_INT(get_text(B, "flaky-503/k", text, sizeof(text)), ERR_OK); /* GET too */
	CHECK_STR(text, "made it");
	CHECK_INT(put_text(B, "always-500/k", "never"), ERR_UNAVAILABLE);
	snprintf(want, sizeof(want), "S3 %s: InternalError (500) after retries", s3_endpoint);
	CHECK_STR(errbuf, want);
}

static int s3_ctl(const char *verb)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "tools/s3-server.sh %s '%s' >/dev/null", verb,
		 getenv("MTAG_TEST_S3_DIR"));
	return system(cmd);
}

/* The server goes away: ERR_UNAVAILABLE naming the endpoint; it comes back: all works again. */
static void test_s3_outage(void)
{
	const char *dir = getenv("MTAG_TEST_S3_DIR");
	if (!dir || access("tools/s3-server.sh", X_OK) != 0) {
		printf("-- test_blob: S3 outage test skipped (needs MTAG_TEST_S3_DIR and "
		       "tools/s3-server.sh in the working directory)\n");
		return;
	}
	struct arena a = ARENA_INIT;
	struct blob_info bi;
	char text[64];
	CHECK_INT(put_text(B, "out/before.txt", "before"), ERR_OK);
	CHECK_INT(s3_ctl("pause"), 0);
	CHECK_INT(blob_head(B, &a, "out/before.txt", &bi, errbuf, sizeof(errbuf)), ERR_UNAVAILABLE);
	CHECK(strstr(errbuf, s3_endpoint) != NULL);
	CHECK_INT(put_text(B, "out/during.txt", "during"), ERR_UNAVAILABLE);
	CHECK(strstr(errbuf, s3_endpoint) != NULL);
	CHECK_INT(get_text(B, "out/before.txt", text, sizeof(text)), ERR_UNAVAILABLE);
	CHECK_INT(blob_ping(B, errbuf, sizeof(errbuf)), ERR_UNAVAILABLE);
	fprintf(stderr, "-- outage error: %s\n", errbuf);
	CHECK_INT(s3_ctl("resume"), 0);
	CHECK_INT(blob_ping(B, errbuf, sizeof(errbuf)), ERR_OK);
	CHECK_INT(get_text(B, "out/before.txt", text, sizeof(text)), ERR_OK);
	CHECK_STR(text, "before");
	CHECK_INT(put_text(B, "out/after.txt", "after"), ERR_OK);
	CHECK_INT(get_text(B, "out/after.txt", text, sizeof(text)), ERR_OK);
	CHECK_STR(text, "after");
	arena_release(&a);
}

static void s3_half(void)
{
	s3_endpoint = getenv("MTAG_TEST_S3_ENDPOINT");
	const char *require = getenv("MTAG_TEST_REQUIRE_S3");
	if (!s3_endpoint || !*s3_endpoint) {
		if (require && strcmp(require, "1") == 0) {
			fprintf(stderr, "FAIL test_blob: MTAG_TEST_REQUIRE_S3=1 but "
					"MTAG_TEST_S3_ENDPOINT is not set\n");
			unit_failed++;
		} else {
			printf("-- test_blob: S3 half skipped (MTAG_TEST_S3_ENDPOINT not set)\n");
		}
		return;
	}
	char bucket[32];
	random_hex(bucket + 10, 6);
	memcpy(bucket, "mtag-test-", 10);
	snprintf(s3_url_base, sizeof(s3_url_base), "s3://%s?endpoint=%s&region=us-east-1", bucket,
		 s3_endpoint);
	DRIVER = "s3";
	if (blob_open(s3_url_base, true, &B, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "FAIL test_blob: cannot open %s: %s\n", s3_url_base, errbuf);
		unit_failed++;
		return;
	}
	contract_suite();
	RUN_ON(test_s3_wrong_secret);
	RUN_ON(test_s3_vhost);
	RUN_ON(test_s3_no_bucket);
	RUN_ON(test_s3_retries);
	RUN_ON(test_s3_outage);
	blob_close(B);
	B = NULL;
}

int main(void)
{
	const char *level = getenv("MTAG_LOG_LEVEL");
	enum log_level lv = LOG_ERROR;
	if (level)
		log_level_parse(level, &lv);
	log_set_level(lv);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setenv("MTAG_S3_ACCESS_KEY", "S3RVER", 0); /* s3rver's fixed credentials */
	setenv("MTAG_S3_SECRET_KEY", "S3RVER", 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mtag-blob-test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	RUN(test_invalid_keys_no_io);

	snprintf(local_root, sizeof(local_root), "%s/store", tmpdir);
	char url[400];
	snprintf(url, sizeof(url), "file://%s", local_root);
	DRIVER = "local";
	if (blob_open(url, false, &B, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "cannot open %s: %s\n", url, errbuf);
		return 1;
	}
	contract_suite();
	blob_close(B);
	B = NULL;

	s3_half();

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	curl_global_cleanup();
	return unit_report("test_blob");
}
