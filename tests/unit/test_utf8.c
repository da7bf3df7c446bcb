#include <stdlib.h>

#include "harness.h"
#include "base/utf8.h"

static void test_put(void)
{
	char b[5] = "";
	CHECK_INT(utf8_put(b, 'a'), 1);
	CHECK_INT(utf8_put(b, 0xE9), 2);
	CHECK(!memcmp(b, "\xC3\xA9", 2));
	CHECK_INT(utf8_put(b, 0x20AC), 3);
	CHECK(!memcmp(b, "\xE2\x82\xAC", 3));
	CHECK_INT(utf8_put(b, 0x1F600), 4);
	CHECK(!memcmp(b, "\xF0\x9F\x98\x80", 4));
}

static void test_valid(void)
{
	CHECK(utf8_valid(NULL));
	CHECK(utf8_valid(""));
	CHECK(utf8_valid("plain ascii"));
	CHECK(utf8_valid("r\xC3\xA9sum\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
	CHECK(utf8_valid("\xF4\x8F\xBF\xBF")); /* U+10FFFF, the last */
	CHECK(!utf8_valid("volcano\xFF"));
	CHECK(!utf8_valid("\x80"));             /* a continuation byte alone */
	CHECK(!utf8_valid("\xC0\x80"));         /* overlong NUL */
	CHECK(!utf8_valid("\xE0\x80\xAF"));     /* overlong '/' */
	CHECK(!utf8_valid("\xED\xA0\x80"));     /* a surrogate */
	CHECK(!utf8_valid("\xF4\x90\x80\x80")); /* past U+10FFFF */
	CHECK(!utf8_valid("\xE2\x82"));         /* cut short */
	CHECK(!utf8_valid("\xE2\x82" "a"));
}

static void test_get(void)
{
	size_t len = 0;
	CHECK_INT(utf8_get("a", 1, &len), 'a');
	CHECK_INT(len, 1);
	CHECK_INT(utf8_get("\xC3\xA9x", 3, &len), 0xE9);
	CHECK_INT(len, 2);
	CHECK_INT(utf8_get("\xF0\x9F\x98\x80", 4, &len), 0x1F600);
	CHECK_INT(len, 4);
	CHECK(utf8_get("\xE2\x82\xAC", 2, &len) == UTF8_BAD); /* cut short by n */
	CHECK_INT(len, 1);
	CHECK(utf8_get("\xC0\x80", 2, &len) == UTF8_BAD);
	CHECK(utf8_get("\xED\xA0\x80", 3, &len) == UTF8_BAD);
	CHECK(utf8_get("\x80", 1, &len) == UTF8_BAD);
}

static void test_lower(void)
{
	char out[64];
	const char *s = "\xC3\x9C" "BERSICHT \xC3\x89t\xC3\xA9 \xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91 "
			"\xC8\xBA \xFF ok"; /* ÜBERSICHT Été ΣΟΦΙΑ Ⱥ, a stray byte */
	size_t n = utf8_lower(s, strlen(s), out);
	CHECK_STR(out, "\xC3\xBC" "bersicht \xC3\xA9t\xC3\xA9 \xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1 "
		       "\xE2\xB1\xA5 \xFF ok"); /* übersicht été σοφια ⱥ (two bytes to three) */
	CHECK_INT(n, strlen(out));
	/* A Greek word's last sigma is ς, any other σ, however it was written. */
	static const char *const sigmas[][2] = {
		{ "ΚΌΣΜΟΣ ΤΗΣ ΦΙΛΟΣΟΦΊΑΣ", "κόσμος της φιλοσοφίας" }, { "κόσμοσ τησ", "κόσμος της" },
		{ "ςοφός", "σοφός" }, { "ΣΣ Σ.", "σς σ." }, { "ἈΡΧῆΣ, x", "ἀρχῆς, x" }, { "ΟΔΟΣ", "οδος" },
	};
	for (size_t i = 0; i < sizeof(sigmas) / sizeof(sigmas[0]); i++) {
		utf8_lower(sigmas[i][0], strlen(sigmas[i][0]), out);
		CHECK_STR(out, sigmas[i][1]);
	}
	CHECK_INT(utf8_lower_cp('Q'), 'q');
	CHECK_INT(utf8_lower_cp(0x212A), 'k'); /* KELVIN SIGN */
	/* utf8_lower's bound: no lower case takes more than 1.5 times its capital's bytes. */
	for (unsigned cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		char a[4], b[4];
		size_t before = utf8_put(a, cp), after = utf8_put(b, utf8_lower_cp(cp));
		if (2 * after > 3 * before) {
			CHECK_INT(cp, -1);
			break;
		}
	}
}

/* utf8_normalize of s as a string ("=" when unchanged). */
static const char *norm(const char *s)
{
	static char out[256];
	size_t n = 0;
	char *z = utf8_normalize(s, strlen(s), &n);
	if (!z)
		return "=";
	snprintf(out, sizeof(out), "%s", n == strlen(z) ? z : "(wrong length)");
	free(z);
	return out;
}

static void test_normalize(void)
{
	CHECK_STR(norm("plain ASCII\f"), "=");
	CHECK_STR(norm("caf\xC3\xA9 d\xC3\xA9j\xC3\xA0"), "="); /* composed already */
	/* Decomposed (macOS) is composed: e + U+0301, A + U+030A, Hangul jamo. */
	CHECK_STR(norm("Ame\xCC\x81lie A\xCC\x8A"), "Am\xC3\xA9lie \xC3\x85");
	CHECK_STR(norm("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");
	/* Presentation forms as their letters: "ﬁ", Arabic contextual glyphs (ﻋ ﻤ ﺎ). */
	CHECK_STR(norm("\xEF\xAC\x81nance"), "finance");
	CHECK_STR(norm("\xEF\xBB\x8B\xEF\xBB\xA4\xEF\xBA\x8E"), "\xD8\xB9\xD9\x85\xD8\xA7");
	/* Other compatibility forms are kept: full-width letters, superscripts. */
	CHECK_STR(norm("\xEF\xBD\x86 m\xC2\xB2"), "=");
	/* An ill-formed byte becomes U+FFFD (the extractors' texts have none). */
	CHECK_STR(norm("e\xCC\x81\xFF"), "\xC3\xA9\xEF\xBF\xBD");
}

static void test_is_mark(void)
{
	/* Nonspacing and spacing marks: an acute, the virama and a vowel sign of Devanagari, a
	 * Thai tone mark and vowel; the letters they go on and punctuation are none. */
	static const unsigned marks[] = { 0x301, 0x94D, 0x93E, 0xE48, 0xE34 };
	static const unsigned others[] = { 'a', 0xE9, 0x915, 0xE01, 0x964, '\'', 0x2019, 0x200D };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		CHECK(utf8_is_mark(marks[i]));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		CHECK(!utf8_is_mark(others[i]));
}

int main(void)
{
	RUN(test_normalize);
	RUN(test_put);
	RUN(test_valid);
	RUN(test_get);
	RUN(test_lower);
	RUN(test_is_mark);
	return unit_report("test_utf8");
}
