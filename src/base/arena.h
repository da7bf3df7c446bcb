/*
 * arena.h - region allocator with cleanup hooks.
 *
 * One arena per HTTP request and per document job: everything allocated for
 * it is freed at once by arena_release(). Non-memory resources (a PGresult,
 * a statement, a temp file, a json_t) register a cleanup hook that runs at
 * release, newest first (nginx's pool cleanups). Not thread-safe: an arena is
 * used by one thread at a time.
 */
#ifndef MTAG_ARENA_H
#define MTAG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena_cleanup;

struct arena {
	struct arena_block *blocks;     /* newest first */
	struct arena_cleanup *cleanups; /* newest first */
	size_t allocated;               /* bytes handed out, for metrics and caps */
};

#define ARENA_INIT { NULL, NULL, 0 }

typedef void (*arena_cleanup_fn)(void *data);

/* Set up an empty arena (no allocation). */
void arena_init(struct arena *a);
/* Run the cleanup hooks (newest first) and free every block; the arena is empty and reusable. */
void arena_release(struct arena *a);
/* n bytes aligned for any type, zeroed; aborts on out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Zeroed array of nmemb elements of size bytes; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
/* Copy of s in the arena. */
char *arena_strdup(struct arena *a, const char *s);
/* Copy of n bytes of s, NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vprintf into the arena. */
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
/* Register fn(data) to run at arena_release. */
void arena_cleanup_add(struct arena *a, arena_cleanup_fn fn, void *data);

#endif
