#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <unictype.h>
#include <uninorm.h>

#include "base/utf8.h"
#include "base/xalloc.h"

size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* No overlongs, surrogates or values past U+10FFFF. */
bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		unsigned c = *p++, need, min;
		unsigned long cp;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 0; i < need; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

unsigned utf8_get(const char *s, size_t n, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t need;

	*len = 1;
	if (p[0] < 0x80)
		return p[0];
	if ((p[0] & 0xE0) == 0xC0)
		need = 2, cp = p[0] & 0x1F;
	else if ((p[0] & 0xF0) == 0xE0)
		need = 3, cp = p[0] & 0x0F;
	else if ((p[0] & 0xF8) == 0xF0)
		need = 4, cp = p[0] & 0x07;
	else
		return UTF8_BAD;
	if (need > n)
		return UTF8_BAD;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return UTF8_BAD;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return UTF8_BAD;
	*len = need;
	return cp;
}

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t utf8_locale(void)
{
	pthread_once(&utf8_once, utf8_locale_init);
	return utf8_loc;
}

unsigned utf8_lower_cp(unsigned cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	locale_t loc = utf8_locale();
	if (loc == (locale_t)0 || cp > 0x10FFFF)
		return cp;
	unsigned low = (unsigned)towlower_l((wint_t)cp, loc);
	return low <= 0x10FFFF && !(low >= 0xD800 && low <= 0xDFFF) ? low : cp;
}

/* A Greek letter in lower case, monotonic or polytonic: what a final sigma ends. */
static bool greek_letter(unsigned cp)
{
	return cp == 0x390 || (cp >= 0x3AC && cp <= 0x3CE) || (cp >= 0x1F00 && cp <= 0x1FFF);
}

/*
 * Each sigma of s[0..n) (lower case) as σ where its word goes on and ς where
 * it ends (Unicode's Final_Sigma, for Greek words): in place, both are two
 * bytes (CF 83, CF 82).
 */
static void final_sigmas(char *s, size_t n)
{
	unsigned prev = 0;
	for (size_t i = 0, len; i < n; i += len) {
		unsigned cp = utf8_get(s + i, n - i, &len);
		if (cp == 0x3C2 || cp == 0x3C3) {
			size_t l;
			unsigned next = i + len < n ? utf8_get(s + i + len, n - i - len, &l) : 0;
			s[i + 1] = greek_letter(prev) && !greek_letter(next) ? '\x82' : '\x83';
		}
		prev = cp;
	}
}

size_t utf8_lower(const char *s, size_t n, char *out)
{
	size_t o = 0;
	bool sigma = false;
	for (size_t i = 0, len; i < n; i += len) {
		unsigned cp = utf8_get(s + i, n - i, &len);
		if (cp == UTF8_BAD) {
			out[o++] = s[i];
			continue;
		}
		cp = utf8_lower_cp(cp);
		sigma |= cp == 0x3C2 || cp == 0x3C3;
		o += utf8_put(out + o, cp);
	}
	out[o] = '\0';
	if (sigma)
		final_sigmas(out, o);
	return o;
}

/* Presentation forms: Latin and Hebrew ligatures (U+FB00-FB4F), Arabic forms A and B. */
static bool presentation_form(unsigned cp)
{
	return (cp >= 0xFB00 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF);
}

char *utf8_normalize(const char *s, size_t n, size_t *outlen)
{
	size_t i = 0;
	while (i < n && (unsigned char)s[i] < 0x80)
		i++;
	if (i == n)
		return NULL; /* ASCII: nothing to do (most texts) */
	/* The presentation forms first, each as its compatibility letters... */
	uint8_t *expanded = NULL;
	size_t elen = 0, ecap = 0, step;
	bool forms = false;
	for (size_t at = i; at < n && !forms; at += step)
		forms = presentation_form(utf8_get(s + at, n - at, &step));
	if (forms) {
		ecap = n + 64;
		expanded = xmalloc(ecap);
		for (size_t at = 0; at < n; at += step) {
			unsigned cp = utf8_get(s + at, n - at, &step);
			uint8_t one[64];
			size_t len = sizeof(one);
			uint8_t *w = presentation_form(cp)
					     ? u8_normalize(UNINORM_NFKC, (const uint8_t *)s + at, step, one, &len)
					     : NULL;
			const uint8_t *src = w ? w : (const uint8_t *)s + at;
			size_t k = w ? len : step;
			if (elen + k > ecap) {
				ecap = 2 * ecap + k;
				expanded = xrealloc(expanded, ecap);
			}
			memcpy(expanded + elen, src, k);
			elen += k;
			if (w && w != one)
				free(w);
		}
	}
	/* ...then the whole text composed (NFC): "e" + U+0301 becomes "é". */
	size_t len = 0;
	uint8_t *out = u8_normalize(UNINORM_NFC, expanded ? expanded : (const uint8_t *)s,
				    expanded ? elen : n, NULL, &len);
	free(expanded);
	if (!out)
		abort(); /* out of memory (ill-formed bytes are replaced, not refused): as xmalloc */
	if (len == n && !memcmp(out, s, n)) {
		free(out);
		return NULL;
	}
	char *z = xrealloc(out, len + 1);
	z[len] = '\0';
	*outlen = len;
	return z;
}

unsigned utf8_base_letter(unsigned cp)
{
	ucs4_t parts[UC_DECOMPOSITION_MAX_LENGTH];
	/* "ΐ" is "ϊ" and an accent, "ϊ" is "ι" and a diaeresis: the first part, again. */
	for (int depth = 0; depth < 4 && uc_canonical_decomposition(cp, parts) > 0; depth++)
		cp = parts[0];
	return cp;
}

bool utf8_is_mark(unsigned cp)
{
	return uc_is_general_category(cp, UC_CATEGORY_M);
}

size_t utf8_cut(const char *s, size_t max)
{
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

enum utf8_direction utf8_direction(unsigned cp)
{
	switch (uc_bidi_class(cp)) {
	case UC_BIDI_L:
		return UTF8_LTR;
	case UC_BIDI_R:
	case UC_BIDI_AL:
		return UTF8_RTL;
	case UC_BIDI_EN:
	case UC_BIDI_AN:
		return UTF8_NUMBER;
	case UC_BIDI_NSM:
		return UTF8_MARK;
	default:
		return UTF8_NEUTRAL;
	}
}

unsigned utf8_mirror(unsigned cp)
{
	ucs4_t m;
	return uc_mirror_char(cp, &m) ? m : cp;
}

unsigned utf8_form(unsigned cp, enum utf8_form *form)
{
	ucs4_t parts[UC_DECOMPOSITION_MAX_LENGTH];
	int tag;
	*form = UTF8_FORM_NONE;
	if (cp < 0xFB50 || cp > 0xFEFC || uc_decomposition(cp, &tag, parts) <= 0)
		return cp; /* the Arabic presentation forms are FB50-FDFF and FE70-FEFC */
	*form = tag == UC_DECOMP_ISOLATED ? UTF8_FORM_ISOLATED
	      : tag == UC_DECOMP_INITIAL  ? UTF8_FORM_INITIAL
	      : tag == UC_DECOMP_MEDIAL   ? UTF8_FORM_MEDIAL
	      : tag == UC_DECOMP_FINAL    ? UTF8_FORM_FINAL : UTF8_FORM_NONE;
	return parts[0];
}

bool utf8_unspaced(unsigned cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF && cp != 0x30A0 && cp != 0x30FB) || /* kana, not ゠ ・ */
	       (cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF66 && cp <= 0xFF9F) ||
	       (cp >= 0x20000 && cp <= 0x3134F);
}

size_t utf8_unspaced_at(const char *s, size_t n, size_t i)
{
	size_t len;
	unsigned cp = utf8_get(s + i, n - i, &len);
	return cp != UTF8_BAD && utf8_unspaced(cp) ? len : 0;
}
