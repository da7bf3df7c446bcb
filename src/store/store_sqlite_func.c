/*
 * store_sqlite_func.c - SQL functions of ours on every SQLite connection:
 *
 * mtag_lower(text): text in lower case as base/utf8.c gives it (Unicode's
 * simple case mapping, a Greek word's last sigma as ς; SQLite's lower() folds
 * ASCII letters only), the key of a tag in user_tags (migrations 0013, 0017);
 * NULL for NULL.
 *
 * mtag_first_match(text, marks): store_snippet.c's.
 *
 * mtag_tags_all(tags, wanted): 1 when the JSON array tags (a document's)
 * holds every string of the JSON array wanted, both compared in lower case;
 * NULL when wanted is NULL.
 *
 * Why not json_each in SQL: a tag filter tests every candidate document,
 * and two correlated json_each scans cost ~4 µs a row (a tagged list at 1M
 * documents tested thousands). Here wanted is parsed once per statement
 * (SQLite's auxiliary data) and a row's array is scanned in place; a string
 * with an escape, or anything but strings, goes through jansson instead.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/utf8.h"
#include "base/xalloc.h"
#include "store_int.h"

/* The wanted tags, each in lower case (malloc'd). */
struct wanted {
	size_t n;
	char *tag[STORE_FILTER_TAGS];
	size_t len[STORE_FILTER_TAGS];
};

static void wanted_free(void *p)
{
	struct wanted *w = p;
	for (size_t i = 0; i < w->n; i++)
		free(w->tag[i]);
	free(w);
}

static struct wanted *wanted_parse(const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, 0, NULL);
	struct wanted *w = NULL;
	if (json_is_array(j) && json_array_size(j) <= STORE_FILTER_TAGS)
		w = calloc(1, sizeof(*w));
	for (size_t i = 0; w && i < json_array_size(j); i++) {
		json_t *v = json_array_get(j, i);
		size_t len = json_string_length(v);
		char *low = json_is_string(v) ? malloc(2 * len + 1) : NULL;
		if (!low) {
			wanted_free(w);
			w = NULL;
			break;
		}
		w->len[w->n] = utf8_lower(json_string_value(v), len, low);
		w->tag[w->n++] = low;
	}
	json_decref(j);
	return w;
}

/* Tick off the wanted tags equal to s[0..n) in lower case (utf8_lower). */
static void tick(const struct wanted *w, const char *s, size_t n, bool *seen)
{
	char small[256];
	char *low = 2 * n + 1 <= sizeof(small) ? small : xmalloc(2 * n + 1);
	size_t len = utf8_lower(s, n, low);
	for (size_t i = 0; i < w->n; i++)
		if (!seen[i])
			seen[i] = w->len[i] == len && !memcmp(low, w->tag[i], len);
	if (low != small)
		free(low);
}

static bool all_seen(const struct wanted *w, const bool *seen)
{
	for (size_t i = 0; i < w->n; i++)
		if (!seen[i])
			return false;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The fast scan of an array of plain strings. 1 or 0 when decided, -1 when
 * the text is anything else (escapes, other values, malformed).
 */
static int scan_plain(const struct wanted *w, const char *s, size_t n, bool *seen)
{
	size_t i = 0;
	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i++] != '[')
		return -1;
	for (bool first = true;; first = false) {
		while (i < n && is_space(s[i]))
			i++;
		if (i < n && s[i] == ']')
			return all_seen(w, seen);
		if (!first) {
			if (i == n || s[i++] != ',')
				return -1;
			while (i < n && is_space(s[i]))
				i++;
		}
		if (i == n || s[i++] != '"')
			return -1;
		size_t start = i;
		while (i < n && s[i] != '"' && s[i] != '\\')
			i++;
		if (i == n || s[i] == '\\')
			return -1;
		tick(w, s + start, i - start, seen);
		i++;
	}
}

/* The exact path: jansson reads the array; strings only count. */
static int scan_json(const struct wanted *w, const char *s, size_t n, bool *seen)
{
	json_t *j = json_loadb(s, n, 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(j, i, v)
		if (json_is_string(v))
			tick(w, json_string_value(v), json_string_length(v), seen);
	json_decref(j);
	return all_seen(w, seen);
}

static void tags_all(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	struct wanted *w = sqlite3_get_auxdata(ctx, 1);
	if (!w) {
		const char *ws = (const char *)sqlite3_value_text(argv[1]);
		w = ws ? wanted_parse(ws, (size_t)sqlite3_value_bytes(argv[1])) : NULL;
		if (!w) {
			sqlite3_result_error(ctx, "mtag_tags_all: wanted is not an array of strings", -1);
			return;
		}
		w = store_sqlite_keep(ctx, 1, w, wanted_free);
		if (!w)
			return;
	}
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	bool seen[STORE_FILTER_TAGS] = { false };
	int r = 0;
	if (s) {
		r = scan_plain(w, s, n, seen);
		if (r < 0) {
			memset(seen, 0, sizeof(seen));
			r = scan_json(w, s, n, seen);
		}
	}
	sqlite3_result_int(ctx, r);
}

void *store_sqlite_keep(sqlite3_context *ctx, int arg, void *p, void (*destroy)(void *))
{
	sqlite3_set_auxdata(ctx, arg, p, destroy);
	p = sqlite3_get_auxdata(ctx, arg); /* NULL if SQLite could not keep it (destroyed) */
	if (!p)
		sqlite3_result_error_nomem(ctx);
	return p;
}

static void lower_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	if (!s) {
		sqlite3_result_null(ctx);
		return;
	}
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	char *out = sqlite3_malloc64(2 * (sqlite3_uint64)n + 1);
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	size_t len = utf8_lower(s, n, out);
	sqlite3_result_text64(ctx, out, len, sqlite3_free, SQLITE_UTF8);
}

int store_sqlite_func_register(sqlite3 *db)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	int rc = sqlite3_create_function_v2(db, "mtag_tags_all", 2, flags, NULL, tags_all, NULL,
					    NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mtag_lower", 1, flags, NULL, lower_fn, NULL,
						NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "mtag_first_match", 2, flags, NULL,
						store_first_match_sql, NULL, NULL, NULL);
	return rc;
}
