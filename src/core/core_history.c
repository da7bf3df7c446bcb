/*
 * core_history.c - the owner's history (core_history.h).
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/tempfile.h"
#include "blob/blob.h"
#include "core/core_history.h"
#include "core/core_int.h"
#include "base/xalloc.h"

/* Owners are user ids: an anonymous caller ("" or NULL) has no history. */
static bool owner_ok(const char *owner)
{
	return owner && owner[0];
}

enum mtag_err core_history_jobs(struct core *c, struct arena *a, const char *owner,
				const struct store_job_filter *f, size_t limit, size_t offset,
				struct store_job **out, size_t *n, size_t *total)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_job_list(c->store, a, owner, f, limit, offset, out, n, total);
}

enum mtag_err core_history_job(struct core *c, struct arena *a, const char *owner, const char *id,
			       size_t limit, size_t offset, struct store_job *job,
			       struct store_document **docs, size_t *n)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_job_page(c->store, a, id, owner, limit, offset, job, docs, n);
}

enum mtag_err core_history_documents(struct core *c, struct arena *a, const char *owner,
				     const struct store_doc_filter *f, size_t limit, size_t offset,
				     struct store_document **out, size_t *n, size_t *total)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_document_list(c->store, a, owner, f, limit, offset, out, n, total);
}

enum mtag_err core_history_search(struct core *c, struct arena *a, const char *owner,
				  const char *query, const struct store_doc_filter *f, size_t limit,
				  size_t offset, struct store_hit **out, size_t *n, size_t *total)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_document_search(c->store, a, owner, query, f, limit, offset, out, n, total);
}

enum mtag_err core_history_document(struct core *c, struct arena *a, const char *owner,
				    const char *id, struct store_document *out)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_document_get(c->store, a, id, owner, out);
}

enum mtag_err core_history_delete_document(struct core *c, const char *owner, const char *id)
{
	struct arena a = ARENA_INIT;
	const char *key = NULL;
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	enum mtag_err e = store_document_delete(c->store, &a, id, owner, clock_now_us(), &key);
	if (!e && key) {
		core_delete_files(c, &key, 1, "document");
	}
	arena_release(&a);
	return e;
}

enum mtag_err core_history_tags(struct core *c, struct arena *a, const char *owner,
				const char *prefix, size_t limit, struct store_tag_count **out,
				size_t *n)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_tag_counts(c->store, a, owner, prefix, limit, out, n);
}

enum mtag_err core_history_stats(struct core *c, const char *owner, struct store_stats *out)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	return store_stats(c->store, owner, clock_now_us(), out);
}

struct export {
	FILE *f;
	bool json, with_text;
	size_t count;
};

/* One CSV field, quoted; a leading = + - @ tab or CR is defused for spreadsheets (OWASP). */
static void csv_field(FILE *f, const char *v, bool last)
{
	fputc('"', f);
	if (v && v[0] && strchr("=+-@\t\r", v[0]))
		fputc('\'', f);
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputs(last ? "\"\r\n" : "\",", f);
}

/* "a; b; c" from a JSON array of strings. */
static char *tags_joined(const char *json)
{
	json_error_t jerr;
	json_t *arr = json ? json_loads(json, 0, &jerr) : NULL, *t;
	size_t i, len = 0;
	char *out = xstrdup("");
	json_array_foreach(arr, i, t) {
		const char *s = json_string_value(t);
		if (!s)
			continue;
		size_t n = strlen(s);
		out = xrealloc(out, len + n + 3);
		if (len) {
			memcpy(out + len, "; ", 2);
			len += 2;
		}
		memcpy(out + len, s, n + 1);
		len += n;
	}
	json_decref(arr);
	return out;
}

static enum mtag_err export_row(const struct store_document *d, void *ctx)
{
	struct export *x = ctx;
	char iso[CLOCK_ISO_LEN], pages[16];
	const char *processed = d->processed_at ? clock_format_iso(d->processed_at, iso) : "";
	if (x->json) {
		json_error_t jerr;
		json_t *tags = d->tags ? json_loads(d->tags, 0, &jerr) : NULL;
		json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:s?, s:o, s:o, s:s?}", "id", d->id,
				      "title", d->title, "source", d->source_url ? d->source_url : d->filename,
				      "status", d->status, "language", d->language, "pages",
				      d->page_count ? json_integer(d->page_count) : json_null(), "tags",
				      tags ? tags : json_array(), "processed_at", d->processed_at ? processed : NULL);
		if (x->with_text)
			json_object_set_new(o, "text", d->extracted_text ? json_string(d->extracted_text) : json_null());
		/* Straight to the file: a text of 10 MB is not copied once more. */
		fputs(x->count ? ",\n" : "[\n", x->f);
		int failed = json_dumpf(o, x->f, JSON_COMPACT);
		json_decref(o);
		if (failed)
			return ERR_IO;
	} else {
		char *tags = tags_joined(d->tags);
		snprintf(pages, sizeof(pages), "%d", d->page_count);
		csv_field(x->f, d->id, false);
		csv_field(x->f, d->title, false);
		csv_field(x->f, d->source_url ? d->source_url : d->filename, false);
		csv_field(x->f, d->status, false);
		csv_field(x->f, d->language, false);
		csv_field(x->f, d->page_count ? pages : "", false);
		csv_field(x->f, tags, false);
		csv_field(x->f, processed, !x->with_text);
		if (x->with_text)
			csv_field(x->f, d->extracted_text, true);
		free(tags);
	}
	x->count++;
	return ferror(x->f) ? ERR_IO : ERR_OK;
}

enum mtag_err core_history_export(struct core *c, struct arena *a, const char *owner, bool json,
				  bool with_text, const char **path, struct core_failure *f)
{
	if (!owner_ok(owner))
		return ERR_UNAUTHORIZED;
	char key[64];
	snprintf(key, sizeof(key), "export:user:%s", owner);
	enum mtag_err rl = core_rate_check(c, key, CORE_EXPORTS_PER_MINUTE, f);
	if (rl) {
		f->detail = "too many exports; try again later";
		return rl;
	}
	char *p;
	int fd = tempfile_create(a, "export", &p);
	if (fd < 0)
		return ERR_IO;
	struct export x = { fdopen(fd, "w"), json, with_text, 0 };
	if (!x.f) {
		close(fd);
		unlink(p);
		return ERR_IO;
	}
	if (!json)
		fputs(with_text ? "id,title,source,status,language,pages,tags,processed_at,text\r\n"
				: "id,title,source,status,language,pages,tags,processed_at\r\n", x.f);
	enum mtag_err e = store_document_each(c->store, owner, with_text, export_row, &x);
	if (json)
		fputs(x.count ? "\n]\n" : "[]\n", x.f);
	if (fclose(x.f) != 0 && !e)
		e = ERR_IO;
	if (e) {
		unlink(p);
		return e;
	}
	*path = p;
	return ERR_OK;
}
