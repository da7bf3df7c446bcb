/*
 * extract_text.c - plain text files: UTF-8 (BOM stripped, damage replaced by
 * U+FFFD), UTF-16 with a BOM, and Latin-1 (read as Windows-1252, as browsers
 * do), all turned into UTF-8 with LF line ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/extract_int.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#define CHUNK (64 * 1024)

/* Windows-1252 in 0x80-0x9F; the five holes stay C1 controls (dropped later). */
static const unsigned short cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static bool is_text_control(unsigned c)
{
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1B;
}

static enum extract_charset utf16_charset(const unsigned char *p, size_t n, bool be)
{
	size_t units = n / 2, bad = 0;
	for (size_t i = 1; i < units; i++) {
		unsigned u = be ? (unsigned)p[2 * i] << 8 | p[2 * i + 1] : (unsigned)p[2 * i + 1] << 8 | p[2 * i];
		bad += u == 0 || is_text_control(u);
	}
	if (bad * 100 > units)
		return EXTRACT_CS_BINARY;
	return be ? EXTRACT_CS_UTF16BE : EXTRACT_CS_UTF16LE;
}

enum extract_charset extract_text_charset(const unsigned char *p, size_t n, bool more)
{
	if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
		return utf16_charset(p, n, false);
	if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
		return utf16_charset(p, n, true);
	size_t ctrl = 0, multi = 0, invalid = 0;
	size_t end = more ? extract_utf8_complete((const char *)p, n) : n;
	for (size_t i = 0; i < end;) {
		unsigned c = p[i];
		if (c == 0)
			return EXTRACT_CS_BINARY;
		ctrl += is_text_control(c) || c == 0x7F;
		if (c < 0x80) {
			i++;
			continue;
		}
		/* Count a well-formed sequence as one; anything else as damage. */
		size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
		size_t k = 1;
		while (k < len && i + k < end && (p[i + k] & 0xC0) == 0x80)
			k++;
		if (len > 1 && k == len)
			multi++;
		else
			invalid++;
		i += k;
	}
	if (ctrl * 100 > n)
		return EXTRACT_CS_BINARY;
	if (invalid == 0 || multi > invalid)
		return EXTRACT_CS_UTF8;
	return EXTRACT_CS_LATIN1;
}

static size_t conv_latin1(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = in[i];
		o += utf8_put(out + o, c >= 0x80 && c < 0xA0 ? cp1252[c - 0x80] : c);
	}
	return o;
}

/* Convert whole units (and pairs) of in; OUT: *used, the input bytes consumed. */
static size_t conv_utf16(const unsigned char *in, size_t n, bool be, bool eof, char *out, size_t *used)
{
	size_t o = 0, i = 0;
	while (i + 2 <= n) {
		unsigned u = be ? (unsigned)in[i] << 8 | in[i + 1] : (unsigned)in[i + 1] << 8 | in[i];
		unsigned cp = u;
		size_t step = 2;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (i + 4 > n && !eof)
				break; /* the low half is in the next chunk */
			unsigned lo = i + 4 <= n ? (be ? (unsigned)in[i + 2] << 8 | in[i + 3]
						      : (unsigned)in[i + 3] << 8 | in[i + 2]) : 0;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				step = 4;
			} else {
				cp = 0xFFFD;
			}
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			cp = 0xFFFD;
		}
		o += utf8_put(out + o, cp);
		i += step;
	}
	if (eof && i < n) { /* a lone last byte */
		o += utf8_put(out + o, 0xFFFD);
		i = n;
	}
	*used = i;
	return o;
}

/* Feed in[0..have) to o in the charset; OUT: *used. False when the text is full. */
static bool convert(struct extract_out *o, enum extract_charset cs, const unsigned char *in,
		    size_t have, bool eof, char *tmp, size_t *used)
{
	size_t n;
	switch (cs) {
	case EXTRACT_CS_UTF16LE:
	case EXTRACT_CS_UTF16BE:
		n = conv_utf16(in, have, cs == EXTRACT_CS_UTF16BE, eof, tmp, used);
		return extract_out_text(o, tmp, n);
	case EXTRACT_CS_LATIN1:
		*used = have;
		return extract_out_text(o, tmp, conv_latin1(in, have, tmp));
	default:
		*used = eof ? have : extract_utf8_complete((const char *)in, have);
		return extract_out_text(o, (const char *)in, *used);
	}
}

static size_t bom_len(enum extract_charset cs, const unsigned char *p, size_t n)
{
	if (cs == EXTRACT_CS_UTF16LE || cs == EXTRACT_CS_UTF16BE)
		return 2;
	return cs == EXTRACT_CS_UTF8 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Read f through o; the input is capped at 4 bytes per byte of text allowed. */
static enum mtag_err read_text(FILE *f, struct extract_out *o, char *err, size_t errlen)
{
	unsigned char *in = xmalloc(CHUNK);
	char *tmp = xmalloc(3 * CHUNK);
	size_t have = 0, total = 0, budget = o->text.max > ((size_t)-1) / 4 ? (size_t)-1 : o->text.max * 4 + CHUNK;
	enum extract_charset cs = EXTRACT_CS_BINARY;
	enum mtag_err e = ERR_OK;
	bool eof = false, first = true;
	while (!eof) {
		size_t r = fread(in + have, 1, CHUNK - have, f);
		have += r;
		total += r;
		eof = r == 0 || feof(f) || ferror(f);
		size_t skip = 0, used = 0;
		if (first) {
			first = false;
			cs = extract_text_charset(in, have, !eof);
			if (cs == EXTRACT_CS_BINARY) {
				e = extract_fail(err, errlen, ERR_VALIDATION, "unsupported type: binary data");
				break;
			}
			skip = bom_len(cs, in, have);
		}
		if (!convert(o, cs, in + skip, have - skip, eof, tmp, &used))
			break;
		have -= skip + used;
		memmove(in, in + skip + used, have);
		if (!eof && total > budget) {
			o->truncated = true;
			break;
		}
	}
	free(tmp);
	free(in);
	return e;
}

enum mtag_err extract_plain(struct arena *a, const char *path, const struct extract_limits *l,
			    struct extract_result *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return extract_fail(err, errlen, ERR_IO, "cannot open file");
	struct extract_out o;
	extract_out_init(&o, l->max_text, false);
	enum mtag_err e = read_text(f, &o, err, errlen);
	if (!e && ferror(f))
		e = extract_fail(err, errlen, ERR_IO, "cannot read file");
	fclose(f);
	if (!e) {
		out->page_count = 1;
		extract_out_finish(&o, a, out);
	}
	extract_out_release(&o);
	return e;
}
