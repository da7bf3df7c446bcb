/*
 * jsonx.h - helpers over jansson: parsing with our rules, dumping into
 * arenas, and typed field access that names the field on failure.
 *
 * json_t values are reference counted by jansson; jsonx_own() hands one
 * reference to an arena, which drops it at release. Thread-safe as jansson
 * is (distinct values on distinct threads).
 */
#ifndef MTAG_JSONX_H
#define MTAG_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

/*
 * Parse len bytes of JSON (duplicate keys rejected, any top-level value).
 * OUT: *out, a new reference. On ERR_BAD_REQUEST, *detail (arena) says where.
 */
enum mtag_err jsonx_parse(struct arena *a, const char *data, size_t len,
			  json_t **out, const char **detail);
/* Give one reference of v to the arena; returns v (NULL stays NULL). */
json_t *jsonx_own(struct arena *a, json_t *v);
/* Significant digits a real is written with: a score of 0.902 is 0.902, not the
 * 0.90200000000000002 of its double's 17. */
#define JSONX_REAL_DIGITS 9
/* Compact JSON text of v in the arena (keys in insertion order, reals to JSONX_REAL_DIGITS). */
char *jsonx_dump(struct arena *a, const json_t *v);
/* A JSON string of s (null for NULL), its bytes that are not UTF-8 as U+FFFD: a file's name need not be. */
json_t *jsonx_string_lossy(const char *s);

/*
 * Typed access to obj[key]. A missing key or JSON null gives the default
 * (ERR_OK) unless required; the wrong type, a missing required field or a
 * value out of range give ERR_VALIDATION with *detail (arena) naming the
 * field, e.g. "email: must be a string".
 */
enum mtag_err jsonx_get_string(struct arena *a, const json_t *obj, const char *key,
			       bool required, size_t max_len, const char **out,
			       const char **detail);
/* Integer field within [min, max]. */
enum mtag_err jsonx_get_int(struct arena *a, const json_t *obj, const char *key,
			    bool required, int64_t min, int64_t max, int64_t *out,
			    const char **detail);
/* Boolean field. */
enum mtag_err jsonx_get_bool(struct arena *a, const json_t *obj, const char *key,
			     bool required, bool *out, const char **detail);

#endif
