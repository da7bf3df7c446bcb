/*
 * embed.h - files embedded into the binary at build time.
 *
 * tools/embed.c turns a list of files into a C array of struct embed_file,
 * ended by an entry whose name is NULL (migrations, the OpenAPI document,
 * later the web UI). The data is read-only and lives as long as the program;
 * every data array also ends with a NUL byte not counted in len, so text
 * files can be used as C strings.
 */
#ifndef MTAG_EMBED_H
#define MTAG_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name;          /* path relative to the embedding root */
	const unsigned char *data; /* NUL-terminated */
	size_t len;                /* excluding the NUL */
};

/* The entry named name in a NULL-terminated table, or NULL. */
const struct embed_file *embed_find(const struct embed_file *table, const char *name);

#endif
