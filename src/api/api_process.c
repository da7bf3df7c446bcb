/*
 * api_process.c - the /api/process endpoints: process one URL now, upload
 * files (one processed now, several in the background).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/jsonx.h"
#include "base/utf8.h"
#include "core/core.h"
#include "core/core_documents.h"
#include "core/core_process.h"
#include "base/xalloc.h"

#define URL_FIELD_MAX 8192
#define FILENAME_MAX_BYTES 255

/* languages: a list of ISO 639-1 codes (or one string "en,fr" in a form). */
static bool parse_language(struct arena *a, const char *s, size_t n, struct core_process_options *o)
{
	if (n != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' ||
	    o->nlanguages == CORE_MAX_LANGUAGES)
		return false;
	o->languages[o->nlanguages++] = arena_strndup(a, s, 2);
	return true;
}

/* Read languages and max_tags from a JSON body; answers 422 itself. */
bool api_json_options(struct http_request *req, struct http_response *res, json_t *body,
			 struct core_process_options *o)
{
	const char *detail;
	int64_t max_tags = 10;
	json_t *langs = json_object_get(body, "languages"), *l;
	size_t i;
	if (langs && !json_is_null(langs)) {
		if (!json_is_array(langs)) {
			http_respond_error(res, ERR_VALIDATION, "languages: must be a list of ISO 639-1 codes such as [\"en\", \"fr\"]");
			return false;
		}
		json_array_foreach(langs, i, l) {
			if (!json_is_string(l) || !parse_language(req->arena, json_string_value(l),
								  json_string_length(l), o)) {
				http_respond_error(res, ERR_VALIDATION, "languages: must be a list of at most 16 ISO 639-1 codes such as [\"en\", \"fr\"]");
				return false;
			}
		}
	}
	if (jsonx_get_int(req->arena, body, "max_tags", false, 1, 100, &max_tags, &detail)) {
		http_respond_error(res, ERR_VALIDATION, detail);
		return false;
	}
	o->max_tags = (int)max_tags;
	return true;
}

/* The seed's answer: tags, text, metadata, ids; a failed document is 422 with its reason. */
static void respond_document(struct http_request *req, struct http_response *res,
			     const struct core_document *d)
{
	json_t *o;
	if (!strcmp(d->status, "failed")) {
		o = json_pack("{s:s, s:s, s:s, s:s}", "detail", d->error, "code",
			      err_name(ERR_VALIDATION), "job_id", d->job_id, "document_id", d->document_id);
		http_respond_json(res, err_http_status(ERR_VALIDATION), jsonx_own(req->arena, o));
		return;
	}
	json_t *tags = json_array();
	for (size_t i = 0; i < d->ntags; i++)
		json_array_append_new(tags, json_string(d->tags[i]));
	json_t *meta = NULL;
	const char *detail;
	if (jsonx_parse(req->arena, d->metadata, strlen(d->metadata), &meta, &detail))
		meta = json_object();
	o = json_pack("{s:o, s:s, s:o, s:s, s:s, s:s}", "tags", tags, "extracted_text", d->text,
		      "metadata", meta, "job_id", d->job_id, "document_id", d->document_id, "status",
		      d->status);
	http_respond_json(res, 200, jsonx_own(req->arena, o));
}

/* A document processed at once that could not be recorded: why, in words. */
static void respond_process_error(struct http_response *res, enum mtag_err e,
				  const struct core_document *d)
{
	if (e == ERR_RATE_LIMITED)
		http_set_header(res, "Retry-After", "20");
	http_respond_error(res, e, e == ERR_UNAVAILABLE ? "storage or database unavailable; try again later"
				   : e == ERR_RATE_LIMITED ? d->error
				   : e == ERR_NOT_FOUND ? "the job, or its account, was deleted while its document was processed"
				   : NULL);
}

void api_process_single(struct http_request *req, struct http_response *res)
{
	json_t *body;
	const char *detail, *url = NULL;
	struct core_process_options o;
	struct core_document d;
	core_process_options_init(&o);
	enum mtag_err e = http_json_body(req, &body, &detail);
	if (!e)
		e = jsonx_get_string(req->arena, body, "url", true, URL_FIELD_MAX, &url, &detail);
	if (e)
		return http_respond_error(res, e, detail);
	if (!api_json_options(req, res, body, &o))
		return;
	e = core_process_url(req->app, req->arena, api_owner(req), api_client_ip(req), url, &o, &d);
	if (e)
		return respond_process_error(res, e, &d);
	respond_document(req, res, &d);
}

/*
 * A file name as sent, made safe to show and store as metadata: the last
 * path segment, control characters dropped, a byte that is not UTF-8 as '?',
 * at most 255 bytes of whole characters; NULL when nothing is left. Storage
 * keys never use it.
 */
static const char *sanitise_filename(struct arena *a, const char *name)
{
	if (!name)
		return NULL;
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	char *out = arena_alloc(a, strlen(base) + 1);
	size_t n = 0, len = strlen(base), step;
	/* Control characters dropped; a byte that is not UTF-8 (a Latin-1 name) is '?'. */
	for (size_t i = 0; i < len && n < FILENAME_MAX_BYTES; i += step) {
		unsigned cp = utf8_get(base + i, len - i, &step);
		if (cp == UTF8_BAD) {
			out[n++] = '?';
		} else if (cp >= 0x20 && cp != 0x7f) {
			if (n + step > FILENAME_MAX_BYTES)
				break; /* whole characters only */
			memcpy(out + n, base + i, step);
			n += step;
		}
	}
	out[n] = '\0';
	if (!n || !strcmp(out, ".") || !strcmp(out, ".."))
		return NULL;
	return out;
}

/* languages ("en,fr") and max_tags of a form; answers 422 itself. */
bool api_form_options(struct http_request *req, struct http_response *res,
			 struct core_process_options *o)
{
	/* The parser keeps any part with a filename or a type as a file: only "file" and
	 * "files" may be files (max_tags sent as one would be a document, its value lost). */
	for (size_t i = 0; req->form && i < req->form->nfiles; i++) {
		const char *field = req->form->files[i].field;
		if (strcmp(field, "file") && strcmp(field, "files")) {
			http_respond_errorf(res, ERR_VALIDATION, "%s: must be a text field, not a file",
					    field);
			return false;
		}
	}
	const char *langs = http_form_field(req, "languages");
	const char *mt = http_form_field(req, "max_tags");
	for (const char *p = langs; p && *p;) {
		size_t n = strcspn(p, ", ");
		if (n && !parse_language(req->arena, p, n, o)) {
			http_respond_error(res, ERR_VALIDATION, "languages: must be ISO 639-1 codes separated by commas, such as en,fr");
			return false;
		}
		p += n;
		p += strspn(p, ", ");
	}
	if (mt) {
		char *end;
		long v = strtol(mt, &end, 10);
		if (!mt[0] || *end || v < 1 || v > 100) {
			http_respond_error(res, ERR_VALIDATION, "max_tags: must be between 1 and 100");
			return false;
		}
		o->max_tags = (int)v;
	}
	return true;
}

void api_process_upload(struct http_request *req, struct http_response *res)
{
	struct http_form *f = req->form;
	struct core_process_options o;
	core_process_options_init(&o);
	if (!f || f->nfiles == 0)
		return http_respond_error(res, ERR_VALIDATION, "files: at least one file is required");
	if (!api_form_options(req, res, &o))
		return;
	if (f->nfiles == 1) {
		struct core_document d;
		enum mtag_err e = core_process_file(req->app, req->arena, api_owner(req), api_client_ip(req),
						    f->files[0].path,
						    sanitise_filename(req->arena, f->files[0].filename),
						    &o, &d);
		if (e)
			return respond_process_error(res, e, &d);
		return respond_document(req, res, &d);
	}
	struct core_upload *ups = arena_calloc(req->arena, f->nfiles, sizeof(*ups));
	for (size_t i = 0; i < f->nfiles; i++) {
		ups[i].path = f->files[i].path;
		ups[i].filename = sanitise_filename(req->arena, f->files[i].filename);
	}
	char job_id[UUID_STR_LEN], err[512] = "";
	enum mtag_err e = core_submit_upload(req->app, req->arena, api_owner(req), api_client_ip(req),
					     ups, f->nfiles, &o, job_id, err, sizeof(err));
	if (e)
		return api_respond_submit_error(res, e, err);
	json_t *o2 = json_pack("{s:s, s:s, s:i}", "job_id", job_id, "status", "pending",
			       "total_documents", (int)f->nfiles);
	http_respond_json(res, 202, jsonx_own(req->arena, o2));
}

void api_document_download(struct http_request *req, struct http_response *res)
{
	const char *url;
	enum mtag_err e = core_download_url(req->app, req->arena, api_identity(req)->user.id,
					    http_param(req, "id"), &url);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "no such document, or it has no stored original");
	if (e)
		return http_respond_error(res, e, NULL);
	json_t *o = json_pack("{s:s, s:i}", "url", url, "expires_in", CORE_DOWNLOAD_TTL_S);
	/* A web page's fetch cannot follow a redirect to another origin (S3) and read the
	 * file: asking for JSON gets the link itself, for the page to open. */
	const char *accept = http_header(req, "Accept");
	if (accept && http_media_is(accept, "application/json"))
		return http_respond_json(res, 200, jsonx_own(req->arena, o));
	http_set_header(res, "Location", url);
	http_respond_json(res, 302, jsonx_own(req->arena, o));
}

void api_file(struct http_request *req, struct http_response *res)
{
	struct core_file f;
	const char *why;
	enum mtag_err e = core_download_file(req->app, req->arena, http_param(req, "id"),
					     http_query(req, "exp"), http_query(req, "sig"), &f, &why);
	if (e == ERR_FORBIDDEN)
		return http_respond_error(res, e, why);
	if (e == ERR_NOT_FOUND)
		return http_respond_error(res, e, "this document's original is gone");
	if (e)
		return http_respond_error(res, e, NULL);
	http_set_header(res, "Content-Disposition", f.disposition);
	/* An original is the user's bytes on our origin: an HTML file opened anyway (a
	 * browser that ignores the attachment) runs no script and reaches nothing. */
	http_set_header(res, "Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'");
	http_respond_file(res, 200, f.content_type, f.path);
}
