/*
 * fetch_int.h - private helpers shared by fetch.c and fetch_url.c; not part
 * of the fetch contract (that is fetch.h). Thread-safe: no shared state.
 */
#ifndef MTAG_FETCH_INT_H
#define MTAG_FETCH_INT_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "pipeline/fetch.h"

/* The scheme of url, lower-cased, into out; "?" when there is none. */
void fetch_url_scheme(const char *url, char *out, size_t outsz);
/*
 * The last path segment of url, percent-decoded, when it looks like a file
 * name (1-255 bytes of valid UTF-8, no '/', NUL or control character, not
 * "." or ".."); else NULL. The name is in a.
 */
const char *fetch_url_filename(struct arena *a, const char *url);

#endif
