/*
 * test_store_history.c - a user's history (issue 7): lists with filters and
 * pagination, ownership, tag counts, statistics, deleting a document, the
 * export's iteration, and the search index after all those writes; on SQLite
 * and PostgreSQL (store_fixture.h). The search itself: test_store_search.c.
 */
#include <sqlite3.h>

#include "store_fixture.h"
#include "store/store_int.h"

#define DAY (86400LL * 1000000LL)

static void test_migrate(void)
{
	int version = 0;
	CHECK_INT(store_migrate(T.s, NULL), ERR_OK);
	CHECK_INT(store_schema_version(T.s, &version), ERR_OK);
	CHECK_INT(version, migration_count());
	CHECK(version >= 5);
}

static void test_document_list_pages_and_filters(void)
{
	struct store_user u;
	struct store_job j, k;
	struct store_document d, *out = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 25, T0);
	new_job(&k, u.id, 1, T0);
	for (int i = 0; i < 25; i++) {
		CHECK_INT(add_doc(&j, &d, T0 + i * 1000, i % 2 ? "failed" : "completed", "t",
				  i % 5 ? "[\"Red\", \"blue\"]" : "[\"red\"]", NULL), ERR_OK);
		if (i == 3)
			CHECK_INT(add_doc(&k, &d, T0 + i * 1000, "pending", "other job", NULL, NULL), ERR_OK);
	}
	CHECK_INT(store_document_list(T.s, &T.a, u.id, NULL, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 10);
	CHECK_INT(total, 26);
	CHECK_INT(out[0].created_at, T0 + 24000); /* newest first */
	CHECK(out[0].extracted_text == NULL);
	CHECK_INT(store_document_list(T.s, &T.a, u.id, NULL, 10, 20, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 6);
	CHECK_INT(store_document_list(T.s, &T.a, u.id, NULL, 10, 26, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 26);
	CHECK_INT(store_document_list(T.s, &T.a, u.id, NULL, 0, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 26);

	struct store_doc_filter f = { .status = "failed" };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 12);
	f = (struct store_doc_filter){ .job_id = k.id };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(out[0].title, "other job");
	f = (struct store_doc_filter){ .tags = { "RED", "Blue" }, .ntags = 2 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 20);
	f = (struct store_doc_filter){ .tags = { "red" }, .ntags = 1, .status = "completed" };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 13);
	f = (struct store_doc_filter){ .from_us = T0 + 10000, .to_us = T0 + 20000 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 10);
	f = (struct store_doc_filter){ .lang = "fr" };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	f = (struct store_doc_filter){ .lang = "en", .job_id = "not-a-uuid" };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	f = (struct store_doc_filter){ .tags = { "%" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 100, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	/* No owner, an anonymous or a malformed one: nothing, never everybody's. */
	const char *owners[] = { NULL, "", "nope", "' OR 1=1 --" };
	for (size_t i = 0; i < 4; i++) {
		CHECK_INT(store_document_list(T.s, &T.a, owners[i], NULL, 100, 0, &out, &n, &total),
			  ERR_OK);
		CHECK_INT(n, 0);
		CHECK_INT(total, 0);
	}
}

/*
 * A tag filter reads the user's documents newest first when the tag is
 * common enough for the page, else the documents the index has for the
 * tag's words (store_document_list): the cases below take both ways
 * (limit × documents against tagged²) and must agree.
 */
static void test_tagged_list_both_ways(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d, *out = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 40, T0);
	for (int i = 0; i < 40; i++)
		CHECK_INT(add_doc(&j, &d, T0 + i * 1000, "completed", "t",
				  i % 10 ? (i % 2 ? "[\"Dense\", \"odd\"]" : "[\"dense\"]")
					 : "[\"sparse\"]", NULL), ERR_OK);
	/* i of the k-th newest document tagged dense (k from 0). */
	int dense[36], nd = 0;
	for (int i = 39; i >= 0; i--)
		if (i % 10)
			dense[nd++] = i;
	struct {
		size_t limit, offset, n;
	} cases[] = {
		{ 5, 0, 5 },    /* walk: 5 x 40 < 36 x 36 */
		{ 100, 0, 36 }, /* index */
		{ 5, 20, 5 },   /* walk */
		{ 10, 30, 6 },  /* index */
		{ 10, 36, 0 },
	};
	struct store_doc_filter f = { .tags = { "DENSE" }, .ntags = 1 };
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, cases[c].limit, cases[c].offset,
					      &out, &n, &total), ERR_OK);
		CHECK_INT(n, cases[c].n);
		CHECK_INT(total, 36); /* the kept count */
		for (size_t k = 0; k < n; k++)
			CHECK_INT(out[k].created_at, T0 + dense[cases[c].offset + k] * 1000);
	}
	f = (struct store_doc_filter){ .tags = { "sparse" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 2, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_INT(total, 4);
	CHECK_INT(out[0].created_at, T0 + 30000);
	/* Two tags: counted, walked or not. */
	f = (struct store_doc_filter){ .tags = { "dense", "ODD" }, .ntags = 2 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 3, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 3);
	CHECK_INT(total, 20);
	CHECK_INT(out[0].created_at, T0 + 39000);
	CHECK_INT(out[2].created_at, T0 + 35000);
	f = (struct store_doc_filter){ .tags = { "dense", "dense" }, .ntags = 2 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 3, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 36);
	f = (struct store_doc_filter){ .tags = { "dense", "sparse" }, .ntags = 2 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 3, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 0);
	/* With another filter the total is counted. */
	f = (struct store_doc_filter){ .tags = { "dense" }, .ntags = 1, .from_us = T0 + 20000 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 2, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_INT(total, 18);
	/* A tag the user never had: nothing, at once. */
	f = (struct store_doc_filter){ .tags = { "absent" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 2, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 0);
	/* Another user's tag counts change nothing here. */
	struct store_user v;
	new_user(&v);
	f = (struct store_doc_filter){ .tags = { "dense" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, v.id, &f, 5, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, 0);
}

static void test_job_list(void)
{
	struct store_user u;
	struct store_job j[3], *out = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	for (int i = 0; i < 3; i++) {
		make_job(&j[i], u.id);
		j[i].created_at = T0 + i;
		j[i].job_type = i == 2 ? "single" : "batch";
		j[i].status = i == 0 ? "completed" : "pending";
		CHECK_INT(store_job_create(T.s, &j[i]), ERR_OK);
	}
	CHECK_INT(store_job_list(T.s, &T.a, u.id, NULL, 2, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_INT(total, 3);
	CHECK_STR(out[0].id, j[2].id);
	CHECK_INT(store_job_list(T.s, &T.a, u.id, NULL, 2, 2, &out, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(out[0].id, j[0].id);
	struct store_job_filter f = { .status = "pending" };
	CHECK_INT(store_job_list(T.s, &T.a, u.id, &f, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 2);
	f = (struct store_job_filter){ .status = "pending", .job_type = "single" };
	CHECK_INT(store_job_list(T.s, &T.a, u.id, &f, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	/* Totals by status come from the kept counts: each status, and none for a bogus one. */
	f = (struct store_job_filter){ .status = "completed" };
	CHECK_INT(store_job_list(T.s, &T.a, u.id, &f, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(out[0].id, j[0].id);
	f = (struct store_job_filter){ .status = "bogus" };
	CHECK_INT(store_job_list(T.s, &T.a, u.id, &f, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	CHECK_INT(n, 0);
	struct store_user none;
	new_user(&none); /* no job yet: no row of counts */
	CHECK_INT(store_job_list(T.s, &T.a, none.id, NULL, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	CHECK_INT(store_job_list(T.s, &T.a, "", NULL, 10, 0, &out, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
}

static void test_owners_see_their_own(void)
{
	struct store_user a, b;
	struct store_job ja, jb;
	struct store_document da, db, *list = NULL;
	struct store_hit *h = NULL;
	struct store_tag_count *tc = NULL;
	struct store_stats st;
	size_t n = 0, total = 0;
	const char *key = NULL;
	new_user(&a);
	new_user(&b);
	new_job(&ja, a.id, 1, T0);
	new_job(&jb, b.id, 1, T0);
	CHECK_INT(add_doc(&ja, &da, T0, "completed", "Shared words", "[\"common\"]", "overlap text"), ERR_OK);
	CHECK_INT(add_doc(&jb, &db, T0, "completed", "Shared words", "[\"common\"]", "overlap text"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, b.id, "overlap", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].doc.id, db.id);
	/* A's search key typed as a word, alone or before A's word, finds nothing of A's. */
	char q[128];
	snprintf(q, sizeof(q), "u%.12s", a.id + 24);
	CHECK_INT(store_document_search(T.s, &T.a, b.id, q, NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	snprintf(q, sizeof(q), "u%.12soverlap", a.id + 24);
	CHECK_INT(store_document_search(T.s, &T.a, b.id, q, NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	snprintf(q, sizeof(q), "\"u%.12s overlap\"", a.id + 24);
	CHECK_INT(store_document_search(T.s, &T.a, b.id, q, NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	/* C's id ends like A's: they share index terms, never documents. */
	struct store_user c;
	struct store_job jc;
	struct store_document dc;
	make_user(&c);
	memcpy(c.id + 24, a.id + 24, 12);
	CHECK_INT(store_user_create(T.s, &c), ERR_OK);
	new_job(&jc, c.id, 1, T0);
	CHECK_INT(add_doc(&jc, &dc, T0, "completed", "Mine", "[]", "overlap of mine"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, c.id, "overlap", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].doc.id, dc.id);
	CHECK_INT(store_document_search(T.s, &T.a, a.id, "overl", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].doc.id, da.id);
	CHECK_INT(store_document_list(T.s, &T.a, b.id, NULL, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(list[0].id, db.id);
	CHECK_INT(store_tag_counts(T.s, &T.a, b.id, NULL, 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(tc[0].count, 1);
	CHECK_INT(store_stats(T.s, b.id, T0, &st), ERR_OK);
	CHECK_INT(st.total_documents, 1);
	CHECK_INT(st.total_jobs, 1);
	CHECK_INT(store_document_delete(T.s, &T.a, da.id, b.id, T0 + 30, &key), ERR_NOT_FOUND);
	CHECK_INT(store_document_delete(T.s, &T.a, da.id, "", T0 + 30, &key), ERR_NOT_FOUND);
	CHECK_INT(store_document_delete(T.s, &T.a, da.id, NULL, T0 + 30, &key), ERR_NOT_FOUND);
	CHECK_INT(store_document_get(T.s, &T.a, da.id, a.id, &db), ERR_OK);
	CHECK_INT(store_stats(T.s, "nope", T0, &st), ERR_OK);
	CHECK_INT(st.total_documents, 0);
}

static void test_tag_counts(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d;
	struct store_tag_count *tc = NULL;
	size_t n = 0;
	new_user(&u);
	new_job(&j, u.id, 4, T0);
	CHECK_INT(add_doc(&j, &d, T0, "completed", "x", "[\"A\", \"b\"]", NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &d, T0, "completed", "x", "[\"a\", \"c\", \"x_y\"]", NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &d, T0, "completed", "x", "[\"B\", \"a\", \"A\"]", NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &d, T0, "pending", NULL, NULL, NULL), ERR_OK);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, NULL, 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 4);
	CHECK_STR(tc[0].tag, "a");
	CHECK_INT(tc[0].count, 3);
	CHECK_STR(tc[1].tag, "b");
	CHECK_INT(tc[1].count, 2);
	CHECK_STR(tc[2].tag, "c");
	CHECK_INT(tc[2].count, 1);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "B", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(tc[0].tag, "b");
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "%", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "_", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "x_", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, NULL, 1, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_tag_counts(T.s, &T.a, "", NULL, 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 0);
}

/*
 * Tags in lower case beyond ASCII, the same on both databases: a count, a
 * prefix, a list filter and a search filter each fold "Übersicht", "ÜBERSICHT"
 * and "übersicht" into one tag (SQLite's lower() folded ASCII letters only).
 */
static const char *counts_text(const char *owner);

static void test_tags_unicode_case(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d[3], *list = NULL;
	struct store_tag_count *tc = NULL;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 4, T0);
	CHECK_INT(add_doc(&j, &d[0], T0, "completed", "Erste", "[\"\xC3\x9C" "bersicht\"]",
			  "eine kurze notiz"), ERR_OK);
	CHECK_INT(add_doc(&j, &d[1], T0 + 1, "completed", "Zweite", "[\"\xC3\xBC" "bersicht\"]",
			  "noch eine notiz"), ERR_OK);
	CHECK_INT(add_doc(&j, &d[2], T0 + 2, "completed", "Dritte", "[\"\xC3\x89t\xC3\xA9\"]",
			  "eine notiz im sommer"), ERR_OK);
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, NULL, 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(tc[0].tag, "\xC3\xBC" "bersicht");
	CHECK_INT(tc[0].count, 2);
	CHECK_STR(tc[1].tag, "\xC3\xA9t\xC3\xA9");
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "\xC3\x9C" "BER", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(tc[0].count, 2);
	struct store_doc_filter f = { .tags = { "\xC3\x9C" "BERSICHT" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 2);
	CHECK_STR(list[0].id, d[1].id);
	CHECK_STR(list[1].id, d[0].id);
	f = (struct store_doc_filter){ .tags = { "\xC3\xA9T\xC3\x89" }, .ntags = 1 }; /* éTÉ */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "notiz", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].doc.id, d[2].id);
	/* A tag typed as stored is found whatever the database's lower() makes of it
	 * (an ICU locale lower-cases a final sigma as such, C.UTF-8 does not). */
	struct store_document greek;
	CHECK_INT(add_doc(&j, &greek, T0 + 3, "completed", "Vierte", "[\"\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3\"]",
			  "eine notiz"), ERR_OK);
	f = (struct store_doc_filter){ .tags = { "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3" }, .ntags = 1 }; /* ΟΔΟΣ */
	CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(list[0].id, greek.id);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "notiz", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	/* A Greek word's last sigma in lower case is ς on both databases: the tag is found
	 * typed so, or with σ, or in capitals, and listed as it is spelt. */
	struct store_document kosmos;
	CHECK_INT(add_doc(&j, &kosmos, T0 + 4, "completed", "Fünfte", "[\"ΚΌΣΜΟΣ ΤΗΣ ΦΙΛΟΣΟΦΊΑΣ\"]",
			  "eine notiz"), ERR_OK);
	static const char *const typed[] = { "κόσμος της φιλοσοφίας", "κόσμοσ τησ φιλοσοφίασ",
					     "ΚΌΣΜΟΣ ΤΗΣ ΦΙΛΟΣΟΦΊΑΣ" };
	for (size_t i = 0; i < 3; i++) {
		f = (struct store_doc_filter){ .tags = { typed[i] }, .ntags = 1 };
		CHECK_INT(store_document_list(T.s, &T.a, u.id, &f, 10, 0, &list, &n, &total), ERR_OK);
		CHECK_INT(total, 1);
		CHECK_INT(store_document_search(T.s, &T.a, u.id, "notiz", &f, 10, 0, &h, &n, &total),
			  ERR_OK);
		CHECK_INT(total, 1);
	}
	CHECK_INT(store_tag_counts(T.s, &T.a, u.id, "ΚΌΣΜΟΣ", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(tc[0].tag, "κόσμος της φιλοσοφίας");
	CHECK_INT(store_document_delete(T.s, &T.a, kosmos.id, u.id, T0 + 20, &(const char *){ NULL }),
		  ERR_OK);
	CHECK_INT(store_document_delete(T.s, &T.a, greek.id, u.id, T0 + 20, &(const char *){ NULL }),
		  ERR_OK);
	/* A delete takes its count from the same key. */
	const char *key = NULL;
	CHECK_INT(store_document_delete(T.s, &T.a, d[0].id, u.id, T0 + 20, &key), ERR_OK);
	CHECK_STR(counts_text(u.id), "\xC3\xA9t\xC3\xA9:1 \xC3\xBC" "bersicht:1");
}

/* "a:3 b:2" for the owner's counts, most used first. */
static const char *counts_text(const char *owner)
{
	static char out[256];
	struct store_tag_count *tc = NULL;
	size_t n = 0, o = 0;
	out[0] = '\0';
	if (store_tag_counts(T.s, &T.a, owner, NULL, 10, &tc, &n))
		return "error";
	for (size_t i = 0; i < n && o < sizeof(out); i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s:%lld", i ? " " : "", tc[i].tag,
				      (long long)tc[i].count);
	return out;
}

/* The counts follow every write: a finish, a delete, a claim (migration 0007's triggers). */
static void test_tag_counts_follow_writes(void)
{
	struct store_user u;
	struct store_job j, anon;
	struct store_document one, two, later, theirs;
	const char *key;
	int claimed = 0;
	new_user(&u);
	new_job(&j, u.id, 3, T0);
	CHECK_INT(add_doc(&j, &one, T0, "completed", "x", "[\"Ant\", \"ant\", \"Bee\"]", NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &two, T0, "completed", "x", "[\"ant\"]", NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &later, T0, "pending", NULL, NULL, NULL), ERR_OK);
	CHECK_STR(counts_text(u.id), "ant:2 bee:1");
	later.status = "completed";
	later.processed_at = T0 + 10;
	later.tags = "[\"cat\", \"Bee\"]";
	CHECK_INT(store_document_finish(T.s, &later), ERR_OK);
	CHECK_STR(counts_text(u.id), "ant:2 bee:2 cat:1");
	CHECK_INT(store_document_delete(T.s, &T.a, one.id, u.id, T0 + 20, &key), ERR_OK);
	CHECK_STR(counts_text(u.id), "ant:1 bee:1 cat:1");
	/* Anonymous documents are nobody's until claimed. */
	new_job(&anon, "", 1, T0);
	CHECK_INT(add_doc(&anon, &theirs, T0, "completed", "x", "[\"CAT\", \"dog\"]", NULL), ERR_OK);
	CHECK_STR(counts_text(u.id), "ant:1 bee:1 cat:1");
	/* Too old: the janitor's to delete, not anybody's to claim. */
	CHECK_INT(store_job_claim(T.s, anon.id, u.id, T0 + 30, T0 + 1, &claimed), ERR_NOT_FOUND);
	CHECK_STR(counts_text(u.id), "ant:1 bee:1 cat:1");
	CHECK_INT(store_job_claim(T.s, anon.id, u.id, T0 + 30, T0, &claimed), ERR_OK);
	CHECK_INT(claimed, 1);
	CHECK_STR(counts_text(u.id), "cat:2 ant:1 bee:1 dog:1");
	CHECK_INT(store_job_claim(T.s, anon.id, u.id, T0 + 30, T0, &claimed), ERR_NOT_FOUND);
	/* A tag no document carries any more is gone. */
	CHECK_INT(store_document_delete(T.s, &T.a, two.id, u.id, T0 + 40, &key), ERR_OK);
	CHECK_INT(store_document_delete(T.s, &T.a, theirs.id, u.id, T0 + 40, &key), ERR_OK);
	CHECK_STR(counts_text(u.id), "bee:1 cat:1");
}

static void test_stats(void)
{
	struct store_user u;
	struct store_job j[3];
	struct store_document d;
	struct store_stats st;
	int64_t now = (T0 / DAY + 40) * DAY + 5 * 3600 * 1000000LL; /* 05:00 UTC, day 40 */
	int64_t today = now / DAY * DAY;
	const char *status[] = { "completed", "failed", "pending" };
	new_user(&u);
	for (int i = 0; i < 3; i++) {
		make_job(&j[i], u.id);
		j[i].status = status[i];
		CHECK_INT(store_job_create(T.s, &j[i]), ERR_OK);
	}
	CHECK_INT(add_doc(&j[0], &d, today, "completed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, now, "completed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, today - 1, "failed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, today - DAY + 7, "pending", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, today - 29 * DAY, "completed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, today - 29 * DAY - 1, "completed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j[0], &d, today + DAY, "completed", "x", NULL, NULL), ERR_OK);
	CHECK_INT(store_stats(T.s, u.id, now, &st), ERR_OK);
	CHECK_INT(st.total_jobs, 3);
	CHECK_INT(st.jobs_by_status[2], 1);
	CHECK_INT(st.jobs_by_status[4], 1);
	CHECK_INT(st.jobs_by_status[0], 1);
	CHECK_INT(st.total_documents, 7);
	CHECK_INT(st.documents_processed, 5);
	CHECK_INT(st.documents_failed, 1);
	CHECK_INT(st.per_day[29], 2);
	CHECK_INT(st.per_day[28], 2);
	CHECK_INT(st.per_day[0], 1);
	int64_t sum = 0;
	for (int i = 0; i < STORE_STATS_DAYS; i++)
		sum += st.per_day[i];
	CHECK_INT(sum, 5);
}

static void test_delete(void)
{
	struct store_user u;
	struct store_job j, other, got;
	struct store_document ok, bad, pend, twin;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	const char *key = "unset";
	new_user(&u);
	new_job(&j, u.id, 3, T0);
	new_job(&other, u.id, 1, T0);
	make_document(&ok, &j);
	CHECK_INT(add_doc(&j, &ok, T0, "pending", NULL, NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &bad, T0, "pending", NULL, NULL, NULL), ERR_OK);
	CHECK_INT(add_doc(&j, &pend, T0, "pending", NULL, NULL, NULL), ERR_OK);
	ok.status = "completed";
	ok.processed_at = T0 + 10;
	ok.title = "Wombat facts";
	ok.extracted_text = "the wombat";
	ok.blob_key = "u/shared.pdf";
	CHECK_INT(store_document_finish(T.s, &ok), ERR_OK);
	bad.status = "failed";
	bad.processed_at = T0 + 10;
	bad.error_message = "nope";
	CHECK_INT(store_document_finish(T.s, &bad), ERR_OK);
	pend.blob_key = "u/own.pdf";
	CHECK_INT(add_doc(&other, &twin, T0, "pending", NULL, NULL, NULL), ERR_OK);
	twin.blob_key = "u/shared.pdf";
	twin.status = "failed";
	twin.processed_at = T0 + 10;
	CHECK_INT(store_document_finish(T.s, &twin), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "wombat", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1); /* the finish's update was indexed */

	CHECK_INT(store_document_delete(T.s, &T.a, ok.id, u.id, T0 + 30, &key), ERR_OK);
	CHECK(key == NULL); /* still used by twin */
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_INT(got.total_documents, 2);
	CHECK_INT(got.processed_documents, 0);
	CHECK_INT(got.failed_documents, 1);
	CHECK_STR(got.status, "processing"); /* pend is still to be done */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "wombat", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	CHECK_INT(store_document_delete(T.s, &T.a, ok.id, u.id, T0 + 30, &key), ERR_NOT_FOUND);
	CHECK_INT(store_document_delete(T.s, &T.a, bad.id, u.id, T0 + 30, &key), ERR_OK);
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_INT(got.total_documents, 1);
	CHECK_INT(got.failed_documents, 0);
	CHECK_STR(got.status, "processing");
	/* Deleting the last document left to do ends the job (no worker will). */
	CHECK_INT(store_document_delete(T.s, &T.a, pend.id, u.id, T0 + 30, &key), ERR_OK);
	CHECK(key == NULL); /* a pending document has no file yet */
	CHECK_INT(store_job_get(T.s, &T.a, j.id, u.id, &got), ERR_OK);
	CHECK_INT(got.total_documents, 0);
	CHECK_STR(got.status, "completed");
	CHECK_INT(got.completed_at, T0 + 30);
	CHECK_INT(store_document_delete(T.s, &T.a, twin.id, u.id, T0 + 30, &key), ERR_OK);
	CHECK_STR(key, "u/shared.pdf"); /* the last user of the file */
	CHECK_INT(store_document_delete(T.s, &T.a, "not-a-uuid", u.id, T0 + 30, &key), ERR_NOT_FOUND);
}

struct each_ctx {
	int calls, stop_at;
	int64_t last_at;
	char last_id[UUID_STR_LEN];
	bool ordered, texts;
	/* With texts: each document's must be its own (text_of); at seq delete_at, delete doomed. */
	const char *big, *owner, *doomed;
	int delete_at, wrong_texts;
	bool saw_doomed, deleted;
	int *order; /* when set: the seqs in the order seen */
	int insert_at;  /* at this seq, a document is added amid the page's times */
	bool inserted, saw_inserted;
};

enum { EACH_N = 1100, EACH_BIG = 301 };

/* What test_each wrote as document seq's text (NULL: none, still pending). */
static const char *text_of(int seq, const char *big, char *buf, size_t len)
{
	if (seq == EACH_BIG)
		return big;
	if (seq % 50 == 7)
		return NULL;
	snprintf(buf, len, "text of document %d", seq);
	return buf;
}

static enum mtag_err each_fn(const struct store_document *d, void *ctx)
{
	struct each_ctx *c = ctx;
	if (d->created_at < c->last_at ||
	    (d->created_at == c->last_at && strcmp(d->id, c->last_id) <= 0))
		c->ordered = false;
	c->last_at = d->created_at;
	memcpy(c->last_id, d->id, UUID_STR_LEN);
	if (d->extracted_text)
		c->texts = true;
	if (c->order)
		c->order[c->calls] = d->seq;
	if (c->big) {
		char buf[64];
		const char *want = text_of(d->seq, c->big, buf, sizeof(buf));
		if (want ? !d->extracted_text || strcmp(want, d->extracted_text) : d->extracted_text != NULL)
			c->wrong_texts++;
		if (c->doomed && !strcmp(d->id, c->doomed))
			c->saw_doomed = true;
		const char *key;
		if (d->seq == c->delete_at)
			c->deleted = !store_document_delete(T.s, &T.a, c->doomed, c->owner, T0 + 50, &key);
		if (d->seq == EACH_N)
			c->saw_inserted = true;
		if (d->seq == c->insert_at) {
			/* As a claimed anonymous job's documents arrive: with times already
			 * passed, here amid a run of documents with texts (random ids). */
			struct store_job j;
			struct store_document nd[20];
			make_job(&j, c->owner);
			j.total_documents = 20;
			for (int i = 0; i < 20; i++) {
				make_document(&nd[i], &j);
				nd[i].created_at = T0 + 2000;
				nd[i].seq = EACH_N;
			}
			c->inserted = !store_job_submit(T.s, &j, nd, 20, NULL);
		}
	}
	return ++c->calls == c->stop_at ? ERR_CONFLICT : ERR_OK;
}

/*
 * Every document once, oldest first, through pages of 500 and ties on the
 * time; with texts, each its own, through statements of texts bounded in
 * bytes (one text over the bound alone) on PostgreSQL and one by one on
 * SQLite; a document deleted after its page was read but before its text
 * was is skipped.
 */
static void test_each(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document *docs = arena_calloc(&T.a, EACH_N, sizeof(*docs));
	size_t big_len = (9u << 20) + 7; /* over the 8 MB of one statement's texts */
	char *big = arena_alloc(&T.a, big_len + 1);
	for (size_t i = 0; i < big_len; i++)
		big[i] = i % 8 == 7 ? ' ' : (char)('a' + i % 26);
	big[big_len] = '\0';
	new_user(&u);
	make_job(&j, u.id);
	j.total_documents = EACH_N;
	for (int i = 0; i < EACH_N; i++) {
		make_document(&docs[i], &j);
		docs[i].created_at = T0 + (i % 7) * 1000; /* many ties: id breaks them */
		docs[i].seq = i;
	}
	CHECK_INT(store_job_submit(T.s, &j, docs, EACH_N, NULL), ERR_OK);
	char (*texts)[64] = arena_calloc(&T.a, EACH_N, sizeof(*texts));
	for (int i = 0; i < EACH_N; i++) {
		const char *t = text_of(i, big, texts[i], sizeof(texts[i]));
		if (!t)
			continue;
		docs[i].status = "completed";
		docs[i].processed_at = T0 + 99;
		docs[i].extracted_text = t;
		CHECK_INT(store_document_finish(T.s, &docs[i]), ERR_OK);
	}
	int *order = arena_calloc(&T.a, EACH_N, sizeof(*order));
	struct each_ctx c = { .ordered = true, .order = order };
	CHECK_INT(store_document_each(T.s, u.id, false, each_fn, &c), ERR_OK);
	CHECK_INT(c.calls, EACH_N);
	CHECK(c.ordered);
	CHECK(!c.texts);
	/* The 151st document is deleted when the 11th is seen: its page has been
	 * read by then (500 rows), its text not yet (statements of 100 at most).
	 * And one is added then amid the first page's times (a text statement
	 * then gets it and loses its last row, which must be read alone). */
	c = (struct each_ctx){ .ordered = true, .big = big, .owner = u.id,
			       .doomed = docs[order[150]].id, .delete_at = order[10],
			       .insert_at = order[10] };
	CHECK_INT(store_document_each(T.s, u.id, true, each_fn, &c), ERR_OK);
	CHECK_INT(c.calls, EACH_N - 1);
	CHECK(c.ordered);
	CHECK_INT(c.wrong_texts, 0);
	CHECK(c.deleted);
	CHECK(!c.saw_doomed);
	CHECK(c.inserted);
	CHECK(!c.saw_inserted); /* amid a page already read */
	c = (struct each_ctx){ .ordered = true, .stop_at = 3 };
	CHECK_INT(store_document_each(T.s, u.id, false, each_fn, &c), ERR_CONFLICT);
	CHECK_INT(c.calls, 3);
	c = (struct each_ctx){ .ordered = true };
	CHECK_INT(store_document_each(T.s, "", false, each_fn, &c), ERR_OK);
	CHECK_INT(c.calls, 0);
}

/*
 * After every kind of write the suite made (insert, finish, claim, delete):
 * the FTS5 index equals what its content (the view) gives, as FTS5 itself
 * checks it. An external-content index whose 'delete' did not repeat the
 * indexed values would fail here.
 */
static void test_sqlite_index_matches_content(void)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	CHECK_INT(sqlite3_open_v2(T.url + strlen("sqlite://"), &db, SQLITE_OPEN_READWRITE, NULL),
		  SQLITE_OK);
	CHECK_INT(store_sqlite_fts_register(db), SQLITE_OK);
	int rc = sqlite3_exec(db, "INSERT INTO documents_fts (documents_fts, rank)"
				  " VALUES ('integrity-check', 1)", NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "integrity-check: %s\n", err ? err : sqlite3_errmsg(db));
	CHECK_INT(rc, SQLITE_OK);
	sqlite3_free(err);
	sqlite3_close(db);
}

/* The same on PostgreSQL: every vector equals what its row gives now. */
static void test_pg_vectors_match_rows(void)
{
	PGconn *pg = PQconnectdb(T.url);
	CHECK(PQstatus(pg) == CONNECTION_OK);
	PGresult *r = PQexec(pg, "BEGIN; CREATE TEMP TABLE was AS SELECT id, search_vector FROM documents;"
			     " UPDATE documents SET title = title;"
			     " SELECT count(*) FILTER (WHERE d.search_vector IS DISTINCT FROM w.search_vector),"
			     " count(*) FILTER (WHERE d.user_id IS NOT NULL AND d.search_vector IS NULL),"
			     " count(*) FROM documents d JOIN was w USING (id)");
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		CHECK_STR(PQgetvalue(r, 0, 0), "0");
		CHECK_STR(PQgetvalue(r, 0, 1), "0");
		CHECK(atoi(PQgetvalue(r, 0, 2)) > 1000);
	}
	PQclear(r);
	PQclear(PQexec(pg, "ROLLBACK"));
	PQfinish(pg);
}

/* A raw SQLite connection to the file of url, with mtag's FTS5 tokenizer and functions. */
static sqlite3 *sqlite_raw(const char *url)
{
	const char *path = url + strlen("sqlite://");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
		    SQLITE_OK ||
	    store_sqlite_fts_register(db) != SQLITE_OK || store_sqlite_func_register(db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * Migration 0011 (SQLite) rebuilds documents with its large columns last. On
 * a database at version 10 that holds documents: the rows, their search
 * index and the counts come through, and the triggers it makes again keep
 * the index and the counts in step with new writes.
 */
static void test_sqlite_text_last_migration(void)
{
	char url[sizeof(T.url)], dir[sizeof(T.url)];
	sqlite_fresh_url(url, sizeof(url));
	snprintf(dir, sizeof(dir), "%s", url + strlen("sqlite://"));
	*strrchr(dir, '/') = '\0';
	CHECK(mkdir(dir, 0700) == 0);
	sqlite3 *db = sqlite_raw(url);
	CHECK(db != NULL);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
			       " name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT", NULL, NULL,
			       NULL), SQLITE_OK);
	for (const struct embed_file *f = store_migrations_sqlite; f->name; f++) {
		if (atoi(f->name) > 10)
			break;
		char *sql = sqlite3_mprintf("%.*s; INSERT INTO schema_migrations VALUES (%d, %Q, 'x')",
					    (int)f->len, (const char *)f->data, atoi(f->name), f->name);
		CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_free(sql);
	}
	sqlite3_close(db);

	/* Documents written at version 10, by this version's statements. */
	struct store *old = T.s, *s10 = NULL;
	char err[256];
	CHECK_INT(store_open(url, 2, &s10, err, sizeof(err)), ERR_OK);
	T.s = s10;
	struct store_user u;
	struct store_job j;
	struct store_document d[3], got;
	struct buf text = BUF_INIT(1 << 20);
	for (int i = 0; i < 2000; i++) /* ~50 KB: overflow pages */
		buf_puts(&text, "filler lorem ipsum dolor ");
	buf_puts(&text, "the narwhal");
	new_user(&u);
	/* The job as version 10 wrote it: this version's statements name a column it
	 * did not have yet (anon_client, 0015). */
	make_job(&j, u.id);
	db = sqlite_raw(url);
	char *job_sql = sqlite3_mprintf("INSERT INTO processing_jobs (id, user_id, job_type, status,"
					" total_documents, created_at, updated_at) VALUES (%Q, %Q,"
					" 'batch', 'pending', 4, '2026-01-01T00:00:00.000000Z',"
					" '2026-01-01T00:00:00.000000Z')", j.id, u.id);
	CHECK_INT(sqlite3_exec(db, job_sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(job_sql);
	sqlite3_close(db);
	CHECK_INT(add_doc(&j, &d[0], T0, "completed", "Sea", "[\"Sea\", \"whales\"]",
			  buf_cstr(&text)), ERR_OK);
	CHECK_INT(add_doc(&j, &d[1], T0 + 1, "failed", "Land", "[\"sea\", \"\xC3\x9C" "ber\"]", NULL),
		  ERR_OK);
	CHECK_INT(add_doc(&j, &d[2], T0 + 1, "failed", "Hill", "[\"\xC3\xBC" "ber\"]", NULL), ERR_OK);
	T.s = old;
	int applied = 0;
	CHECK_INT(store_migrate(s10, &applied), ERR_OK);
	CHECK_INT(applied, migration_count() - 10);

	/* The rows, the index and the counts, as they were. */
	CHECK_INT(store_document_get(s10, &T.a, d[0].id, u.id, &got), ERR_OK);
	CHECK_STR(got.extracted_text, buf_cstr(&text));
	CHECK_STR(got.tags, "[\"Sea\", \"whales\"]");
	CHECK_STR(got.status, "completed");
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	CHECK_INT(store_document_search(s10, &T.a, u.id, "narwhal", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "… ipsum dolor the [[narwhal]]");
	struct store_tag_count *tc = NULL;
	CHECK_INT(store_tag_counts(s10, &T.a, u.id, NULL, 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 3); /* "Über" and "über" one tag since 0013 */
	CHECK_STR(tc[0].tag, "sea");
	CHECK_INT(tc[0].count, 2);
	CHECK_STR(tc[1].tag, "\xC3\xBC" "ber");
	CHECK_INT(tc[1].count, 2);

	/* New writes go through the triggers made again. */
	T.s = s10;
	struct store_document e;
	CHECK_INT(add_doc(&j, &e, T0 + 2, "completed", "Narwhal notes", "[\"sea\"]", "tusks"),
		  ERR_OK);
	T.s = old;
	CHECK_INT(store_document_search(s10, &T.a, u.id, "narwhal", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_tag_counts(s10, &T.a, u.id, "se", 10, &tc, &n), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_INT(tc[0].count, 3);
	const char *blob = NULL;
	CHECK_INT(store_document_delete(s10, &T.a, d[0].id, u.id, T0 + 3, &blob), ERR_OK);
	CHECK_INT(store_document_search(s10, &T.a, u.id, "narwhal", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].doc.id, e.id);
	store_close(s10);

	/* The large columns last, and the index still its content's. */
	db = sqlite_raw(url);
	CHECK(db != NULL);
	sqlite3_stmt *st = NULL;
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM"
				     " pragma_table_info('documents') ORDER BY cid DESC LIMIT 2)",
				     -1, &st, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "extracted_text processing_metadata");
	sqlite3_finalize(st);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO documents_fts (documents_fts, rank)"
			       " VALUES ('integrity-check', 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	buf_release(&text);
}

static void sqlite_extra(void)
{
	RUN(test_sqlite_index_matches_content);
	RUN(test_sqlite_text_last_migration);
}

static void pg_extra(void)
{
	RUN(test_pg_vectors_match_rows);
}

static void store_tests(void)
{
	RUN(test_migrate);
	RUN(test_document_list_pages_and_filters);
	RUN(test_tagged_list_both_ways);
	RUN(test_job_list);
	RUN(test_owners_see_their_own);
	RUN(test_tag_counts);
	RUN(test_tags_unicode_case);
	RUN(test_tag_counts_follow_writes);
	RUN(test_stats);
	RUN(test_delete);
	RUN(test_each);
	RUN(test_stats_in_step);
}

int main(void)
{
	static const struct fixture_suite suite = { "test_store_history", store_tests, sqlite_extra,
						    pg_extra };
	return fixture_main(&suite);
}
