/*
 * api_health.c - GET /health and GET /api/openapi.json: what a load balancer
 * and an API client ask first.
 */
#include <jansson.h>

#include "api/api.h"
#include "base/embed.h"
#include "base/jsonx.h"
#include "core/core.h"
#include "base/xalloc.h"

extern const struct embed_file api_openapi_files[];

void api_health(struct http_request *req, struct http_response *res)
{
	struct core *core = req->app;
	struct core_health h;
	core_health(core, &h);
	json_t *body = jsonx_own(req->arena, json_object());
	json_object_set_new(body, "status", json_string(h.ok ? "ok" : "degraded"));
	json_object_set_new(body, "database", json_string(h.database_ok ? "ok" : "unavailable"));
	json_object_set_new(body, "database_driver", json_string(h.database));
	if (h.storage) {
		json_object_set_new(body, "storage", json_string(h.storage_ok ? "ok" : "unavailable"));
		json_object_set_new(body, "storage_driver", json_string(h.storage));
	}
	json_object_set_new(body, "version", json_string(MTAG_VERSION));
	if (!h.ok) {
		json_object_set_new(body, "detail",
				    json_string(!h.database_ok ? "the database cannot be reached"
							       : "the object storage cannot be reached"));
		json_object_set_new(body, "code", json_string(err_name(ERR_UNAVAILABLE)));
	}
	http_respond_json(res, h.ok ? 200 : err_http_status(ERR_UNAVAILABLE), body);
}

void api_openapi(struct http_request *req, struct http_response *res)
{
	(void)req;
	const struct embed_file *f = embed_find(api_openapi_files, "openapi.json");
	http_respond_bytes(res, 200, "application/json", (const char *)f->data, f->len);
}
