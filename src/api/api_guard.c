/*
 * api_guard.c - who is calling: the bearer token checked against its
 * session (api_guard), and the client's address and user agent.
 */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "base/netaddr.h"
#include "core/core.h"
#include "base/xalloc.h"

#define XFF_MAX_HOPS 16

/* The token of "Authorization: Bearer <token>" without the white space around it, or NULL. */
static const char *bearer_token(struct http_request *req)
{
	const char *h = http_header(req, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return n ? arena_strndup(req->arena, h, n) : NULL;
}

static bool unauthorized(struct http_response *res, enum mtag_err e, const char *detail)
{
	if (e == ERR_UNAUTHORIZED)
		http_set_header(res, "WWW-Authenticate", "Bearer");
	http_respond_error(res, e, detail);
	return false;
}

bool api_guard(const struct http_route *route, struct http_request *req,
	       struct http_response *res)
{
	if (route->auth == API_AUTH_NONE)
		return true;
	const char *token = bearer_token(req);
	if (!token) {
		if (route->auth == API_AUTH_OPTIONAL)
			return true;
		return unauthorized(res, ERR_UNAUTHORIZED, "authentication is required: send Authorization: Bearer <access token>");
	}
	struct core_identity *id = arena_alloc(req->arena, sizeof(*id));
	enum mtag_err e = core_auth_authenticate(req->app, req->arena, token, id);
	if (e)
		return unauthorized(res, e, e == ERR_UNAUTHORIZED ? "invalid or expired token" : NULL);
	req->user = id;
	return true;
}

const struct core_identity *api_identity(const struct http_request *req)
{
	return req->user;
}

const char *api_owner(const struct http_request *req)
{
	const struct core_identity *id = req->user;
	return id ? id->user.id : "";
}

/*
 * Walk X-Forwarded-For from the right: each hop appended by a trusted proxy
 * is skipped; the first address not trusted is the client.
 */
static const char *forwarded_client(struct http_request *req, const struct netaddr_list *trusted,
				    const char *xff)
{
	char *copy = arena_strdup(req->arena, xff);
	const char *client = NULL;
	for (int hops = 0; hops < XFF_MAX_HOPS; hops++) {
		char *comma = strrchr(copy, ',');
		char *item = comma ? comma + 1 : copy;
		while (*item == ' ')
			item++;
		size_t len = strlen(item);
		while (len && item[len - 1] == ' ')
			item[--len] = '\0';
		unsigned char bytes[16];
		if (!netaddr_parse(item, bytes))
			break;
		client = item;
		if (!netaddr_list_contains(trusted, item) || !comma)
			break;
		*comma = '\0';
	}
	return client;
}

const char *api_client_ip(struct http_request *req)
{
	struct core_client cl;
	api_client(req, &cl);
	return cl.ip;
}

void api_client(struct http_request *req, struct core_client *out)
{
	const struct core *c = req->app;
	out->ip = req->remote_addr;
	out->user_agent = http_header(req, "User-Agent");
	const char *xff = http_header_list(req, "X-Forwarded-For");
	if (xff && netaddr_list_contains(&c->trusted_proxies, req->remote_addr)) {
		const char *fwd = forwarded_client(req, &c->trusted_proxies, xff);
		if (fwd)
			out->ip = fwd;
	}
}
