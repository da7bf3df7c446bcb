/*
 * store_sqlite_fts.c - the FTS5 tokenizer "mtag": SQLite's unicode61 with
 * every token qualified by its owner, so that one user's search reads one
 * user's part of the index.
 *
 * Why: an FTS5 MATCH is global. A prefix term ("tech"*) is evaluated by
 * merging the doclists of every term that starts with it - every user's
 * postings - before anything can restrict it to one owner, so a search cost
 * grew with all documents, not the user's (bench/RESULTS.md, issue 7). With
 * the owner inside each token, "u1a2b3c4d5e6f tech"* only walks the terms of
 * that owner.
 *
 * The owner travels in the text: the indexed columns (migration 0008) and
 * every phrase of a query (store_search.c) start with the owner key, "u" and
 * the last 12 hex digits of the user's UUID, and one space. The key is
 * removed before unicode61 sees the text and prepended to each token it
 * gives; offsets stay those of the original text, so snippet() never shows
 * the key. Text that does not start with a key gives no token at all: it can
 * neither be found nor find anything. Two users whose ids share the last 12
 * digits share index terms, which costs speed, never privacy: every search
 * also filters documents.user_id.
 *
 * Arguments after the name go to unicode61 ('mtag remove_diacritics 2').
 * Registered on every connection (store_sqlite.c), before the migrations run.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define FTS_KEY_LEN STORE_SEARCH_KEY_LEN
#define FTS_TOKEN_STACK 256

struct fts_tokenizer {
	fts5_tokenizer base; /* unicode61's methods */
	Fts5Tokenizer *inner;
};

/* One xTokenize call: the caller's callback and the buffer for qualified tokens. */
struct fts_call {
	void *ctx;
	int (*token)(void *ctx, int tflags, const char *tok, int n, int start, int end);
	char key[FTS_KEY_LEN];
	char stack[FTS_TOKEN_STACK];
	char *heap;
	size_t heap_cap;
};

static bool fts_key_ok(const char *s, int n)
{
	if (n < FTS_KEY_LEN + 1 || s[0] != 'u' || s[FTS_KEY_LEN] != ' ')
		return false;
	for (int i = 1; i < FTS_KEY_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int fts_qualify(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
	struct fts_call *c = ctx;
	size_t need = FTS_KEY_LEN + (size_t)n;
	char *out = c->stack;

	if (need > sizeof(c->stack)) {
		if (need > c->heap_cap) {
			char *grown = realloc(c->heap, need);
			if (!grown)
				return SQLITE_NOMEM;
			c->heap = grown;
			c->heap_cap = need;
		}
		out = c->heap;
	}
	memcpy(out, c->key, FTS_KEY_LEN);
	memcpy(out + FTS_KEY_LEN, tok, (size_t)n);
	return c->token(c->ctx, tflags, out, (int)need, start + FTS_KEY_LEN + 1,
			end + FTS_KEY_LEN + 1);
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
			int (*token)(void *, int, const char *, int, int, int))
{
	struct fts_tokenizer *ft = (struct fts_tokenizer *)t;
	struct fts_call c = { .ctx = ctx, .token = token };
	int rc;

	if (!text || !fts_key_ok(text, n))
		return SQLITE_OK;
	memcpy(c.key, text, FTS_KEY_LEN);
	rc = ft->base.xTokenize(ft->inner, &c, flags, text + FTS_KEY_LEN + 1, n - FTS_KEY_LEN - 1,
				fts_qualify);
	free(c.heap);
	return rc;
}

static int fts_create(void *api, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *fts = api;
	struct fts_tokenizer *ft = calloc(1, sizeof(*ft));
	void *uctx = NULL;
	int rc;

	*out = NULL;
	if (!ft)
		return SQLITE_NOMEM;
	rc = fts->xFindTokenizer(fts, "unicode61", &uctx, &ft->base);
	if (rc == SQLITE_OK)
		rc = ft->base.xCreate(uctx, argv, argc, &ft->inner);
	if (rc != SQLITE_OK) {
		free(ft);
		return rc;
	}
	*out = (Fts5Tokenizer *)ft;
	return SQLITE_OK;
}

static void fts_delete(Fts5Tokenizer *t)
{
	struct fts_tokenizer *ft = (struct fts_tokenizer *)t;

	ft->base.xDelete(ft->inner);
	free(ft);
}

struct fts5_api *store_sqlite_fts5(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api && api->iVersion >= 2 ? api : NULL;
}

int store_sqlite_fts_register(sqlite3 *db)
{
	static fts5_tokenizer methods = { fts_create, fts_delete, fts_tokenize };
	fts5_api *api = store_sqlite_fts5(db);

	if (!api)
		return SQLITE_ERROR;
	return api->xCreateTokenizer(api, "mtag", api, &methods, NULL);
}
