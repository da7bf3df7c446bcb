#include <pthread.h>
#include <wctype.h>

#include "base/utf8.h"

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

size_t utf8_lower(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0, len; i < n; i += len) {
		unsigned cp = utf8_get(s + i, n - i, &len);
		if (cp == UTF8_BAD)
			out[o++] = s[i];
		else
			o += utf8_put(out + o, utf8_lower_cp(cp));
	}
	out[o] = '\0';
	return o;
}
