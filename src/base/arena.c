#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/xalloc.h"

/* Blocks grow to this size; larger requests get a block of their own. */
#define ARENA_BLOCK_SIZE (16 * 1024)
#define ARENA_ALIGN _Alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	_Alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	arena_cleanup_fn fn;
	void *data;
};

void arena_init(struct arena *a)
{
	a->blocks = NULL;
	a->cleanups = NULL;
	a->allocated = 0;
}

void arena_release(struct arena *a)
{
	while (a->cleanups) {
		struct arena_cleanup *c = a->cleanups;
		a->cleanups = c->next;
		c->fn(c->data);
		free(c);
	}
	while (a->blocks) {
		struct arena_block *b = a->blocks;
		a->blocks = b->next;
		free(b);
	}
	a->allocated = 0;
}

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > SIZE_MAX - ARENA_ALIGN) {
		fprintf(stderr, "mtag: arena allocation of %zu bytes\n", n);
		abort();
	}
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	struct arena_block *b = a->blocks;
	if (!b || b->size - b->used < need) {
		if (need > ARENA_BLOCK_SIZE / 4) {
			/* A big allocation gets its own block behind the current one,
			 * so the current block's free space is not wasted. */
			struct arena_block *big = block_new(need);
			big->used = need;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				a->blocks = big;
			}
			a->allocated += need;
			memset(big->data, 0, need);
			return big->data;
		}
		b = block_new(ARENA_BLOCK_SIZE);
		b->next = a->blocks;
		a->blocks = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->allocated += need;
	memset(p, 0, need);
	return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		fprintf(stderr, "mtag: arena array overflow\n");
		abort();
	}
	return arena_alloc(a, nmemb * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return arena_strdup(a, "");
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void arena_cleanup_add(struct arena *a, arena_cleanup_fn fn, void *data)
{
	struct arena_cleanup *c = xmalloc(sizeof(*c));
	c->fn = fn;
	c->data = data;
	c->next = a->cleanups;
	a->cleanups = c;
}
