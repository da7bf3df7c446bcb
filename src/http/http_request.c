/*
 * http_request.c - reading a request: headers, query arguments, path
 * parameters, multipart form fields and the JSON body.
 *
 * Headers and query arguments come from libmicrohttpd (req->conn_, the
 * MHD connection) and stay valid until the response has been sent; without
 * a connection (unit tests) they are absent. Parsed JSON is owned by
 * req->arena. Only the thread handling the request may call these.
 *
 * Also what the server reads of a connection before there is a request
 * struct to read it through (http_int.h): the peer's address, the request
 * id, the announced body size.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/jsonx.h"
#include "base/random.h"
#include "http/http.h"
#include "http_int.h"
#include "base/xalloc.h"

const char *http_peer_address(struct arena *a, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return "-";
	const struct sockaddr *sa = ci->client_addr;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);
	char host[NI_MAXHOST];
	if (getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return "-";
	return arena_strdup(a, host);
}

/* True for 1-64 characters of [A-Za-z0-9._-]. */
static bool request_id_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= HTTP_RID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

void http_request_id(struct MHD_Connection *conn, char out[HTTP_RID_MAX + 1])
{
	const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	if (given && request_id_valid(given))
		snprintf(out, HTTP_RID_MAX + 1, "%s", given);
	else
		random_hex(out, 16);
}

bool http_announced_over(struct MHD_Connection *conn, uint64_t max)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (!cl)
		return false;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(cl, &end, 10);
	if (end == cl)
		return false; /* MHD itself refuses a malformed Content-Length */
	return errno == ERANGE || n > max;
}

const char *http_header(struct http_request *req, const char *name)
{
	if (!req->conn_ || !name)
		return NULL;
	return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

struct header_list {
	const char *name;
	struct buf b;
};

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct header_list *hl = cls;
	(void)kind;
	if (key && value && !strcasecmp(key, hl->name)) {
		if (hl->b.len)
			buf_puts(&hl->b, ", ");
		buf_puts(&hl->b, value);
	}
	return MHD_YES;
}

const char *http_header_list(struct http_request *req, const char *name)
{
	if (!req->conn_ || !name)
		return NULL;
	/* bounded: the request's headers fit the connection's pool (16 KiB) */
	struct header_list hl = { name, BUF_INIT(64 * 1024) };
	MHD_get_connection_values(req->conn_, MHD_HEADER_KIND, join_header, &hl);
	const char *out = hl.b.len ? arena_strdup(req->arena, buf_cstr(&hl.b)) : NULL;
	buf_release(&hl.b);
	return out;
}

const char *http_query(struct http_request *req, const char *name)
{
	if (!req->conn_ || !name)
		return NULL;
	const char *value = NULL;
	size_t len = 0;
	if (MHD_lookup_connection_value_n(req->conn_, MHD_GET_ARGUMENT_KIND, name, strlen(name),
					  &value, &len) != MHD_YES)
		return NULL;
	/* "?flag" (no '=') is present with an empty value. */
	return value ? value : "";
}

struct query_nul {
	struct arena *a;
	const char *name;
};

static enum MHD_Result find_nul(void *cls, enum MHD_ValueKind kind, const char *key,
				size_t key_size, const char *value, size_t value_size)
{
	struct query_nul *q = cls;
	(void)kind;
	if (memchr(key, '\0', key_size) || (value && memchr(value, '\0', value_size))) {
		q->name = arena_strdup(q->a, key);
		return MHD_NO;
	}
	return MHD_YES;
}

const char *http_query_nul(struct arena *a, struct MHD_Connection *conn)
{
	struct query_nul q = { a, NULL };
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_nul, &q);
	return q.name;
}

struct query_all {
	struct http_request *req;
	const char *name;
	const char **out;
	size_t max, n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct query_all *q = cls;
	(void)kind;
	if (key && !strcmp(key, q->name) && q->n < q->max)
		q->out[q->n++] = arena_strdup(q->req->arena, value ? value : "");
	return MHD_YES;
}

size_t http_query_all(struct http_request *req, const char *name, const char **out, size_t max)
{
	struct query_all q = { req, name, out, max, 0 };
	if (req->conn_)
		MHD_get_connection_values(req->conn_, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
	return q.n;
}

const char *http_cookie(struct http_request *req, const char *name)
{
	if (!req->conn_ || !name)
		return NULL;
	return MHD_lookup_connection_value(req->conn_, MHD_COOKIE_KIND, name);
}

const char *http_param(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

const char *http_form_field(const struct http_request *req, const char *name)
{
	if (!req->form || !name)
		return NULL;
	for (size_t i = 0; i < req->form->nfields; i++)
		if (strcmp(req->form->fields[i].name, name) == 0)
			return req->form->fields[i].value;
	return NULL;
}

bool http_media_is(const char *content_type, const char *media)
{
	if (!content_type)
		return false;
	const char *semi = strchr(content_type, ';');
	struct slice type = { content_type, semi ? (size_t)(semi - content_type)
						 : strlen(content_type) };
	return slice_eq_cstr_nocase(slice_trim(type), media);
}

enum mtag_err http_json_body(struct http_request *req, json_t **out, const char **detail)
{
	*out = NULL;
	if (!http_media_is(http_header(req, "Content-Type"), "application/json")) {
		*detail = "the body must be JSON (Content-Type: application/json)";
		return ERR_UNSUPPORTED_TYPE;
	}
	if (req->body.len == 0) {
		*detail = "the request body is empty";
		return ERR_BAD_REQUEST;
	}
	json_t *v = NULL;
	enum mtag_err e = jsonx_parse(req->arena, req->body.ptr, req->body.len, &v, detail);
	if (e)
		return e;
	jsonx_own(req->arena, v);
	if (!json_is_object(v)) {
		*detail = "body must be a JSON object";
		return ERR_VALIDATION;
	}
	*out = v;
	return ERR_OK;
}
