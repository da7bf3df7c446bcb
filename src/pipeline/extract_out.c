/*
 * extract_out.c - the text builder shared by every format: UTF-8 cleaning,
 * white space, the cap; document properties and error messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/extract_int.h"
#include "base/xalloc.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void extract_out_init(struct extract_out *o, size_t max, bool collapse)
{
	buf_init(&o->text, max);
	o->truncated = false;
	o->collapse = collapse;
	o->space_pending = false;
	o->cr = false;
}

void extract_out_release(struct extract_out *o)
{
	buf_release(&o->text);
}

/* Append within the cap; past it, what fits up to a character boundary, then false. */
static bool put(struct extract_out *o, const char *s, size_t n)
{
	if (o->truncated)
		return false;
	size_t room = o->text.max - o->text.len;
	if (n <= room) {
		buf_append(&o->text, s, n);
		return true;
	}
	size_t cut = room;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	buf_append(&o->text, s, cut);
	o->truncated = true;
	return false;
}

static char last_char(const struct extract_out *o)
{
	return o->text.len ? o->text.ptr[o->text.len - 1] : '\0';
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or minus the length of the
 * invalid unit to replace by one U+FFFD (the maximal valid prefix, at least 1).
 */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	int len;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -i;
		unsigned b = s[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
			return -i;
	}
	return len;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* One white space or control byte c. */
static bool put_special(struct extract_out *o, unsigned char c)
{
	bool was_cr = o->cr;
	o->cr = c == '\r';
	if (o->collapse) {
		char last = last_char(o);
		if (is_ws(c) && o->text.len && last != '\n' && last != ' ' && last != '\t' && last != '\f')
			o->space_pending = true;
		return !o->truncated;
	}
	if (c == '\t')
		return put(o, "\t", 1);
	if (c == '\n' && was_cr)
		return !o->truncated;  /* the LF of a CRLF */
	if (c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return put(o, "\n", 1);
	return !o->truncated;       /* other control characters are dropped */
}

/* Before a visible character in collapse mode: the owed space. */
static bool flush_space(struct extract_out *o)
{
	if (!o->space_pending)
		return true;
	o->space_pending = false;
	return put(o, " ", 1);
}

bool extract_out_text(struct extract_out *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, i = 0; /* p[run..i) is clean text not yet written */
	while (i < n) {
		unsigned c = p[i];
		int len = 1;
		bool special = c < 0x20 || c == 0x7F || (o->collapse && c == ' ');
		if (c >= 0x80) {
			len = utf8_seq(p + i, n - i);
			/* C1 controls (U+0080-U+009F) are dropped like C0 ones. */
			special = len < 0 || (len == 2 && c == 0xC2 && p[i + 1] < 0xA0);
		}
		if (!special) {
			if (run == i && o->space_pending && !flush_space(o))
				return false;
			o->cr = false;
			i += (size_t)len;
			continue;
		}
		if (run < i && !put(o, s + run, i - run))
			return false;
		if (len < 0) {
			if (!flush_space(o) || !put(o, replacement, 3))
				return false;
			o->cr = false;
			i += (size_t)-len;
		} else {
			if (!put_special(o, (unsigned char)c))
				return false;
			i += (size_t)len;
		}
		run = i;
	}
	return run < i ? put(o, s + run, i - run) : !o->truncated;
}

bool extract_out_char(struct extract_out *o, char c)
{
	o->cr = false;
	if (c == ' ' && o->collapse && !flush_space(o))
		return false;
	if (c != ' ')
		o->space_pending = false;
	return put(o, &c, 1);
}

bool extract_out_break(struct extract_out *o)
{
	o->space_pending = false;
	o->cr = false;
	if (!o->truncated)  /* no white space at the end of a line */
		while (o->text.len && (last_char(o) == ' ' || last_char(o) == '\t'))
			o->text.ptr[--o->text.len] = '\0';
	char last = last_char(o);
	if (!o->text.len || last == '\n' || last == '\f')
		return !o->truncated;
	return put(o, "\n", 1);
}

void extract_out_trim_end(struct extract_out *o)
{
	while (o->text.len && strchr(" \t\n\f", o->text.ptr[o->text.len - 1]))
		o->text.ptr[--o->text.len] = '\0';
	o->space_pending = false;
}

void extract_out_finish(struct extract_out *o, struct arena *a, struct extract_result *r)
{
	size_t len;
	char *text = buf_detach(&o->text, &len);
	arena_cleanup_add(a, free, text);
	r->text = text;
	r->text_len = len;
	r->truncated = r->truncated || o->truncated;
}

const char *extract_prop(struct arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	struct extract_out o;
	extract_out_init(&o, EXTRACT_PROP_MAX, true);
	extract_out_text(&o, s, n);
	extract_out_trim_end(&o);
	const char *v = o.text.len ? arena_strndup(a, o.text.ptr, o.text.len) : NULL;
	extract_out_release(&o);
	return v;
}

enum mtag_err extract_fail(char *err, size_t errlen, enum mtag_err e, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

size_t extract_utf8_complete(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned c = p[n - back];
		if ((c & 0xC0) == 0x80)
			continue;
		size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;
}
