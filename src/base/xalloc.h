/*
 * xalloc.h - allocation that never returns NULL.
 *
 * Allocation failure aborts the process (git's xmalloc, redis' zmalloc):
 * instead of checking every allocation we bound every input, so running out
 * of memory is a bug or an attack that a cap failed to stop.
 */
#ifndef MTAG_XALLOC_H
#define MTAG_XALLOC_H

#include <stddef.h>

/* malloc that aborts on failure; never returns NULL (a 0 size gets 1 byte). */
void *xmalloc(size_t n);
/* calloc that aborts on failure or on nmemb*size overflow. */
void *xcalloc(size_t nmemb, size_t size);
/* realloc that aborts on failure. */
void *xrealloc(void *p, size_t n);
/* strdup that aborts on failure. */
char *xstrdup(const char *s);
/* Copy of the first n bytes of s (stops early at a NUL), always terminated. */
char *xstrndup(const char *s, size_t n);

#include "base/banned.h"

#endif
