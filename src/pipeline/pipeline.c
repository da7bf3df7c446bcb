#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/tempfile.h"
#include "pipeline/langid.h"
#include "pipeline/pipeline.h"
#include "pipeline/sandbox.h"
#include "base/xalloc.h"

#define TITLE_MAX 300

struct pipeline {
	struct sandbox *sb; /* borrowed */
	pthread_key_t key;  /* this thread's struct tools */
};

/* The per-thread language detector and tagger. */
struct tools {
	struct langid *langid;
	struct tagger *tagger;
};

static void tools_free(void *p)
{
	struct tools *t = p;
	if (!t)
		return;
	langid_free(t->langid);
	tagger_free(t->tagger);
	free(t);
}

void pipeline_options_init(struct pipeline_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_tags = 10;
	extract_limits_init(&o->limits);
	fetch_options_init(&o->fetch);
}

struct pipeline *pipeline_new(struct sandbox *sb)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	p->sb = sb;
	pthread_key_create(&p->key, tools_free);
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	/* The calling thread's tools; other threads free theirs when they end. */
	tools_free(pthread_getspecific(p->key));
	pthread_setspecific(p->key, NULL);
	pthread_key_delete(p->key);
	free(p);
}

static struct tools *tools_of(struct pipeline *p)
{
	struct tools *t = pthread_getspecific(p->key);
	if (t)
		return t;
	t = xcalloc(1, sizeof(*t));
	char err[256] = "";
	t->langid = langid_new(err, sizeof(err));
	if (!t->langid)
		log_warn("pipeline.langid_unavailable", "error=\"%s\"", err);
	t->tagger = tagger_new();
	pthread_setspecific(p->key, t);
	return t;
}

bool pipeline_title_is_real(const char *t)
{
	static const char *const junk[] = { "untitled", "title", "document", "no title",
					    "slide 1", "powerpoint presentation", "microsoft word",
					    "blank", "none", "unknown", NULL };
	static const char *const exts[] = { ".doc", ".docx", ".pdf", ".tex", ".dvi", ".ps", ".odt",
					    ".rtf", ".txt", ".indd", ".qxd", ".xls", ".ppt", ".html",
					    NULL };
	if (!t)
		return false;
	while (*t == ' ')
		t++;
	size_t n = strlen(t);
	if (n < 3 || n > TITLE_MAX)
		return false;
	for (int i = 0; junk[i]; i++)
		if (!strcasecmp(t, junk[i]))
			return false;
	if (!strncasecmp(t, "Microsoft Word - ", 17) || !strncasecmp(t, "Microsoft PowerPoint - ", 23))
		return false;
	for (int i = 0; exts[i]; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && !strcasecmp(t + n - e, exts[i]))
			return false;
	}
	return true;
}

/* The first non-blank line of text, trimmed and cut at TITLE_MAX bytes on a UTF-8 boundary. */
static const char *first_line(struct arena *a, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
				   text[i] == '\r' || text[i] == '\f'))
			i++;
		size_t j = i;
		while (j < len && text[j] != '\n' && text[j] != '\f' && text[j] != '\r')
			j++;
		size_t end = j;
		while (end > i && (text[end - 1] == ' ' || text[end - 1] == '\t'))
			end--;
		if (end > i) {
			if (end - i > TITLE_MAX) {
				end = i + TITLE_MAX;
				while (end > i && ((unsigned char)text[end] & 0xc0) == 0x80)
					end--;
			}
			return arena_strndup(a, text + i, end - i);
		}
		i = j;
	}
	return NULL;
}

enum mtag_err pipeline_file_sha256(const char *path, char hex[65], size_t *size, char *err,
				   size_t errlen)
{
	/* Not blocking on a FIFO's open; only a regular file has an end (/dev/zero has none). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return ERR_NOT_FOUND;
	}
	struct stat st = { 0 };
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
		close(fd);
		return ERR_VALIDATION;
	}
	struct sha256_stream md;
	sha256_stream_begin(&md);
	unsigned char buf[65536], digest[SHA256_LEN];
	ssize_t n;
	*size = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		sha256_stream_add(&md, buf, (size_t)n);
		*size += (size_t)n;
	}
	sha256_stream_end(&md, digest);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	digest_hex(digest, sizeof(digest), hex);
	return ERR_OK;
}

const char *pipeline_sniff_extension(const char *path)
{
	unsigned char head[16] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head)) : -1;
	if (fd >= 0)
		close(fd);
	/* Only a look at the first bytes: the real detection runs in the sandbox. */
	if (n >= 5 && !memcmp(head, "%PDF-", 5))
		return "pdf";
	if (n >= 4 && !memcmp(head, "PK\3\4", 4))
		return "zip";
	if (n >= 1 && head[0] == '<')
		return "html";
	for (ssize_t i = 0; i < n; i++)
		if (head[i] < 0x09 || (head[i] > 0x0d && head[i] < 0x20))
			return "bin";
	return n > 0 ? "txt" : "bin";
}

static const char *base_name(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	return name[0] ? arena_strdup(a, name) : NULL;
}

/*
 * s in composed form (utf8_normalize), in the arena, cut at max bytes on a
 * character boundary (*cut set); s itself when nothing changes.
 */
static const char *normalized(struct arena *a, const char *s, size_t *len, size_t max, bool *cut)
{
	size_t n = 0;
	char *z = s ? utf8_normalize(s, *len, &n) : NULL;
	if (!z)
		return s;
	if (n > max) {
		n = utf8_cut(z, max);
		*cut = true;
	}
	const char *out = arena_strndup(a, z, n);
	free(z);
	*len = n;
	return out;
}

/* A property (title, author, ...) in composed form. */
static const char *normalized_prop(struct arena *a, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	bool cut = false;
	return normalized(a, s, &len, SIZE_MAX, &cut);
}

/* Extract, detect, tag and title the file at path; filename (may be NULL) is the title's fallback. */
static enum mtag_err run(struct pipeline *p, struct arena *a, const char *path,
			 const char *filename, const struct pipeline_options *o,
			 struct pipeline_doc *out, char *err, size_t errlen)
{
	int64_t t0 = clock_mono_us();
	out->filename = normalized_prop(a, filename); /* a name need not be UTF-8 */
	enum mtag_err e = pipeline_file_sha256(path, out->sha256, &out->size_bytes, err, errlen);
	if (e)
		return e;
	struct extract_result *r = &out->props;
	e = p->sb ? sandbox_extract(p->sb, a, path, &o->limits, r, err, errlen)
		  : extract_file(a, path, &o->limits, r, err, errlen);
	out->extract_us = clock_mono_us() - t0;
	if (e)
		return e;
	/* One form for the text whatever wrote it (macOS writes "e" + U+0301): the index,
	 * the tagger and a typed query then see the same letters. */
	r->text = normalized(a, r->text, &r->text_len, o->limits.max_text, &r->truncated);
	r->title = normalized_prop(a, r->title);
	r->author = normalized_prop(a, r->author);
	r->subject = normalized_prop(a, r->subject);
	r->keywords = normalized_prop(a, r->keywords);
	out->mime_type = r->mime_type;
	out->text = r->text;
	out->text_len = r->text_len;
	out->page_count = r->page_count;
	out->truncated = r->truncated;

	int64_t t1 = clock_mono_us();
	struct tools *tl = tools_of(p);
	out->language = tl->langid ? langid_detect(tl->langid, r->text, r->text_len, o->languages,
						    o->nlanguages)
				   : "und";
	e = tagger_extract(tl->tagger, a, r->text, r->text_len, out->language, o->max_tags,
			   &out->tags, &out->ntags);
	out->tag_us = clock_mono_us() - t1;
	if (e) {
		snprintf(err, errlen, "tagging failed");
		return e;
	}
	if (pipeline_title_is_real(r->title))
		out->title = r->title;
	else if (out->filename)
		out->title = out->filename;
	else
		out->title = first_line(a, r->text, r->text_len);
	out->total_us = clock_mono_us() - t0;
	return ERR_OK;
}

enum mtag_err pipeline_run_file(struct pipeline *p, struct arena *a, const char *path,
				const char *display_name, const struct pipeline_options *o,
				struct pipeline_doc *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->source = arena_strdup(a, display_name ? display_name : path);
	return run(p, a, path, base_name(a, display_name ? display_name : path), o, out, err, errlen);
}

enum mtag_err pipeline_download(struct arena *a, const char *url, const struct fetch_options *o,
				const char **path, struct fetch_result *fr, char *err, size_t errlen)
{
	char *tmp;
	*path = NULL;
	memset(fr, 0, sizeof(*fr));
	int fd = tempfile_create(a, "fetch", &tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		return ERR_IO;
	}
	enum mtag_err e = fetch_to_fd(a, url, o, fd, fr);
	close(fd);
	if (e) {
		snprintf(err, errlen, "%s", fr->error);
		tempfile_remove(tmp);
		return e;
	}
	*path = tmp;
	return ERR_OK;
}

enum mtag_err pipeline_run_download(struct pipeline *p, struct arena *a, const char *path,
				    const char *url, const char *filename,
				    const struct pipeline_options *o, struct pipeline_doc *out,
				    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->source = url ? arena_strdup(a, url) : NULL;
	return run(p, a, path, filename, o, out, err, errlen);
}

enum mtag_err pipeline_run_url(struct pipeline *p, struct arena *a, const char *url,
			       const struct pipeline_options *o, struct pipeline_doc *out,
			       char *err, size_t errlen)
{
	const char *path;
	struct fetch_result fr;
	int64_t t0 = clock_mono_us();
	enum mtag_err e = pipeline_download(a, url, &o->fetch, &path, &fr, err, errlen);
	if (e) {
		memset(out, 0, sizeof(*out));
		out->source = arena_strdup(a, url);
		return e;
	}
	int64_t fetched = clock_mono_us() - t0;
	e = pipeline_run_download(p, a, path, url, fr.filename, o, out, err, errlen);
	out->fetch_us = fetched;
	out->total_us += fetched;
	tempfile_remove(path);
	return e;
}
