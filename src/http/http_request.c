/*
 * http_request.c - reading a request: headers, query arguments, path
 * parameters, multipart form fields and the JSON body.
 *
 * Headers and query arguments come from libmicrohttpd (req->conn_, the
 * MHD connection) and stay valid until the response has been sent; without
 * a connection (unit tests) they are absent. Parsed JSON is owned by
 * req->arena. Only the thread handling the request may call these.
 */
#include <microhttpd.h>
#include <string.h>

#include "base/buf.h"
#include "base/jsonx.h"
#include "http/http.h"
#include "base/xalloc.h"

const char *http_header(struct http_request *req, const char *name)
{
	if (!req->conn_ || !name)
		return NULL;
	return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
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
