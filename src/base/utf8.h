/*
 * utf8.h - UTF-8 encoding of code points, and its validation. Stateless, thread-safe.
 */
#ifndef MTAG_UTF8_H
#define MTAG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Write code point cp (at most 0x10FFFF) as UTF-8 into out (room for 4 bytes). Returns the bytes written. */
size_t utf8_put(char *out, unsigned cp);
/* True when s is NULL or well-formed UTF-8: no overlongs, surrogates or values past U+10FFFF. */
bool utf8_valid(const char *s);

#endif
