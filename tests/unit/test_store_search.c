/*
 * test_store_search.c - full-text search over a user's documents (issue 7):
 * the query syntax, accents, tags, ranking, snippets, hostile input and the
 * ranked window; on SQLite and PostgreSQL (store_fixture.h).
 */
#include "base/buf.h"
#include "store_fixture.h"

static void test_migrate(void)
{
	CHECK_INT(store_migrate(T.s, NULL), ERR_OK);
}

/* The user of the search tests and their documents. */
static struct store_user su;
static struct store_document sd[6];

static void search_setup(void)
{
	struct store_job j;
	new_user(&su);
	new_job(&j, su.id, 6, T0);
	add_doc(&j, &sd[0], T0 + 1, "completed", "Technology review", "[\"Computing\"]", "plain words here");
	add_doc(&j, &sd[1], T0 + 2, "completed", "Résumé tips", "[\"career\"]", "how to write one");
	add_doc(&j, &sd[2], T0 + 3, "completed", "Notes", "[\"misc\"]",
		"the zebra crossing is striped, and e-mail is example.com");
	add_doc(&j, &sd[3], T0 + 4, "completed", "Mixed", "[\"alpha\"]", "quick brown fox jumps");
	add_doc(&j, &sd[4], T0 + 5, "completed", "Other", "[\"beta\"]", "quick red fox");
	add_doc(&j, &sd[5], T0 + 6, "failed", "Ünïcode ÉTÉ", "[\"Ça va\"]", "naïve café");
}

/* Search u's documents; OUT: the hits' indexes in d[0..nd), best first, as a string "31". */
static const char *hits_of(const struct store_user *u, const struct store_document *d, int nd,
			   const char *q, const struct store_doc_filter *f)
{
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	char *s = arena_alloc(&T.a, 16);
	size_t k = 0;
	if (store_document_search(T.s, &T.a, u->id, q, f, 10, 0, &h, &n, &total) != ERR_OK)
		return "error";
	for (size_t i = 0; i < n && k < 15; i++)
		for (int j = 0; j < nd; j++)
			if (!strcmp(h[i].doc.id, d[j].id))
				s[k++] = (char)('0' + j);
	s[k] = '\0';
	return n == total || n == 10 ? s : "bad total";
}

/* su's hits, best first. */
static const char *found(const char *q, const struct store_doc_filter *f)
{
	return hits_of(&su, sd, 6, q, f);
}

static void test_search_syntax(void)
{
	struct store_document *list = NULL;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	search_setup();
	CHECK_STR(found("tech", NULL), "0");            /* a title word's prefix */
	CHECK_STR(found("TECHNOLOGY", NULL), "0");
	CHECK_STR(found("computing", NULL), "0");       /* a tag */
	CHECK_STR(found("zebra", NULL), "2");           /* only in the text */
	CHECK_STR(found("\"brown fox\"", NULL), "3");   /* a phrase */
	CHECK_STR(found("\"fox brown\"", NULL), "");
	CHECK_STR(found("quick fox", NULL), "43");      /* all words */
	CHECK_STR(found("quick -brown", NULL), "4");    /* exclusion */
	CHECK_STR(found("quick -\"brown fox\"", NULL), "4");
	CHECK_STR(found("-quick", NULL), "");           /* nothing positive: nothing */
	CHECK(strlen(found("zebra OR career", NULL)) == 2);
	CHECK_STR(found("zebra OR", NULL), "2");
	CHECK_STR(found("resume", NULL), "1");          /* accents ignored */
	CHECK_STR(found("RÉSUMÉ", NULL), "1");
	CHECK_STR(found("ete unicode", NULL), "5");
	CHECK_STR(found("\"ça va\"", NULL), "5");
	CHECK_STR(found("ça", NULL), "51"); /* a prefix of "career" too */
	CHECK_STR(found("cafe naive", NULL), "5");
	CHECK_STR(found("e-mail", NULL), "2");
	CHECK_STR(found("example", NULL), "2");
	CHECK_STR(found("example.com", NULL), "2");
	/* PostgreSQL stems English documents (test_search_stems); SQLite does not. */
	CHECK_STR(found("zebras", NULL), strcmp(T.name, "sqlite") ? "2" : "");
	struct store_doc_filter f = { .status = "failed" };
	CHECK_STR(found("cafe", &f), "5");
	CHECK_STR(found("quick", &f), "");
	f = (struct store_doc_filter){ .tags = { "ALPHA" }, .ntags = 1 };
	CHECK_STR(found("quick", &f), "3");
	/* Tags narrow the index's match and are then compared whole. */
	f = (struct store_doc_filter){ .tags = { "Ça va" }, .ntags = 1 };
	CHECK_STR(found("cafe", &f), "5");
	f = (struct store_doc_filter){ .tags = { "va Ça" }, .ntags = 1 };
	CHECK_STR(found("cafe", &f), "");
	f = (struct store_doc_filter){ .tags = { "Ça" }, .ntags = 1 };
	CHECK_STR(found("cafe", &f), "");
	f = (struct store_doc_filter){ .tags = { "misc" }, .ntags = 1 };
	CHECK_STR(found("zebra", &f), "2");
	f = (struct store_doc_filter){ .tags = { "zebra" }, .ntags = 1 }; /* a word of the text */
	CHECK_STR(found("zebra", &f), "");
	f = (struct store_doc_filter){ .tags = { "alpha", "beta" }, .ntags = 2 };
	CHECK_STR(found("quick", &f), "");
	f = (struct store_doc_filter){ .tags = { "++" }, .ntags = 1 };
	CHECK_STR(found("quick", &f), "");
	f = (struct store_doc_filter){ .tags = { "\" OR \"*" }, .ntags = 1 };
	CHECK_STR(found("quick", &f), "");
	/* A tag in decomposed form (e + U+0301): the index joins the mark to its
	 * letter, the query's tokens would not; the exact test alone finds it. */
	struct store_job jn;
	struct store_document nfd, memo;
	new_job(&jn, su.id, 2, T0);
	CHECK_INT(add_doc(&jn, &nfd, T0 + 7, "completed", "Decomposed", "[\"re\xcc\x81sume\xcc\x81\"]",
			  "a plain memo"), ERR_OK);
	f = (struct store_doc_filter){ .tags = { "re\xcc\x81sume\xcc\x81" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, su.id, "memo", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].doc.id, nfd.id);
	CHECK_INT(store_document_list(T.s, &T.a, su.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	/* The wanted tag's words are no match of the query: not highlighted. */
	CHECK_INT(add_doc(&jn, &memo, T0 + 8, "completed", "Memo", "[\"memo\"]",
			  "memo about a walrus"), ERR_OK);
	f = (struct store_doc_filter){ .tags = { "memo" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, su.id, "walrus", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(h[0].snippet, "memo about a [[walrus]]");
	/* The list's tag filter reads the index the same way. */
	f = (struct store_doc_filter){ .tags = { "zebra" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, su.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 0);
	f = (struct store_doc_filter){ .tags = { "MISC" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, su.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(list[0].id, sd[2].id);
	f = (struct store_doc_filter){ .tags = { "Ça va" }, .ntags = 1 };
	CHECK_INT(store_document_list(T.s, &T.a, su.id, &f, 10, 0, &list, &n, &total), ERR_OK);
	CHECK_INT(total, 1);
	CHECK_STR(list[0].id, sd[5].id);
	f = (struct store_doc_filter){ .lang = "en", .from_us = T0 + 5 };
	CHECK_STR(found("quick", &f), "4");
}

/*
 * Where a snippet's slice starts: the first token a query's word begins,
 * whatever its case or accents, not a part of another word ("concatenate"
 * for "cat"), 5 KB into a text of j's user.
 */
static void check_slices(const struct store_job *j)
{
	struct store_document d;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	struct buf far = BUF_INIT(1 << 16);
	for (int i = 0; i < 200; i++)
		buf_puts(&far, "filler concatenate dolor ");
	buf_puts(&far, "the \xC3\x9C" "bersicht of \xC3\x89t\xC3\xA9 cats ");
	for (int i = 0; i < 200; i++)
		buf_puts(&far, "filler lorem ipsum dolor ");
	CHECK_INT(add_doc(j, &d, T0 + 3, "completed", "Far", "[]", buf_cstr(&far)), ERR_OK);
	buf_release(&far);
	CHECK_INT(store_document_search(T.s, &T.a, j->user_id, "\xC3\xBC" "bersicht", NULL, 10, 0, &h,
					  &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "… concatenate dolor the [[\xC3\x9C" "bersicht]] of \xC3\x89t\xC3\xA9 cats"
				" filler lorem ipsum dolor filler lorem ipsum dolor filler …");
	CHECK_INT(store_document_search(T.s, &T.a, j->user_id, "ete", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "… the \xC3\x9C" "bersicht of [[\xC3\x89t\xC3\xA9]] cats filler lorem"
				" ipsum dolor filler lorem ipsum dolor filler lorem ipsum …");
	CHECK_INT(store_document_search(T.s, &T.a, j->user_id, "cat", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "… \xC3\x9C" "bersicht of \xC3\x89t\xC3\xA9 [[cats]] filler lorem ipsum"
				" dolor filler lorem ipsum dolor filler lorem ipsum dolor …");
}

/*
 * A match deep in a long text: the fragment is short and around it. It
 * starts three tokens before the first match and is 16 tokens long (both
 * drivers: store_marker_snippet on a slice of the text), runs of white
 * space become one space.
 */
static void test_snippets_of_long_texts(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d;
	struct buf text = BUF_INIT(1 << 20);
	new_user(&u);
	new_job(&j, u.id, 2, T0);
	buf_puts(&text, "opening words here ");
	for (int i = 0; i < 2400; i++) /* 60 KB */
		buf_puts(&text, "filler lorem ipsum dolor ");
	buf_puts(&text, "the narwhal\n\n swims  north ");
	for (int i = 0; i < 4000; i++)
		buf_puts(&text, "filler lorem ipsum dolor ");
	CHECK_INT(add_doc(&j, &d, T0, "completed", "Long", "[\"sea\"]", buf_cstr(&text)), ERR_OK);
	buf_release(&text);

	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "narwhal", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK(h[0].snippet && strstr(h[0].snippet, "[[narwhal]]") && strlen(h[0].snippet) < 400);
	/* White space runs, line breaks and U+FFFD (a PDF's unmapped spaces) as one space. */
	CHECK(h[0].snippet && !strchr(h[0].snippet, '\n') && !strstr(h[0].snippet, "  "));
	CHECK_STR(h[0].snippet, "… ipsum dolor the [[narwhal]] swims north filler lorem ipsum dolor"
				" filler lorem ipsum dolor filler lorem …");
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "\"narwhal swims\"", NULL, 10, 0, &h, &n,
					  &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK(h[0].snippet && strstr(h[0].snippet, "the [[narwhal]] [[swims]] north"));
	/* A match among the first tokens: the fragment starts the value, no ellipsis before. */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "opening", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "[[opening]] words here filler lorem ipsum dolor filler lorem ipsum"
				" dolor filler lorem ipsum dolor filler …");
	/* The first words of a short text; the title's when the text marks nothing. */
	CHECK_INT(add_doc(&j, &d, T0 + 2, "completed", "Whale songs", "[]",
			  "Short, sweet: a text."), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "whale", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "[[Whale]] songs");
	CHECK_INT(add_doc(&j, &d, T0 + 1, "completed", "Glyphs", "[]",
			  "alpha\xef\xbf\xbd\xef\xbf\xbd" "beta\xef\xbf\xbd" "gamma"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "beta", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "alpha [[beta]] gamma");
	check_slices(&j);
}

/* A query and (part of) the snippet of its one hit; NULL: it finds nothing. */
struct found {
	const char *query, *snippet;
};

/* A new user's one document of text; each query finds it, its snippet holding what is said
 * (or finds nothing, as said). */
static void check_found(const char *title, const char *text, const struct found *cases, size_t n)
{
	struct store_user u;
	struct store_job j;
	struct store_document d;
	struct store_hit *h = NULL;
	size_t hits = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 1, T0);
	CHECK_INT(add_doc(&j, &d, T0, "completed", title, "[]", text), ERR_OK);
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(store_document_search(T.s, &T.a, u.id, cases[i].query, NULL, 10, 0, &h,
						  &hits, &total), ERR_OK);
		CHECK_INT(hits, cases[i].snippet ? 1 : 0);
		if (hits == 1 && cases[i].snippet && !strstr(h[0].snippet, cases[i].snippet))
			CHECK_STR(h[0].snippet, cases[i].snippet);
	}
}

/*
 * ß, æ, œ, þ and ĳ are found written as two letters and the other way round,
 * whatever their case, and marked in the snippets (PostgreSQL's unaccent
 * folds them; SQLite's index from migration 0014).
 */
static void test_search_ligatures(void)
{
	static const struct found cases[] = {
		{ "strasse", "Die [[Stra\xC3\x9F" "e]]" },
		{ "STRA\xC3\x9F" "E", "Die [[Stra\xC3\x9F" "e]]" },
		{ "GR\xC3\x96SSE", "[[Gr\xC3\xB6\xC3\x9F" "e]] und \xC5\x92uvre" },
		{ "oeuvre", "Gr\xC3\xB6\xC3\x9F" "e und [[\xC5\x92uvre]]" },
		{ "\xC5\x93uv", "Gr\xC3\xB6\xC3\x9F" "e und [[\xC5\x92uvre]]" },
	};
	check_found("Die Stra\xC3\x9F" "e", "Gr\xC3\xB6\xC3\x9F" "e und \xC5\x92uvre", cases,
		    sizeof(cases) / sizeof(cases[0]));
}

/*
 * Letters unaccent writes as others (ð, ø, ł, ħ, Greek with accents, ё,
 * full-width, Roman numerals) are found and marked the same on both
 * databases (SQLite's index from migration 0016).
 */
static void test_search_letters(void)
{
	static const struct found cases[] = {
		{ "lodz", "[[Łódź]] und" },   { "oresund", "[[Øresund]]," }, { "øresund", "[[Øresund]]," },
		{ "hamrun", "[[Ħamrun]]," }, { "full", "[[ｆｕｌｌ]] Kapitel" }, { "xii", "[[Ⅻ]]" },
		{ "gudrun", "[[Guðrún]] in" }, { "αθηνα", "[[Αθήνα]]," }, { "αρχη", "[[ἀρχή]]," },
		{ "елка", "[[ёлка]]" },
		/* Greek's final sigma is σ: found typed either way, in either case. */
		{ "κόσμος", "[[ΚΌΣΜΟΣ]] σοφός" }, { "κοσμοσ", "[[ΚΌΣΜΟΣ]] σοφός" },
		{ "ΣΟΦΟΣ", "ΚΌΣΜΟΣ [[σοφός]]" }, { "σοφοσ", "ΚΌΣΜΟΣ [[σοφός]]" },
		/* Arabic and Hebrew vowel marks: the word found as typed without them, or with. */
		{ "حبيبي", "[[حَبيبي]] قال" }, { "حَبيبي", "[[حَبيبي]] قال" },
		{ "שלום", "[[שָׁלוֹם]] עולם" },
	};
	check_found("Reisen", "Łódź und Øresund, Ħamrun, ｆｕｌｌ Kapitel Ⅻ, Guðrún in Αθήνα, ἀρχή, ёлка,"
		    " حَبيبي قال, שָׁלוֹם עולם, ΚΌΣΜΟΣ σοφός", cases, sizeof(cases) / sizeof(cases[0]));
	/* Deep in a long text, where the snippet comes from a slice around the first match. */
	struct buf far = BUF_INIT(1 << 16);
	for (int i = 0; i < 300; i++)
		buf_puts(&far, "filler lorem ipsum dolor ");
	buf_puts(&far, "Guðrún ｆｕｌｌ Αθήνα ёлка Øresund حَبيبي σοφός ");
	for (int i = 0; i < 300; i++)
		buf_puts(&far, "filler lorem ipsum dolor ");
	static const struct found deep[] = {
		{ "gudrun", "[[Guðrún]] ｆｕｌｌ" }, { "full", "[[ｆｕｌｌ]] Αθήνα" }, { "αθηνα", "[[Αθήνα]] ёлка" },
		{ "елка", "[[ёлка]] Øresund" }, { "oresund", "[[Øresund]] حَبيبي" },
		{ "حبيبي", "[[حَبيبي]] σοφός" }, { "σοφοσ", "[[σοφός]] filler" },
	};
	check_found("Far", buf_cstr(&far), deep, sizeof(deep) / sizeof(deep[0]));
	buf_release(&far);
}

/*
 * Chinese and Japanese, written without spaces, are found by any word within
 * a run of letters (pairs of letters in the index: SQLite's tokenizer,
 * PostgreSQL's migration 0018), and the run holding it is marked; letters
 * that are not next to each other in the text are not a match.
 */
static void test_search_unspaced(void)
{
	static const struct found cases[] = {
		{ "电气", "[[东北电气发展股份有限公司]] 2018年" },
		{ "季度报告", "[[2018年第一季度报告全文]]" },
		{ "2018年", "[[2018年第一季度报告全文]]" },
		{ "董事会", "[[公司董事会]]" },
		{ "电", "[[东北电气发展股份有限公司]]" },
		{ "文", "[[2018年第一季度报告全文]]" },
		{ "確率", "[[リスク中立確率は一意ではなく]]" },
		{ "マーケット", "[[標準マーケットモデルは2次元で説明する]]" },
		/* Letters of the text, not next to each other there. */
		{ "电气报告", NULL }, { "董事会公司", NULL }, { "確率リスク", NULL },
	};
	const char *text = "东北电气发展股份有限公司 2018年第一季度报告全文。公司董事会、监事会保证报告内容的真实。"
			   "標準マーケットモデルは2次元で説明する。リスク中立確率は一意ではなく";
	check_found("Bericht", text, cases, sizeof(cases) / sizeof(cases[0]));
	/* Deep in a long text, where the snippet comes from a slice around the first match. */
	struct buf far = BUF_INIT(1 << 16);
	for (int i = 0; i < 300; i++)
		buf_puts(&far, "filler lorem ipsum dolor ");
	buf_puts(&far, "其他公司。公司董事会保证季度报告内容的真实。");
	for (int i = 0; i < 300; i++)
		buf_puts(&far, "filler lorem ipsum dolor ");
	static const struct found deep[] = {
		{ "董事会", "[[公司董事会保证季度报告内容的真实]]" },
		{ "季度报告", "[[公司董事会保证季度报告内容的真实]]" },
	};
	check_found("Far", buf_cstr(&far), deep, sizeof(deep) / sizeof(deep[0]));
	buf_release(&far);
}

/* The terms the tokenizer mtag with options opts indexes text as, joined by spaces. */
static const char *fts_terms(const char *opts, const char *text)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *out = "(failed)";
	char *sql = arena_printf(&T.a, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'mtag %s');"
				 "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row');", opts);
	if (sqlite3_open(":memory:", &db) == SQLITE_OK && store_sqlite_fts_register(db) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE) {
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT group_concat(term, ' ') FROM (SELECT term FROM v"
					   " ORDER BY term)", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			out = arena_strdup(&T.a, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* The option bigrams alone makes pairs: a table without it keeps a run whole. */
static void test_tokenizer_options(void)
{
	if (strcmp(T.name, "sqlite"))
		return;
	CHECK_STR(fts_terms("letters remove_diacritics 2", "u0123456789ab \u5b63\u5ea6\u62a5\u544a"),
		  "u0123456789ab\u5b63\u5ea6\u62a5\u544a");
	CHECK_STR(fts_terms("bigrams letters remove_diacritics 2", "u0123456789ab 2018\u5b63\u5ea6\u62a5"),
		  "u0123456789ab2018 u0123456789ab\u5b63\u5ea6 u0123456789ab\u5ea6\u62a5"
		  " u0123456789ab\u62a5");
}

static void test_search_snippets(void)
{
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	CHECK_INT(store_document_search(T.s, &T.a, su.id, "zebra", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	/* A fragment starts at a word of the text, never at the owner's key before it. */
	CHECK(h[0].snippet && !strncmp(h[0].snippet, "the [[zebra]] crossing", 22));
	CHECK(h[0].doc.extracted_text == NULL);
	CHECK_STR(h[0].doc.title, "Notes");
	CHECK(h[0].rank > 0);
	/* No match in the text: the title's. */
	CHECK_INT(store_document_search(T.s, &T.a, su.id, "tech", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "[[Technology]] review");
	/* Accented text is highlighted too. */
	CHECK_INT(store_document_search(T.s, &T.a, su.id, "cafe", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].snippet, "naïve [[café]]");
	/* Pages of the search; past the last hit or of no rows, the total still
	 * (PostgreSQL then counts the window apart). */
	static const struct {
		size_t limit, offset, n;
	} pages[] = { { 1, 1, 1 }, { 0, 0, 0 }, { 5, 2, 0 }, { 5, 0, 2 } };
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		CHECK_INT(store_document_search(T.s, &T.a, su.id, "quick", NULL, pages[i].limit,
						pages[i].offset, &h, &n, &total), ERR_OK);
		CHECK_INT(n, pages[i].n);
		CHECK_INT(total, 2);
	}
}

static void test_search_ranking(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document strong, weak;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 2, T0);
	CHECK_INT(add_doc(&j, &strong, T0 + 1, "completed", "Kiwi kiwi kiwi kiwi kiwi",
			  "[\"kiwi\", \"kiwi fruit\", \"kiwi farming\", \"kiwi export\", \"kiwi\"]",
			  "a short text about orchards"), ERR_OK);
	CHECK_INT(add_doc(&j, &weak, T0 + 2, "completed", "Orchards",
			  "[\"fruit\"]", "many words about many fruits, and one kiwi among them,"
			  " with more words after it so that the text is longer than the title"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "kiwi", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(h[0].doc.id, strong.id);
	CHECK_STR(h[1].doc.id, weak.id);
	CHECK(h[0].rank > h[1].rank);
	/* A tag filter narrows, it does not rank: the same scores with it. */
	double strong_rank = h[0].rank, weak_rank = h[1].rank;
	struct store_doc_filter fruit = { .tags = { "kiwi fruit" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "kiwi", &fruit, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK_STR(h[0].doc.id, strong.id);
	CHECK(h[0].rank == strong_rank);
	fruit.tags[0] = "fruit";
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "kiwi", &fruit, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK(h[0].rank == weak_rank);
	/* SQLite's bm25 weighs the rarer of two words more (its inverse document
	 * frequency: the user's documents that hold the word, against all rows of
	 * the index): the rare word in the title before the common one there, the
	 * other word in the text of each (equal weights would leave them tied: the
	 * newer first). */
	if (!strcmp(T.name, "sqlite")) {
		struct store_user v;
		struct store_job k;
		struct store_document d, rare, common;
		new_user(&v);
		new_job(&k, v.id, 2, T0);
		for (int i = 0; i < 40; i++)
			CHECK_INT(add_doc(&k, &d, T0 + i, "completed", "Notes", "[]", "the plain notes"), ERR_OK);
		CHECK_INT(add_doc(&k, &common, T0 + 41, "completed", "The", "[]", "kiwi pear"), ERR_OK);
		CHECK_INT(add_doc(&k, &rare, T0 + 40, "completed", "Kiwi", "[]", "the pear"), ERR_OK);
		CHECK_INT(store_document_search(T.s, &T.a, v.id, "the kiwi", NULL, 10, 0, &h, &n, &total),
			  ERR_OK);
		CHECK_INT(n, 2);
		CHECK_STR(h[0].doc.id, rare.id);
		CHECK_STR(h[1].doc.id, common.id);
		/* Words weigh by how rare they are among the owner's documents, not
		 * the table's: "plum" is in every one of w's, so it weighs (almost)
		 * nothing and the document with "fig" twice comes first. Counted
		 * against every row of the index (x's 250 and the other tests'),
		 * "plum" weighed as a rare word, and the one with "plum" eight times
		 * won. */
		struct store_user w, x;
		struct store_job m, o;
		struct store_document plums, figs;
		new_user(&x);
		new_job(&o, x.id, 250, T0);
		for (int i = 0; i < 250; i++)
			CHECK_INT(add_doc(&o, &d, T0 + i, "completed", "Other", "[]", "other words"), ERR_OK);
		new_user(&w);
		new_job(&m, w.id, 12, T0);
		for (int i = 0; i < 10; i++)
			CHECK_INT(add_doc(&m, &d, T0 + i, "completed", "Notes", "[]", "plum notes"), ERR_OK);
		CHECK_INT(add_doc(&m, &plums, T0 + 10, "completed", "Plum plum", "[]",
				  "plum plum plum plum plum plum fig"), ERR_OK);
		CHECK_INT(add_doc(&m, &figs, T0 + 11, "completed", "Notes", "[]", "plum fig fig"), ERR_OK);
		CHECK_INT(store_document_search(T.s, &T.a, w.id, "plum fig", NULL, 10, 0, &h, &n, &total),
			  ERR_OK);
		CHECK_INT(n, 2);
		CHECK_STR(h[0].doc.id, figs.id);
		CHECK_STR(h[1].doc.id, plums.id);
	}
	/* A word near PostgreSQL's 2,046-byte lexeme limit (with the owner's key past
	 * it) neither fails the write nor hides the document's other words. */
	struct store_document longword;
	char *text = arena_alloc(&T.a, 2100);
	memcpy(text, "pomelo ", 7);
	memset(text + 7, 'z', 2040);
	strcpy(text + 2047, " grows");
	CHECK_INT(add_doc(&j, &longword, T0 + 3, "completed", "Long", "[]", text), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "pomelo grows", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	/* 256 Ki characters of distinct 4-letter words: with the owner's key on each
	 * lexeme the vector would pass PostgreSQL's 1 MB; the text is indexed shorter. */
	struct store_document codes;
	size_t cap = 262144, at = 0;
	char *many = arena_alloc(&T.a, cap + 1);
	at += (size_t)sprintf(many, "kumquat ");
	for (int w = 0; at + 5 <= cap; w++) {
		for (int k = 0, v = w; k < 4; k++, v /= 26)
			many[at++] = (char)('a' + v % 26);
		many[at++] = ' ';
	}
	many[at] = '\0';
	CHECK_INT(add_doc(&j, &codes, T0 + 4, "completed", "Codes", "[]", many), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "kumquat", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
}

/*
 * Pages of a ranked search: best first, equal scores newest first, and the
 * pages one ranking cut in order (SQLite ranks the window in C and reads a
 * page's rows by rowid, in no order of their own).
 */
static void test_search_pages(void)
{
	static const char *const titles[] = { "plum", "plum plum", "plum plum plum", "plum",
					      "plum plum plum plum", "plum plum", "plum", "plum" };
	/* The last two are stored last but are older: equal scores go by time. */
	static const int64_t at[] = { 0, 1, 2, 3, 4, 5, -1, -2 };
	enum { N = 8 };
	struct store_user u;
	struct store_job j;
	struct store_document d[N];
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, N, T0);
	for (int i = 0; i < N; i++)
		CHECK_INT(add_doc(&j, &d[i], T0 + at[i], "completed", titles[i], "[]",
				  "orchard notes"), ERR_OK);
	/* By title words 4, 3, 2, 2, 1..., the newer first among equals. */
	const int want[N] = { 4, 2, 5, 1, 3, 0, 6, 7 };
	for (size_t offset = 0; offset < N; offset += 2) {
		CHECK_INT(store_document_search(T.s, &T.a, u.id, "plum", NULL, 2, offset, &h, &n,
						&total), ERR_OK);
		CHECK_INT(n, 2);
		CHECK_INT(total, N);
		CHECK_STR(h[0].doc.id, d[want[offset]].id);
		CHECK_STR(h[1].doc.id, d[want[offset + 1]].id);
		CHECK(h[0].rank >= h[1].rank);
		/* The text does not match: the title's snippet, every word marked. */
		char marked[64] = "";
		for (const char *w = titles[want[offset]]; w; w = strchr(w + 1, ' '))
			strcat(marked, *marked ? " [[plum]]" : "[[plum]]");
		CHECK_STR(h[0].snippet, marked);
	}
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "plum", NULL, 2, N, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, N);
}

static void test_search_hostile(void)
{
	char *big = arena_alloc(&T.a, 10 * 1024 + 1);
	for (int i = 0; i < 10 * 1024; i++)
		big[i] = "ab\"-( *%_\\'"[i % 11];
	big[10 * 1024] = '\0';
	const char *queries[] = {
		"\"", "\"\"", "'", "%", "_", "\\", "\\\\", "*", "NEAR(a b)", "AND OR NOT", "-", "--",
		"(((", ")))", big, "title:x", "^x", "x:", "{title}: x", "😀", "😀 tech",
		"\xff\xfe", "tec\xc3", "a\"b", "OR", "OR OR", "- OR -", "'; DROP TABLE documents; --",
		"\"unbalanced quote", "tech*", "t*ch", "!tech", "tech:*", "& | ! <->", "NOT tech",
		"a\tb\nc", "x'y", "\x01\x02", "%tech%", "_ech",
	};
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct store_hit *h = NULL;
		size_t n = 0, total = 0;
		CHECK_INT(store_document_search(T.s, &T.a, su.id, queries[i], NULL, 10, 0, &h, &n,
						&total), ERR_OK);
		CHECK(n <= total);
	}
	/* Operators are words, never operators; punctuation alone finds nothing. */
	CHECK_STR(found("%", NULL), "");
	CHECK_STR(found("\"\"", NULL), "");
	CHECK_STR(found("", NULL), "");
	CHECK_STR(found(NULL, NULL), "");
	CHECK_STR(found("*", NULL), "");
	CHECK_STR(found("NOT tech", NULL), "");
	CHECK_STR(found("tech*", NULL), "0");
	CHECK_STR(found("%tech%", NULL), "0");
	CHECK_STR(found("😀 tech", NULL), "0");
	CHECK_STR(found("title:tech", NULL), "");
	CHECK_STR(found(big, NULL), "");
}

/*
 * Search ranks the newest STORE_SEARCH_WINDOW matches after the filters:
 * total stops there, an older match however strong is not ranked, and a
 * filter that leaves fewer matches finds them all.
 */
static void test_search_window(void)
{
	enum { OLD = 3, N = STORE_SEARCH_WINDOW + OLD };
	struct store_user u;
	struct store_job j;
	struct store_document d, old[OLD];
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, N, T0);
	for (int i = 0; i < OLD; i++) /* the oldest, and the best matches */
		CHECK_INT(add_doc(&j, &old[i], T0 + i, "completed", "Lantern lantern lantern",
				  "[\"lantern\"]", "lantern lantern"), ERR_OK);
	for (int i = OLD; i < N; i++)
		CHECK_INT(add_doc(&j, &d, T0 + i, "completed", "Note",
				  i % 2 ? "[\"odd\"]" : "[\"even\"]", "one lantern among many words"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lantern", NULL, 100, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, STORE_SEARCH_WINDOW);
	CHECK_INT(n, 100);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < OLD; k++)
			CHECK(strcmp(h[i].doc.id, old[k].id) != 0);
	/* The last page of the window, and past it. */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lant", NULL, 100, 950, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 50);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lant", NULL, 100, 1000, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 0);
	CHECK_INT(total, STORE_SEARCH_WINDOW);
	/* Filters narrow the matches before the window: the old ones are found, best first. */
	struct store_doc_filter f = { .to_us = T0 + OLD };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lantern", &f, 100, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, OLD);
	f = (struct store_doc_filter){ .tags = { "odd" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lantern", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, (N - OLD) / 2);
	f = (struct store_doc_filter){ .tags = { "lantern" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "lantern", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, OLD);
	CHECK_STR(h[0].doc.title, "Lantern lantern lantern");
}

/*
 * With more documents than twice the window over several days, PostgreSQL
 * looks for the window among the owner's newest documents first (from the
 * day since which they number PG_RECENT_DOCS) and over all of them when that
 * part holds less than a window. Either way the window is the newest
 * matches after the filters, the same on both drivers.
 */
/* The oldest document of the window of u's search q, read page by page; NULL on error. */
static const char *window_oldest(const struct store_user *u, const char *q,
				 const struct store_doc_filter *f, size_t *total)
{
	const char *id = NULL;
	int64_t at = 0;
	for (size_t off = 0;; off += 100) {
		struct store_hit *h = NULL;
		size_t n = 0;
		if (store_document_search(T.s, &T.a, u->id, q, f, 100, off, &h, &n, total) != ERR_OK)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!id || h[i].doc.created_at < at) {
				id = h[i].doc.id;
				at = h[i].doc.created_at;
			}
		if (n < 100)
			return id;
	}
}

static void test_search_window_recent_first(void)
{
	enum { DAYS = 21, PER_DAY = 100, N = DAYS * PER_DAY };
	const int64_t day = 86400LL * 1000000LL;
	struct store_user u;
	struct store_job j;
	struct store_document d, oldest_every = { 0 }, oldest_half = { 0 };
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, N, T0);
	for (int i = 0; i < N; i++) {
		char text[64];
		snprintf(text, sizeof(text), "every%s%s%s", i % 2 ? " half" : "", i % 3 ? "" : " third",
			 i < 5 ? " ancient" : "");
		CHECK_INT(add_doc(&j, &d, T0 + (i / PER_DAY) * day + i % PER_DAY, "completed", "Note",
				  i < 10 ? "[\"old\"]" : i >= 50 ? "[\"most\"]" : "[]", text), ERR_OK);
		if (i == N - STORE_SEARCH_WINDOW)
			oldest_every = d;
		if (i == N - 1 - 2 * (STORE_SEARCH_WINDOW - 1))
			oldest_half = d;
	}
	/* A window full in the newest days: its oldest hit is the 1,000th newest match. */
	CHECK_STR(window_oldest(&u, "every", NULL, &total), oldest_every.id);
	CHECK_INT(total, STORE_SEARCH_WINDOW);
	CHECK_STR(window_oldest(&u, "half", NULL, &total), oldest_half.id);
	CHECK_INT(total, STORE_SEARCH_WINDOW);
	/* Fewer matches than a window there: all of them, the older ones too. */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "third", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(total, N / 3);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "ancient", NULL, 10, 0, &h, &n, &total),
		  ERR_OK);
	CHECK_INT(total, 5);
	struct store_doc_filter f = { .tags = { "old" }, .ntags = 1 };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "every", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, 10);
	/* A tag on more than two windows of documents: PostgreSQL looks among the newest
	 * of them first (search_recent); the same window either way. */
	f = (struct store_doc_filter){ .tags = { "most" }, .ntags = 1 };
	CHECK_STR(window_oldest(&u, "every", &f, &total), oldest_every.id);
	CHECK_INT(total, STORE_SEARCH_WINDOW);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "third", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, (2097 - 51) / 3 + 1); /* i >= 50 with i % 3 == 0: 51, 54, ... 2097 */
	f = (struct store_doc_filter){ .from_us = T0 + (DAYS - 1) * day };
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "every", &f, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(total, PER_DAY);
}

static int cmp_char(const void *x, const void *y)
{
	return *(const char *)x - *(const char *)y;
}

/* u's hits in any order, as a sorted string. */
static const char *found_in(const struct store_user *u, const struct store_document *d, int nd,
			    const char *q, const struct store_doc_filter *f)
{
	char *s = arena_strdup(&T.a, hits_of(u, d, nd, q, f));
	qsort(s, strlen(s), 1, cmp_char);
	return s;
}

/* A completed document of job j in language lang. */
static enum mtag_err add_lang_doc(const struct store_job *j, struct store_document *d, int64_t at,
				  const char *lang, const char *title, const char *text)
{
	make_document(d, j);
	d->created_at = at;
	d->status = "completed";
	d->title = title;
	d->tags = "[]";
	d->extracted_text = text;
	d->language = lang;
	return store_document_create(T.s, d);
}

/*
 * PostgreSQL indexes a document in a language it has a stemmer for by its
 * stems (migration 0011): "universities" finds "university" in English,
 * "travailler" finds "travaillaient" in French, prefixes work on the stems,
 * stop words stay findable, a language's stems match its documents only, and
 * a document of no such language is matched by its words only.
 */
static void test_search_stems(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d[5];
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 5, T0);
	CHECK_INT(add_doc(&j, &d[0], T0 + 1, "completed", "Annual report", "[\"budget\"]",
			  "the new university programs were running late after parting"), ERR_OK);
	CHECK_INT(add_lang_doc(&j, &d[1], T0 + 2, "fr", "Rapport",
			       "les chercheurs travaillaient sur des résumés des parties"), ERR_OK);
	CHECK_INT(add_lang_doc(&j, &d[2], T0 + 3, "und", "Notes", "a university"), ERR_OK);
	/* Pending, no language yet; finished in English: indexed again with stems. */
	make_document(&d[3], &j);
	d[3].created_at = T0 + 4;
	CHECK_INT(store_document_create(T.s, &d[3]), ERR_OK);
	d[3].status = "completed";
	d[3].title = "Minutes";
	d[3].tags = "[]";
	d[3].extracted_text = "committees meeting twice";
	d[3].language = "en";
	d[3].processed_at = T0 + 5;
	CHECK_INT(store_document_finish(T.s, &d[3]), ERR_OK);

	CHECK_STR(found_in(&u, d, 4, "universities", NULL), "0");  /* a stem, English only */
	CHECK_STR(found_in(&u, d, 4, "university", NULL), "02");
	CHECK_STR(found_in(&u, d, 4, "univ", NULL), "02");         /* a prefix of the stem too */
	/* A word typed past its stem ("univers") finds documents of words only. */
	CHECK_STR(found_in(&u, d, 4, "universit", NULL), "2");
	CHECK_STR(found_in(&u, d, 4, "runs", NULL), "0");
	CHECK_STR(found_in(&u, d, 4, "program university", NULL), "0");
	CHECK_STR(found_in(&u, d, 4, "\"universities program\"", NULL), "0");
	CHECK_STR(found_in(&u, d, 4, "\"programs universities\"", NULL), "");
	CHECK_STR(found_in(&u, d, 4, "university -runs", NULL), "2");
	CHECK_STR(found_in(&u, d, 4, "the", NULL), "0");           /* no stop words */
	CHECK_STR(found_in(&u, d, 4, "travailler", NULL), "1");    /* French */
	CHECK_STR(found_in(&u, d, 4, "resume", NULL), "1");
	/* A language's stems match that language's documents: French stems
	 * "parties" to "part", which English "parting" also stems to. */
	CHECK_STR(found_in(&u, d, 4, "parties", NULL), "1");
	CHECK_STR(found_in(&u, d, 4, "parted", NULL), "0");
	CHECK_STR(found_in(&u, d, 4, "committee meets", NULL), "3");
	struct store_doc_filter f = { .lang = "en" };
	CHECK_STR(found_in(&u, d, 4, "travailler", &f), "");
	f.lang = "fr";
	CHECK_STR(found_in(&u, d, 4, "travailler", &f), "1");
	CHECK_STR(found_in(&u, d, 4, "universities", &f), "");
	/* The snippet marks the words of the stem, in the document's language. */
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "runs", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 1);
	CHECK(h[0].snippet && strstr(h[0].snippet, "[[running]]"));
	/* Stems weigh as their words: a title and a tag before a tag alone. */
	CHECK_INT(add_doc(&j, &d[4], T0 + 6, "completed", "Budgeting", "[\"budgets\"]",
			  "a plain text"), ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "budgeted", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 2);
	CHECK_STR(h[0].doc.id, d[4].id);
}

static void store_tests(void)
{
	RUN(test_migrate);
	RUN(test_search_syntax);
	RUN(test_search_snippets);
	RUN(test_search_ligatures);
	RUN(test_snippets_of_long_texts);
	RUN(test_search_ranking);
	RUN(test_search_pages);
	RUN(test_search_hostile);
	RUN(test_search_window);
	RUN(test_search_window_recent_first);
	RUN(test_search_letters);
	RUN(test_search_unspaced);
	RUN(test_tokenizer_options);
}

/*
 * A database of locale C, where PostgreSQL's regular expressions know ASCII
 * letters only: the slices still start where they do elsewhere.
 */
static void test_slices_in_locale_c(void)
{
	char url[sizeof(T.url)], err[256];
	struct store *other = T.s;
	struct store_user u;
	struct store_job j;
	CHECK(pg_fresh_url_with(url, sizeof(url), "LOCALE 'C' TEMPLATE template0"));
	CHECK_INT(store_open(url, 2, &T.s, err, sizeof(err)), ERR_OK);
	CHECK_INT(store_migrate(T.s, NULL), ERR_OK);
	new_user(&u);
	new_job(&j, u.id, 1, T0);
	check_slices(&j);
	store_close(T.s);
	T.s = other;
}

/* The SQL of migration file name, run on the database under test: true when it ran. */
static bool rerun_migration(const char *name)
{
	for (const struct embed_file *f = T.migrations; f->name; f++) {
		if (strcmp(f->name, name))
			continue;
		PGconn *pg = PQconnectdb(T.url);
		PGresult *r = PQexec(pg, (const char *)f->data);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "%s: %s", name, PQerrorMessage(pg));
		PQclear(r);
		PQfinish(pg);
		return ok;
	}
	return false;
}

/*
 * A text stored decomposed (before texts were composed on their way in)
 * is composed by migration 0013, then found as typed; a decomposed query
 * is composed too.
 */
static void test_search_composed(void)
{
	struct store_user u;
	struct store_job j;
	struct store_document d;
	struct store_hit *h = NULL;
	size_t n = 0, total = 0;
	new_user(&u);
	new_job(&j, u.id, 1, T0);
	CHECK_INT(add_doc(&j, &d, T0, "completed", "Notes", "[]", "Ame\xCC\x81lie est na\xCC\x88ive"),
		  ERR_OK);
	CHECK_INT(store_document_search(T.s, &T.a, u.id, "amelie", NULL, 10, 0, &h, &n, &total), ERR_OK);
	CHECK_INT(n, 0); /* decomposed: "Ame" and "lie" in the index */
	CHECK(rerun_migration("0013_composed_text.sql"));
	const char *queries[] = { "amelie", "Am\xC3\xA9lie", "Ame\xCC\x81lie", "naive" };
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		CHECK_INT(store_document_search(T.s, &T.a, u.id, queries[i], NULL, 10, 0, &h, &n,
						  &total), ERR_OK);
		CHECK_INT(n, 1);
	}
	if (n == 1)
		CHECK_STR(h[0].snippet, "Am\xC3\xA9lie est [[n\xC3\xA4ive]]");
}

static void pg_tests(void)
{
	RUN(test_search_stems);
	RUN(test_slices_in_locale_c);
	RUN(test_search_composed);
}

int main(void)
{
	static const struct fixture_suite suite = { "test_store_search", store_tests, NULL,
						    pg_tests };
	return fixture_main(&suite);
}
