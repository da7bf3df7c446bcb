/*
 * extract_rtl.c - right-to-left text a PDF draws in visual order, put back
 * in reading order.
 *
 * MuPDF gives a line's characters in the order their glyphs are drawn. Some
 * writers draw Hebrew and Arabic as they appear, left to right, so that a
 * word comes out backwards ("ةيبرعلا" for "العربية"): never found by a
 * search, tagged as nonsense. Others draw them in reading order, or mark
 * their text up (ActualText): those are left alone. Which it is shows in the
 * letters that only end a word (ة and Hebrew's five final forms), in the
 * contextual glyphs of Arabic (an initial form starts a word, a final one
 * ends it) and in Arabic's article "ال", which starts one: a page whose
 * right-to-left words start with what ends words, and end with what starts
 * them, was drawn in visual order.
 *
 * Each of its lines is then laid out as Unicode's bidirectional algorithm
 * does, undone: a line of mostly right-to-left letters is reversed, but for
 * its runs of left-to-right letters and numbers, which read left to right;
 * in a line of mostly left-to-right letters only the right-to-left runs
 * are. A mark stays after its letter, and the characters of one glyph (a
 * ligature's letters) stay together; brackets in reversed text are
 * mirrored. The text keeps its length: the page is reordered in place.
 *
 * Thread-safety: stateless.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/xalloc.h"
#include "extract_int.h"

/* A page of more text than this is left as it is (its clusters take 16 bytes a byte). */
#define RTL_PAGE_MAX (1u << 20)

/* One character with the marks after it: it moves as one. */
struct cluster {
	uint32_t at, len;           /* bytes of the page's text */
	unsigned cp;
	uint8_t dir;                /* enum utf8_direction, of its character */
	bool mirrored;              /* in reversed text: drawn as its mirror image */
};

/* Letters of a word weighed (longer words: their ends are what counts). */
#define WORD_MAX 64

/* How the page's right-to-left words read in the order drawn. */
struct evidence {
	int reading, visual;
};

/* Whether a letter only ever ends a word: ة and Hebrew's final forms ך ם ן ף ץ. */
static bool ends_words(unsigned cp)
{
	return cp == 0x0629 || cp == 0x05DA || cp == 0x05DD || cp == 0x05DF || cp == 0x05E3 ||
	       cp == 0x05E5;
}

/* What a word of n letters (in the order drawn, with their forms) says of the order. */
static void weigh_word(const unsigned *letter, const enum utf8_form *form, size_t n,
		       struct evidence *ev)
{
	if (n < 2)
		return;
	ev->visual += (form[0] == UTF8_FORM_FINAL) + (form[n - 1] == UTF8_FORM_INITIAL) +
		      ends_words(letter[0]);
	ev->reading += (form[0] == UTF8_FORM_INITIAL) + (form[n - 1] == UTF8_FORM_FINAL) +
		       ends_words(letter[n - 1]);
	if (n >= 3 && letter[0] == 0x0627 && letter[1] == 0x0644)
		ev->reading++; /* "ال..." */
	if (n >= 3 && letter[n - 2] == 0x0644 && letter[n - 1] == 0x0627)
		ev->visual++;  /* "...لا" */
}

/* The evidence of the page's n clusters. */
static struct evidence weigh_page(const struct cluster *c, size_t n)
{
	struct evidence ev = { 0, 0 };
	unsigned letter[WORD_MAX];
	enum utf8_form form[WORD_MAX];
	size_t k = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && c[i].dir == UTF8_RTL) {
			enum utf8_form f;
			unsigned l = utf8_form(c[i].cp, &f);
			if (k == WORD_MAX)
				k--; /* a long word: its last letter replaces the one before */
			letter[k] = l;
			form[k++] = f;
			continue;
		}
		if (k)
			weigh_word(letter, form, k, &ev);
		k = 0;
	}
	return ev;
}

static void reverse(struct cluster *c, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		struct cluster t = c[i];
		c[i] = c[j - 1];
		c[j - 1] = t;
	}
}

static bool forward(enum utf8_direction d)
{
	return d == UTF8_LTR || d == UTF8_NUMBER;
}

static bool backward(enum utf8_direction d)
{
	return d == UTF8_RTL;
}

static bool number(enum utf8_direction d)
{
	return d == UTF8_NUMBER;
}

/* What a right-to-left run holds: its letters, and the numbers between them. */
static bool backward_or_number(enum utf8_direction d)
{
	return d == UTF8_RTL || d == UTF8_NUMBER;
}

/*
 * In c[0..n), each run that starts and ends with a cluster of which bound
 * is true, crossing those of which within is true and neutral ones,
 * reversed, but for the numbers within when within takes more than bound;
 * the neutral ones within are mirrored or not.
 */
static void reverse_runs(struct cluster *c, size_t n, bool (*bound)(enum utf8_direction),
			 bool (*within)(enum utf8_direction), bool mirrored)
{
	for (size_t i = 0; i < n;) {
		if (!bound(c[i].dir)) {
			i++;
			continue;
		}
		size_t last = i;
		for (size_t j = i + 1; j < n && (within(c[j].dir) || c[j].dir == UTF8_NEUTRAL); j++)
			if (bound(c[j].dir))
				last = j;
		for (size_t j = i; j <= last; j++)
			if (c[j].dir == UTF8_NEUTRAL)
				c[j].mirrored = mirrored;
		reverse(c + i, last + 1 - i);
		if (within != bound) /* its numbers read left to right again */
			reverse_runs(c + i, last + 1 - i, number, number, false);
		i = last + 1;
	}
}

/* A line's n clusters from the order drawn to reading order. */
static void line_reading_order(struct cluster *c, size_t n)
{
	size_t rtl = 0, ltr = 0;
	for (size_t i = 0; i < n; i++) {
		rtl += c[i].dir == UTF8_RTL;
		ltr += c[i].dir == UTF8_LTR;
	}
	if (!rtl)
		return;
	if (rtl > ltr) {
		/* All of it reversed, then its runs of Latin letters and numbers back. */
		for (size_t i = 0; i < n; i++)
			c[i].mirrored = c[i].dir == UTF8_NEUTRAL;
		reverse(c, n);
		reverse_runs(c, n, forward, forward, false);
	} else {
		/* Its right-to-left runs reversed, a number within one read left to right. */
		reverse_runs(c, n, backward, backward_or_number, true);
	}
}

/* The clusters of text[0..len): each character with the marks after it. OUT: *n. */
static struct cluster *clusters(const char *text, size_t len, size_t *n)
{
	struct cluster *c = xmalloc((len + 1) * sizeof(*c));
	size_t k = 0;
	for (size_t at = 0; at < len;) {
		size_t l;
		unsigned cp = utf8_get(text + at, len - at, &l);
		enum utf8_direction d = cp == UTF8_BAD ? UTF8_NEUTRAL : utf8_direction(cp);
		if (d == UTF8_MARK && k > 0 && text[c[k - 1].at] != '\n') {
			c[k - 1].len += l;
		} else {
			c[k] = (struct cluster){ (uint32_t)at, (uint32_t)l, cp,
						 d == UTF8_MARK ? UTF8_NEUTRAL : d, false };
			k++;
		}
		at += l;
	}
	*n = k;
	return c;
}

/* Whether text[0..len) may hold a right-to-left letter: the lead bytes of U+0590-07FF
 * (Hebrew, Arabic, Syriac, Thaana, N'Ko), U+08A0-08FF, and U+FB00-FEFF (presentation forms). */
static bool may_hold_rtl(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)text[i];
		if ((b >= 0xD6 && b <= 0xDF) || (b == 0xE0 && i + 1 < len &&
		    ((unsigned char)text[i + 1] & 0xFE) == 0xA2) ||
		    (b == 0xEF && i + 1 < len && (unsigned char)text[i + 1] >= 0xAC &&
		     (unsigned char)text[i + 1] <= 0xBB))
			return true;
	}
	return false;
}

void extract_rtl_reading_order(char *text, size_t len)
{
	if (len > RTL_PAGE_MAX || !may_hold_rtl(text, len))
		return;
	size_t n;
	struct cluster *c = clusters(text, len, &n);
	struct evidence ev = weigh_page(c, n);
	if (ev.visual < 2 || ev.visual <= 2 * ev.reading) {
		free(c);
		return;
	}
	char *out = xmalloc(len);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t end = i;
		while (end < n && text[c[end].at] != '\n')
			end++;
		line_reading_order(c + i, end - i);
		for (size_t j = i; j < end; j++) {
			/* A mirrored bracket takes the same bytes (its marks after it, as they were). */
			memcpy(out + o, text + c[j].at, c[j].len);
			unsigned m = c[j].mirrored ? utf8_mirror(c[j].cp) : c[j].cp;
			char buf[4];
			size_t base;
			utf8_get(text + c[j].at, c[j].len, &base);
			if (m != c[j].cp && utf8_put(buf, m) == base)
				memcpy(out + o, buf, base);
			o += c[j].len;
		}
		if (end < n) {
			out[o++] = '\n';
			end++;
		}
		i = end;
	}
	if (o == len) /* always: each cluster's bytes are written once */
		memcpy(text, out, o);
	free(out);
	free(c);
}
