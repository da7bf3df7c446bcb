/*
 * api.h - the JSON API: the route table and its handlers.
 *
 * Every route is declared in routes.c with its method, path, handler and
 * authentication requirement; the handlers live in one file per resource
 * (api_health.c, ...). Handlers are thin: they validate input, call core/,
 * and shape the JSON. They find the core in req->app. Thread-safe as core is.
 */
#ifndef MTAG_API_H
#define MTAG_API_H

#include <stddef.h>

#include "http/http.h"

/* What a route requires of the caller; the guard enforces it. */
enum api_auth {
	API_AUTH_NONE, /* public */
};

/* The route table. OUT: *n, its length. */
const struct http_route *api_routes(size_t *n);

/* Handlers, one group per resource file. */
void api_health(struct http_request *req, struct http_response *res);
void api_openapi(struct http_request *req, struct http_response *res);

#endif
