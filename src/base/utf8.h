/*
 * utf8.h - UTF-8 encoding of code points. Stateless, thread-safe.
 */
#ifndef MTAG_UTF8_H
#define MTAG_UTF8_H

#include <stddef.h>

/* Write code point cp (at most 0x10FFFF) as UTF-8 into out (room for 4 bytes). Returns the bytes written. */
size_t utf8_put(char *out, unsigned cp);

#endif
