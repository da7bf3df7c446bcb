#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "base/utf8.h"
#include "base/xalloc.h"

static void decref_cleanup(void *v)
{
	json_decref(v);
}

json_t *jsonx_own(struct arena *a, json_t *v)
{
	if (v)
		arena_cleanup_add(a, decref_cleanup, v);
	return v;
}

enum mtag_err jsonx_parse(struct arena *a, const char *data, size_t len,
			  json_t **out, const char **detail)
{
	json_error_t jerr;
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v) {
		/* jansson names its flag for a NUL ("... without JSON_ALLOW_NUL"): not the caller's business */
		const char *why = strstr(jerr.text, "JSON_ALLOW_NUL") ? "\\u0000 is not allowed in a string"
								 : jerr.text;
		*detail = arena_printf(a, "malformed JSON at line %d column %d: %s",
				       jerr.line, jerr.column, why);
		return ERR_BAD_REQUEST;
	}
	*out = v;
	return ERR_OK;
}

char *jsonx_dump(struct arena *a, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(JSONX_REAL_DIGITS));
	if (!s)
		return arena_strdup(a, "null");
	char *r = arena_strdup(a, s);
	free(s);
	return r;
}

/* The field's value, or NULL when absent or null; ERR_VALIDATION when required. */
static enum mtag_err field(struct arena *a, const json_t *obj, const char *key,
			   bool required, json_t **out, const char **detail)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (v && json_is_null(v))
		v = NULL;
	*out = v;
	if (!v && required) {
		*detail = arena_printf(a, "%s: field required", key);
		return ERR_VALIDATION;
	}
	return ERR_OK;
}

enum mtag_err jsonx_get_string(struct arena *a, const json_t *obj, const char *key,
			       bool required, size_t max_len, const char **out,
			       const char **detail)
{
	json_t *v;
	enum mtag_err e = field(a, obj, key, required, &v, detail);
	if (e || !v)
		return e;
	if (!json_is_string(v)) {
		*detail = arena_printf(a, "%s: must be a string", key);
		return ERR_VALIDATION;
	}
	size_t len = json_string_length(v);
	if (len > max_len) {
		*detail = arena_printf(a, "%s: must be at most %zu characters", key, max_len);
		return ERR_VALIDATION;
	}
	*out = arena_strndup(a, json_string_value(v), len);
	return ERR_OK;
}

enum mtag_err jsonx_get_int(struct arena *a, const json_t *obj, const char *key,
			    bool required, int64_t min, int64_t max, int64_t *out,
			    const char **detail)
{
	json_t *v;
	enum mtag_err e = field(a, obj, key, required, &v, detail);
	if (e || !v)
		return e;
	if (!json_is_integer(v)) {
		*detail = arena_printf(a, "%s: must be an integer", key);
		return ERR_VALIDATION;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		*detail = arena_printf(a, "%s: must be between %lld and %lld", key,
				       (long long)min, (long long)max);
		return ERR_VALIDATION;
	}
	*out = n;
	return ERR_OK;
}

enum mtag_err jsonx_get_bool(struct arena *a, const json_t *obj, const char *key,
			     bool required, bool *out, const char **detail)
{
	json_t *v;
	enum mtag_err e = field(a, obj, key, required, &v, detail);
	if (e || !v)
		return e;
	if (!json_is_boolean(v)) {
		*detail = arena_printf(a, "%s: must be true or false", key);
		return ERR_VALIDATION;
	}
	*out = json_is_true(v);
	return ERR_OK;
}

json_t *jsonx_string_lossy(const char *s)
{
	if (!s)
		return json_null();
	json_t *v = json_string(s);
	if (v)
		return v;
	size_t n = strlen(s), o = 0;
	char *clean = xmalloc(3 * n + 1); /* a bad byte becomes 3 */
	for (size_t i = 0; i < n;) {
		size_t len;
		unsigned cp = utf8_get(s + i, n - i, &len);
		o += utf8_put(clean + o, cp == UTF8_BAD ? 0xFFFD : cp);
		i += len;
	}
	v = json_stringn(clean, o);
	free(clean);
	return v;
}
