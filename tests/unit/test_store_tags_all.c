/* mtag_tags_all, mtag_lower and mtag_first_match (store_sqlite_func.c,
 * store_snippet.c): the SQL functions behind SQLite's tag filters, tag counts
 * and snippets, on a bare in-memory connection. */
#include <sqlite3.h>

#include "harness.h"
#include "store/store_int.h"

static sqlite3 *db;

/* mtag_tags_all(tags, wanted): 1, 0, NULL as -1, an error as -2. */
static int call(const char *tags, const char *wanted)
{
	sqlite3_stmt *st = NULL;
	int r = -2;
	if (sqlite3_prepare_v2(db, "SELECT mtag_tags_all(?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return -3;
	if (tags)
		sqlite3_bind_text(st, 1, tags, -1, SQLITE_STATIC);
	if (wanted)
		sqlite3_bind_text(st, 2, wanted, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return r;
}

static void test_plain_arrays(void)
{
	CHECK_INT(call("[\"ml\",\"data science\"]", "[\"ml\"]"), 1);
	CHECK_INT(call("[\"ml\",\"data science\"]", "[\"data science\",\"ml\"]"), 1);
	CHECK_INT(call("[\"ml\",\"data science\"]", "[\"ml\",\"data\"]"), 0);
	CHECK_INT(call("[\"ml\"]", "[\"m\"]"), 0);
	CHECK_INT(call("[\"m\"]", "[\"ml\"]"), 0);
	CHECK_INT(call("[]", "[\"ml\"]"), 0);
	CHECK_INT(call(" [ \"a\" , \"b\" ] ", "[\"b\"]"), 1);
	/* Both sides in lower case, beyond ASCII (Unicode's simple case mapping). */
	CHECK_INT(call("[\"Machine Learning\"]", "[\"machine learning\"]"), 1);
	CHECK_INT(call("[\"Été\"]", "[\"Été\"]"), 1);
	CHECK_INT(call("[\"Été\"]", "[\"été\"]"), 1);
	CHECK_INT(call("[\"été\"]", "[\"ÉTÉ\"]"), 1);
	CHECK_INT(call("[\"Übersicht\"]", "[\"ÜBERSICHT\", \"été\"]"), 0);
	CHECK_INT(call("[\"\xC8\xBA\"]", "[\"\xE2\xB1\xA5\"]"), 1); /* Ⱥ and ⱥ: 2 and 3 bytes */
	CHECK_INT(call("[\"ete\"]", "[\"été\"]"), 0);                     /* accents count */
	/* A tag that repeats one wanted twice counts once per wanted. */
	CHECK_INT(call("[\"ml\",\"ml\"]", "[\"ml\",\"ai\"]"), 0);
}

static void test_escapes_and_other_values(void)
{
	CHECK_INT(call("[\"a\\\"b\",\"c\"]", "[\"a\\\"b\"]"), 1);
	CHECK_INT(call("[\"\\u00e9t\\u00e9\"]", "[\"été\"]"), 1);
	CHECK_INT(call("[\"x\\/y\"]", "[\"x/y\"]"), 1);
	/* Numbers, nulls and objects are not tags. */
	CHECK_INT(call("[1,null,{\"a\":\"ml\"},\"ml\"]", "[\"ml\"]"), 1);
	CHECK_INT(call("[1]", "[\"1\"]"), 0);
	/* Not an array, malformed, or no tags at all: no match, no error. */
	CHECK_INT(call("{\"ml\":1}", "[\"ml\"]"), 0);
	CHECK_INT(call("[\"ml\"", "[\"ml\"]"), 0);
	CHECK_INT(call("[\"ml\",]", "[\"ml\"]"), 0);
	CHECK_INT(call("not json", "[\"ml\"]"), 0);
	CHECK_INT(call(NULL, "[\"ml\"]"), 0);
}

static void test_wanted(void)
{
	CHECK_INT(call("[\"ml\"]", NULL), -1);
	CHECK_INT(call("[\"ml\"]", "\"ml\""), -2);
	CHECK_INT(call("[\"ml\"]", "[1]"), -2);
	CHECK_INT(call("[\"ml\"]", "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]"), -2);
}

/* One statement over many rows: wanted is parsed once and kept. */
static void test_one_statement_many_rows(void)
{
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE d (tags TEXT);"
			       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
			       " INSERT INTO d SELECT json_array('t' || (i % 7), 'all', 'T' || (i % 3)) FROM n;",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM d WHERE mtag_tags_all(tags, ?1)", -1,
				     &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "[\"t1\",\"all\"]", -1, SQLITE_STATIC);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	/* i % 7 == 1 or i % 3 == 1 ('T1' folds to 't1'). */
	int want = 0;
	for (int i = 1; i <= 1000; i++)
		want += i % 7 == 1 || i % 3 == 1;
	CHECK_INT(sqlite3_column_int(st, 0), want);
	sqlite3_finalize(st);
}

/* mtag_lower(x) as text, "NULL" for NULL. */
static const char *lower_of(const char *x)
{
	static char out[64];
	sqlite3_stmt *st = NULL;
	snprintf(out, sizeof(out), "error");
	if (sqlite3_prepare_v2(db, "SELECT mtag_lower(?1)", -1, &st, NULL) != SQLITE_OK)
		return out;
	if (x)
		sqlite3_bind_text(st, 1, x, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(out, sizeof(out), "%s", v ? (const char *)v : "NULL");
	}
	sqlite3_finalize(st);
	return out;
}

static void test_lower(void)
{
	CHECK_STR(lower_of("\xC3\x9C" "BER Stra\xC3\x9F" "e"), "\xC3\xBC" "ber stra\xC3\x9F" "e"); /* ÜBER Straße */
	CHECK_STR(lower_of("\xC8\xBA"), "\xE2\xB1\xA5");                                  /* Ⱥ -> ⱥ */
	CHECK_STR(lower_of("ok\xFF"), "ok\xFF");                                          /* a stray byte kept */
	CHECK_STR(lower_of(""), "");
	CHECK_STR(lower_of(NULL), "NULL");
}

/* The text from mtag_first_match(text, marks) on, as the search's slice takes it. */
static const char *from_first(const char *sql_text, const char *marks)
{
	static char out[64];
	sqlite3_stmt *st = NULL;
	char *sql = sqlite3_mprintf("SELECT mtag_first_match(%s, %Q), substr(%s, max(1,"
				    " mtag_first_match(%s, %Q)))", sql_text, marks, sql_text,
				    sql_text, marks);
	snprintf(out, sizeof(out), "error");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%d:%s", sqlite3_column_int(st, 0),
			 sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "NULL");
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return out;
}

static void test_first_match(void)
{
	/* Whole tokens, folded as the index folds them: not "cat" in "concatenate". */
	CHECK_STR(from_first("'concatenate the Cats'", "1cat"), "17:Cats");
	CHECK_STR(from_first("'\xC3\x89t\xC3\xA9 et \xC3\xA9t\xC3\xA9'", "0ete"), "1:\xC3\x89t\xC3\xA9 et \xC3\xA9t\xC3\xA9");
	CHECK_STR(from_first("'un \xC3\xA9t\xC3\xA9'", "0ete"), "4:\xC3\xA9t\xC3\xA9");
	CHECK_STR(from_first("'catalogue'", "0cat"), "0:catalogue"); /* a whole word wanted */
	/* Stray continuation bytes count one character each, as in substr(). */
	CHECK_STR(from_first("CAST(x'618080808020636174' AS TEXT)", "1cat"), "7:cat");
	CHECK_STR(from_first("'no match here'", "1cat"), "0:no match here");
	CHECK_STR(from_first("'cat'", ""), "0:cat");
	CHECK_STR(from_first("NULL", "1cat"), "0:NULL");
}

int main(void)
{
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || store_sqlite_func_register(db) != SQLITE_OK) {
		fprintf(stderr, "cannot open an in-memory database\n");
		return 1;
	}
	RUN(test_plain_arrays);
	RUN(test_escapes_and_other_values);
	RUN(test_wanted);
	RUN(test_one_statement_many_rows);
	RUN(test_lower);
	RUN(test_first_match);
	sqlite3_close(db);
	return unit_report("test_store_tags_all");
}
