/*
 * store_sqlite_func.c - mtag_tags_all(tags, wanted), an SQL function of ours
 * on every SQLite connection: 1 when the JSON array tags (a document's) holds
 * every string of the JSON array wanted, comparing as SQLite's lower() does
 * (ASCII letters folded; wanted comes lower-cased); NULL when wanted is NULL.
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

#include "store_int.h"

struct wanted {
	size_t n;
	const char *tag[STORE_FILTER_TAGS];
	size_t len[STORE_FILTER_TAGS];
	json_t *json; /* owns the strings */
};

static void wanted_free(void *p)
{
	struct wanted *w = p;
	json_decref(w->json);
	free(w);
}

static struct wanted *wanted_parse(const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, 0, NULL);
	if (!json_is_array(j) || json_array_size(j) > STORE_FILTER_TAGS) {
		json_decref(j);
		return NULL;
	}
	struct wanted *w = calloc(1, sizeof(*w));
	if (!w) {
		json_decref(j);
		return NULL;
	}
	w->json = j;
	for (size_t i = 0; i < json_array_size(j); i++) {
		json_t *v = json_array_get(j, i);
		if (!json_is_string(v)) {
			wanted_free(w);
			return NULL;
		}
		w->tag[w->n] = json_string_value(v);
		w->len[w->n++] = json_string_length(v);
	}
	return w;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Tick off the wanted tags equal to s[0..n) folded. */
static void tick(const struct wanted *w, const char *s, size_t n, bool *seen)
{
	for (size_t i = 0; i < w->n; i++) {
		if (seen[i] || w->len[i] != n)
			continue;
		size_t k = 0;
		while (k < n && ascii_lower(s[k]) == w->tag[i][k])
			k++;
		seen[i] = k == n;
	}
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
		sqlite3_set_auxdata(ctx, 1, w, wanted_free);
		w = sqlite3_get_auxdata(ctx, 1); /* NULL if SQLite could not keep it (freed) */
		if (!w) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
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

int store_sqlite_func_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "mtag_tags_all", 2,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					  NULL, tags_all, NULL, NULL, NULL);
}
