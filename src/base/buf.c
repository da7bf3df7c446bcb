#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/xalloc.h"

struct slice slice_from_cstr(const char *s)
{
	return s ? (struct slice){ s, strlen(s) } : SLICE_NULL;
}

bool slice_eq_cstr(struct slice s, const char *cstr)
{
	size_t n = strlen(cstr);
	return s.len == n && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

bool slice_eq_cstr_nocase(struct slice s, const char *cstr)
{
	size_t n = strlen(cstr);
	return s.len == n && (n == 0 || strncasecmp(s.ptr, cstr, n) == 0);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

struct slice slice_trim(struct slice s)
{
	while (s.len && is_space(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

void buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	free(b->ptr);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

/* Make room for n more bytes plus the NUL, within the cap. */
static enum mtag_err buf_grow(struct buf *b, size_t n)
{
	if (n > b->max - b->len)
		return ERR_TOO_LARGE;
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return ERR_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	/* Never allocate far past the cap just because of doubling. */
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->ptr = xrealloc(b->ptr, cap);
	b->cap = cap;
	return ERR_OK;
}

enum mtag_err buf_append(struct buf *b, const void *data, size_t n)
{
	enum mtag_err e = buf_grow(b, n);
	if (e)
		return e;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return ERR_OK;
}

enum mtag_err buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum mtag_err buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum mtag_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return ERR_INTERNAL;
	enum mtag_err e = buf_grow(b, (size_t)n);
	if (e)
		return e;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return ERR_OK;
}

enum mtag_err buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum mtag_err e = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return e;
}

const char *buf_cstr(const struct buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p = b->ptr ? b->ptr : xstrdup("");
	if (len_out)
		*len_out = b->len;
	buf_init(b, b->max);
	return p;
}

struct slice buf_slice(const struct buf *b)
{
	return (struct slice){ buf_cstr(b), b->len };
}
