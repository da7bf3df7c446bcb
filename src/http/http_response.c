/*
 * http_response.c - filling struct http_response: headers, JSON, bytes and
 * the error body {"detail": ..., "code": ...}.
 *
 * Nothing here talks to libmicrohttpd: the server turns the filled struct
 * into a response once the handler returns (an event stream's answer is
 * made in http_stream.c). Strings are copied into (or dumped into)
 * res->arena, which lives until the response has been sent.
 * Thread-safety: a response is used by one thread at a time.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "base/jsonx.h"
#include "base/log.h"
#include "http/http.h"
#include "http_int.h"
#include "base/xalloc.h"

/* Longest field name taken from a validation detail "<field>: ...". */
#define FIELD_MAX 64

void http_set_header(struct http_response *res, const char *name, const char *value)
{
	if (!name || !value || res->nheaders >= HTTP_MAX_HEADERS) {
		log_warn("http.header_dropped", "name=%s", name ? name : "(null)");
		return;
	}
	/* A CR or LF would let a value start a header (or a body) of its own. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
		log_warn("http.header_dropped", "name=%s reason=newline", name);
		return;
	}
	res->headers[res->nheaders].name = arena_strdup(res->arena, name);
	res->headers[res->nheaders].value = arena_strdup(res->arena, value);
	res->nheaders++;
}

void http_respond_bytes(struct http_response *res, int status, const char *content_type,
			const char *data, size_t len)
{
	http_stream_drop(res); /* a stream answer set earlier is replaced (http_stream.c) */
	res->status = status;
	res->content_type = content_type;
	res->body = data;
	res->body_len = data ? len : 0;
	res->file_path = NULL;
}

void http_respond_file(struct http_response *res, int status, const char *content_type,
		       const char *path)
{
	http_respond_bytes(res, status, content_type, NULL, 0);
	res->file_path = arena_strdup(res->arena, path);
}

void http_respond_json(struct http_response *res, int status, const json_t *v)
{
	char *text = jsonx_dump(res->arena, v);
	http_respond_bytes(res, status, "application/json", text, strlen(text));
}

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
static json_t *json_text(struct arena *a, const char *s)
{
	json_t *v = json_string(s);
	if (v)
		return v;
	char *copy = arena_strdup(a, s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(copy);
}

/* The field named by a validation detail "<field>: ...", or NULL. */
static const char *detail_field(struct arena *a, const char *detail)
{
	size_t n = 0;
	for (; detail[n] && n <= FIELD_MAX; n++) {
		char c = detail[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
			  c == '[' || c == ']';
		if (!ok)
			break;
	}
	if (n == 0 || n > FIELD_MAX || detail[n] != ':' || detail[n + 1] != ' ')
		return NULL;
	return arena_strndup(a, detail, n);
}

void http_respond_error(struct http_response *res, enum mtag_err e, const char *detail)
{
	if (e <= ERR_OK || e >= ERR__COUNT) {
		log_error("http.bad_error", "err=%d", (int)e);
		e = ERR_INTERNAL;
	}
	int status = err_http_status(e);
	if (status == 500 && detail) {
		/* ERR_INTERNAL, ERR_IO: internals go to the log, never to the client. */
		char q[512];
		log_error("http.internal_error", "code=%s detail=%s", err_name(e),
			  log_quote(q, sizeof(q), detail));
		detail = NULL;
	}
	if (!detail)
		detail = err_detail(e);

	json_t *body = json_object();
	json_object_set_new(body, "detail", json_text(res->arena, detail));
	json_object_set_new(body, "code", json_string(err_name(e)));
	const char *field = e == ERR_VALIDATION ? detail_field(res->arena, detail) : NULL;
	if (field)
		json_object_set_new(body, "field", json_string(field));
	http_respond_json(res, status, body);
	json_decref(body);
}

void http_respond_errorf(struct http_response *res, enum mtag_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *detail = arena_vprintf(res->arena, fmt, ap);
	va_end(ap);
	http_respond_error(res, e, detail);
}
