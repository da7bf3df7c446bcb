/* store_marker_snippet (store_snippet.c): the snippets of both databases' hits,
 * marked in C against a parsed query's words and stems, without a database. */
#include "harness.h"
#include "store/store_int.h"

static struct arena a = ARENA_INIT;

/* The snippet of text (a slice when cut_before / cut_after) for query. */
static const char *snip(const char *query, const char *text, bool cut_before, bool cut_after)
{
	struct search_query *sq = store_search_parse(&a, query);
	struct store_marker *mk = store_marker_new(&a, sq);
	const char *s = store_marker_snippet(mk, &a, text, text ? strlen(text) : 0, cut_before,
					     cut_after);
	store_marker_free(mk);
	return s;
}

static void test_words(void)
{
	/* Every word as a prefix, case and accents folded on both sides. */
	CHECK_STR(snip("tech", "New Technology, old tech.", false, false),
		  "New [[Technology]], old [[tech]].");
	CHECK_STR(snip("resume", "Mon résumé: RÉSUMÉS", false, false),
		  "Mon [[résumé]]: [[RÉSUMÉS]]");
	CHECK_STR(snip("Ÿes café", "yes, Cafe au lait", false, false), "[[yes]], [[Cafe]] au lait");
	/* In a phrase, a word before the last matches whole, the last as a prefix. */
	CHECK_STR(snip("\"red ap\"", "redder red apples", false, false),
		  "redder [[red]] [[apples]]");
	/* Excluded words and OR: what is excluded is not marked; either side of OR is. */
	CHECK_STR(snip("cat -dog", "cat and dog", false, false), "[[cat]] and dog");
	CHECK_STR(snip("cat OR dog", "cat and dog", false, false), "[[cat]] and [[dog]]");
	/* A word's stems (PostgreSQL's, migration 0011) are prefixes too. */
	struct search_query *sq = store_search_parse(&a, "running -ran");
	store_search_add_stem(&a, sq, "running", "run", "en");
	store_search_add_stem(&a, sq, "ran", "ran", "en");
	struct store_marker *mk = store_marker_new(&a, sq);
	const char *t = "He runs; the runt ran.";
	CHECK_STR(store_marker_snippet(mk, &a, t, strlen(t), false, false),
		  "He [[runs]]; the [[runt]] ran.");
	store_marker_free(mk);
	/* No match: the first tokens, unmarked; nothing of nothing. */
	CHECK_STR(snip("zebra", "one two", false, false), "one two");
	CHECK(snip("zebra", NULL, false, false) == NULL);
	CHECK(snip("zebra", "", false, false) == NULL);
}

static void test_fragment(void)
{
	struct buf text = BUF_INIT(1 << 16);
	for (int i = 0; i < 50; i++)
		buf_printf(&text, "w%d ", i);
	buf_puts(&text, "target");
	for (int i = 50; i < 100; i++)
		buf_printf(&text, " w%d", i);
	/* Three tokens before the first match, 16 in all, ellipses where the text goes on. */
	CHECK_STR(snip("target", buf_cstr(&text), false, false),
		  "… w47 w48 w49 [[target]] w50 w51 w52 w53 w54 w55 w56 w57 w58 w59 w60 w61 …");
	/* A slice from within a text: its first word may be cut, so it is not shown. */
	CHECK_STR(snip("w1", "1 w1 w2", true, false), "… [[w1]] w2");
	CHECK_STR(snip("zz", "ord w1 w2", true, false), "… w1 w2");
	/* A slice that stops within a text: its last word may be cut too. */
	CHECK_STR(snip("w1", "w1 w2 w3 wor", false, true), "[[w1]] w2 w3 …");
	CHECK_STR(snip("w1", "w1 w2 ", false, true), "[[w1]] w2 …");
	/* Words apart without a space (tabs, U+FFFD, scripts without spaces). */
	CHECK_STR(snip("beta", "alpha\tbeta\tgamma", false, true), "alpha\t[[beta]] …");
	CHECK_STR(snip("beta", "alpha\xef\xbf\xbd" "beta\xef\xbf\xbdgamma", true, true),
		  "… [[beta]] …");
	/* Nothing but separators before the match; a cut word like a query word. */
	CHECK_STR(snip("target", "................ target w1", true, false), "… [[target]] w1");
	CHECK_STR(snip("ratio", "ration a b c d e f g h i j k l m n o p q r s t u ratio z", true,
		       false), "… s t u [[ratio]] z");
	buf_release(&text);
}

static void test_brackets(void)
{
	/* [[ and ]] in a snippet are marks only: a text's own brackets never touch. */
	CHECK_STR(snip("volcano", "volcano see [[not]] a x[y]]z [[", false, false),
		  "[[volcano]] see [ [not] ] a x[y] ]z [ [");
	CHECK_STR(snip("volcano", "x [volcano] y", false, false), "x [ [[volcano]] ] y");
	/* No match: no mark, and nothing that reads as one. */
	CHECK_STR(snip("zebra", "[[a]] b", false, false), "[ [a] ] b");
	/* What a title has before its first word and after its last is kept. */
	CHECK_STR(snip("fake", "[[fake]] mark]].txt", false, false), "[ [ [[fake]] ] ] mark] ].txt");
	CHECK_STR(snip("sum", "=SUM(A1)+cmd.txt", false, false), "=[[SUM]](A1)+cmd.txt");
	CHECK_STR(snip("minus", "-minus.txt", false, false), "-[[minus]].txt");
}

static const char *first_regex(const char *query)
{
	return store_search_first_regex(&a, store_search_parse(&a, query));
}

static void test_first_regex(void)
{
	/* Where PostgreSQL cuts a text for a snippet: the word at a word's start, each
	 * letter with its accented forms in both cases (Latin, Greek, Russian ё), the
	 * letters unaccent writes as two either way, an ASCII letter or digit also
	 * full-width; other letters as they are. */
	CHECK_STR(first_regex("\xC4\xA7" "b9"), "(?<![[:alnum:]])[hĥħHĤĦ][bｂＢ][9９]");
	/* "ae" is also "æ", and "aé" too ("aeroport" finds "aéroport"): each letter's class. */
#define S_CLASS "[sśŝşšșSŚŜŞŠȘｓＳ]"
	CHECK_STR(first_regex("h\xC3\x9F"), "(?<![[:alnum:]])[hĥħHĤĦｈＨ](?:" S_CLASS S_CLASS "|[ßẞ])");
	CHECK_STR(first_regex("hss"), "(?<![[:alnum:]])[hĥħHĤĦｈＨ](?:" S_CLASS S_CLASS "|[ßẞ])");
	CHECK_STR(first_regex("\xC5\x93" "x"),
		  "(?<![[:alnum:]])(?:[oòóôõöøōŏőơǒọỏốồổỗộớờởỡợOÒÓÔÕÖØŌŎŐƠǑỌỎỐỒỔỖỘỚỜỞỠỢｏＯ]"
		  "[eèéêëēĕėęěẹẻẽếềểễệEÈÉÊËĒĔĖĘĚẸẺẼẾỀỂỄỆｅＥ]|[œŒ])[xｘＸ]");
	CHECK_STR(first_regex("άλφα"), "(?<![[:alnum:]])[αάΑΆ]λφ[αάΑΆ]");
	CHECK_STR(first_regex("ёж"), "(?<![[:alnum:]])[еёЕЁ]ж");
	CHECK_STR(first_regex("\xE6\x97\xA5\xE6\x9C\xAC"), "\xE6\x97\xA5\xE6\x9C\xAC"); /* 日本: anywhere */
	/* The first word of each positive term (the text may hold any: "kangaroo OR zebra",
	 * "txt zebra" with txt in the title only), as typed and as each of its stems: the
	 * stem "studi" does not begin "study", but it begins "studies", which the index
	 * matched by it. */
	CHECK_STR(first_regex("-old \"\xE6\x97\xA5 data\" x"), "(?:\xE6\x97\xA5|(?<![[:alnum:]])[xｘＸ])");
	CHECK(first_regex("-old") == NULL);
	struct search_query *sq = store_search_parse(&a, "study -old hall");
	store_search_add_stem(&a, sq, "study", "studi", "en");
	store_search_add_stem(&a, sq, "study", "study", "fr");
	store_search_add_stem(&a, sq, "hall", "hal", "en");
	/* Each alternative is the word's own pattern; the French stem, the word itself, once. */
	CHECK_STR(store_search_first_regex(&a, sq),
		  arena_printf(&a, "(?:%s|%s|%s|%s)", first_regex("study"), first_regex("studi"),
			       first_regex("hall"), first_regex("hal")));
	/* Chinese and Japanese: the run of letters the term's pairs are, anywhere. */
	CHECK_STR(first_regex("季度报告 x"), "(?:季度报告|(?<![[:alnum:]])[xｘＸ])");
	/* Only the first 8 terms place a snippet: the pattern stays bounded. */
	const char *nine = first_regex("a1 a2 a3 a4 a5 a6 a7 a8 a9");
	CHECK(strstr(nine, "[8８]") && !strstr(nine, "[9９]"));
}

static void test_hostile_queries(void)
{
	/* Operators and quotes are separators; a long query keeps its bounded terms. */
	CHECK_STR(snip("\"\\'%_*:() NEAR", "near the end", false, false), "[[near]] the end");
	struct buf q = BUF_INIT(1 << 16);
	for (int i = 0; i < 1000; i++)
		buf_puts(&q, "abcdefghij ");
	CHECK_STR(snip(buf_cstr(&q), "abcdefghijk x", false, false), "[[abcdefghijk]] x");
	buf_release(&q);
}

int main(void)
{
	RUN(test_words);
	RUN(test_fragment);
	RUN(test_brackets);
	RUN(test_first_regex);
	RUN(test_hostile_queries);
	arena_release(&a);
	return unit_report("test_store_snippet");
}
