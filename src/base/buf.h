/*
 * buf.h - the two string types: borrowed slices and owned, capped buffers.
 *
 * struct slice borrows bytes it does not own: {ptr, len}, not NUL-terminated,
 * valid only while its owner is (nginx's ngx_str_t).
 *
 * struct buf owns a growable byte buffer with a hard cap, set at init (curl's
 * dynbuf, git's strbuf). Invariants: ptr is always NUL-terminated when
 * non-NULL (ptr[len] == 0), len <= max. An append that would pass max leaves
 * the buffer unchanged and returns ERR_TOO_LARGE. A buf is used by one thread
 * at a time.
 */
#ifndef MTAG_BUF_H
#define MTAG_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct slice {
	const char *ptr;
	size_t len;
};

#define SLICE_NULL ((struct slice){ NULL, 0 })

/* A slice over a NUL-terminated string (NULL gives the empty slice). */
struct slice slice_from_cstr(const char *s);
/* True when the slice holds exactly the bytes of s. */
bool slice_eq_cstr(struct slice s, const char *cstr);
/* Same as slice_eq_cstr, ignoring ASCII case. */
bool slice_eq_cstr_nocase(struct slice s, const char *cstr);
/* The slice without leading and trailing ASCII white space. */
struct slice slice_trim(struct slice s);

struct buf {
	char *ptr;  /* NULL until the first append; NUL-terminated after */
	size_t len; /* bytes held, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len */
};

#define BUF_INIT(max_) { NULL, 0, 0, (max_) }

/* Set up an empty buffer that may hold at most max bytes (no allocation). */
void buf_init(struct buf *b, size_t max);
/* Free the contents; the buffer is empty again, with the same cap. */
void buf_release(struct buf *b);
/* Empty the buffer, keeping its allocation. */
void buf_reset(struct buf *b);
/* Append n bytes; ERR_TOO_LARGE (buffer unchanged) past the cap. */
enum mtag_err buf_append(struct buf *b, const void *data, size_t n);
/* Append a NUL-terminated string. */
enum mtag_err buf_puts(struct buf *b, const char *s);
/* Append one byte. */
enum mtag_err buf_putc(struct buf *b, char c);
/* Append printf output; ERR_TOO_LARGE (buffer unchanged) past the cap. */
enum mtag_err buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vprintf variant of buf_printf. */
enum mtag_err buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a C string: "" when nothing was appended (never NULL). */
const char *buf_cstr(const struct buf *b);
/* Take ownership of the contents (free() them); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len_out);
/* The contents as a slice. */
struct slice buf_slice(const struct buf *b);

#endif
