/*
 * http_router.c - matching a request against the route table.
 *
 * A pattern is a '/'-separated list of segments; "{name}" matches one
 * non-empty path segment, anything else must equal the segment exactly.
 * req->path is the raw path as sent (percent-encoded): each segment is
 * percent-decoded before it is compared or stored, so "/api/x/%2F" can never
 * pass a "/" into a parameter and "//" is an empty segment that no "{name}"
 * matches. A trailing slash is not special ("/health/" is not "/health").
 * Where patterns of different shapes match a path, the one with a literal
 * segment first, counting from the left, takes it, whatever the method:
 * "/documents/search" is GET search's, so DELETE there is a 405, not the
 * deletion of a document named "search".
 *
 * Everything it allocates (decoded segments, parameter values, the Allow
 * list) lives in req->arena. Stateless otherwise: thread-safe as long as
 * each request is used by one thread.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"
#include "base/xalloc.h"

/* One path segment, percent-decoded; valid is false for a bad %-escape or a NUL. */
struct seg {
	const char *text;
	size_t len;
	bool valid;
};

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into the arena. OUT: *seg. */
static void decode_segment(struct arena *a, const char *s, size_t n, struct seg *seg)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;
	seg->valid = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				seg->valid = false;
				break;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0') {
			seg->valid = false;
			break;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	seg->text = out;
	seg->len = o;
}

/* Split the raw path (after its leading '/') into decoded segments. OUT: *nsegs. */
static struct seg *split_path(struct arena *a, const char *path, size_t *nsegs)
{
	size_t n = 1;
	for (const char *p = path + 1; *p; p++)
		n += *p == '/';
	struct seg *segs = arena_calloc(a, n, sizeof(*segs));
	const char *start = path + 1;
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(start, '/');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		decode_segment(a, start, len, &segs[i]);
		start += len + 1;
	}
	*nsegs = n;
	return segs;
}

/* True when the pattern segment pat[0..len) is "{name}" (a non-empty name). */
static bool is_param(const char *pat, size_t len)
{
	return len > 2 && pat[0] == '{' && pat[len - 1] == '}';
}

/* A pattern's shape: bit i set when its segment i is a parameter (the first 64). */
static uint64_t param_bits(const char *pattern)
{
	uint64_t bits = 0;
	const char *p = pattern[0] == '/' ? pattern + 1 : pattern;
	for (int i = 0; i < 64; i++) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (is_param(p, len))
			bits |= (uint64_t)1 << i;
		if (!end)
			break;
		p = end + 1;
	}
	return bits;
}

/* Whether shape a takes a path from shape b: literal at the first segment they differ. */
static bool shape_first(uint64_t a, uint64_t b)
{
	uint64_t differ = a ^ b;
	return differ && !(a & (differ & -differ));
}

/*
 * Match pattern against the decoded segments. OUT: params (values borrowed
 * from segs, names from the pattern in the arena) and *nparams.
 */
static bool match_pattern(struct arena *a, const char *pattern, const struct seg *segs,
			  size_t nsegs, struct http_param *params, size_t *nparams)
{
	if (pattern[0] != '/')
		return false;
	const char *p = pattern + 1;
	size_t np = 0;
	for (size_t i = 0; i < nsegs; i++) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!segs[i].valid)
			return false;
		if (is_param(p, len)) {
			if (segs[i].len == 0 || memchr(segs[i].text, '/', segs[i].len))
				return false;
			assert(np < HTTP_MAX_PARAMS && "route pattern has too many parameters");
			if (np >= HTTP_MAX_PARAMS)
				return false;
			params[np].name = arena_strndup(a, p + 1, len - 2);
			params[np].value = segs[i].text;
			np++;
		} else if (segs[i].len != len || memcmp(segs[i].text, p, len) != 0) {
			return false;
		}
		/* The pattern must end exactly where the path does. */
		if ((i + 1 < nsegs) != (end != NULL))
			return false;
		p = end ? end + 1 : p + len;
	}
	*nparams = np;
	return true;
}

/* Append method to the comma-separated list in *allow unless it is there already. */
static void allow_add(struct arena *a, const char **allow, const char *method)
{
	if (!*allow) {
		*allow = arena_strdup(a, method);
		return;
	}
	size_t mlen = strlen(method);
	for (const char *p = *allow; p;) {
		const char *end = strstr(p, ", ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == mlen && memcmp(p, method, mlen) == 0)
			return;
		p = end ? end + 2 : NULL;
	}
	*allow = arena_printf(a, "%s, %s", *allow, method);
}

enum mtag_err http_route_match(const struct http_route *routes, size_t nroutes,
			       struct http_request *req, const struct http_route **route,
			       const char **allow)
{
	*route = NULL;
	*allow = NULL;
	req->nparams = 0;
	if (!req->path || req->path[0] != '/' || !req->method)
		return ERR_NOT_FOUND;

	size_t nsegs;
	struct seg *segs = split_path(req->arena, req->path, &nsegs);
	struct http_param params[HTTP_MAX_PARAMS];
	bool path_known = false;
	uint64_t shape = 0;
	for (size_t i = 0; i < nroutes; i++) {
		size_t np = 0;
		uint64_t bits = param_bits(routes[i].pattern);
		if ((path_known && !shape_first(bits, shape)) ||
		    !match_pattern(req->arena, routes[i].pattern, segs, nsegs, params, &np))
			continue;
		path_known = true;
		shape = bits;
	}
	path_known = false;
	for (size_t i = 0; i < nroutes; i++) {
		size_t np = 0;
		if (param_bits(routes[i].pattern) != shape ||
		    !match_pattern(req->arena, routes[i].pattern, segs, nsegs, params, &np))
			continue;
		/* HEAD is GET without the body (MHD leaves the body out). */
		if (strcmp(routes[i].method, req->method) == 0 ||
		    (!strcmp(req->method, "HEAD") && !strcmp(routes[i].method, "GET"))) {
			memcpy(req->params, params, np * sizeof(params[0]));
			req->nparams = np;
			req->route = &routes[i];
			*route = &routes[i];
			*allow = NULL;
			return ERR_OK;
		}
		path_known = true;
		allow_add(req->arena, allow, routes[i].method);
		if (!strcmp(routes[i].method, "GET"))
			allow_add(req->arena, allow, "HEAD");
	}
	return path_known ? ERR_METHOD_NOT_ALLOWED : ERR_NOT_FOUND;
}
