#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "base/arena.h"
#include "base/xalloc.h"

static int cleanup_order[4], ncleanups;

static void record(void *p)
{
	cleanup_order[ncleanups++] = (int)(intptr_t)p;
}

static void test_alloc_aligned_and_zeroed(void)
{
	struct arena a = ARENA_INIT;
	for (size_t n = 1; n < 200; n += 7) {
		unsigned char *p = arena_alloc(&a, n);
		CHECK_INT((uintptr_t)p % _Alignof(max_align_t), 0);
		for (size_t i = 0; i < n; i++)
			CHECK_INT(p[i], 0);
		p[n - 1] = 0xff;
	}
	CHECK(a.allocated >= 200);
	arena_release(&a);
	CHECK_INT(a.allocated, 0);
	CHECK(a.blocks == NULL);
}

static void test_big_allocation_keeps_block(void)
{
	struct arena a = ARENA_INIT;
	char *small1 = arena_strdup(&a, "first");
	char *big = arena_alloc(&a, 1 << 20);
	big[(1 << 20) - 1] = 'x';
	char *small2 = arena_strdup(&a, "second");
	CHECK_STR(small1, "first");
	CHECK_STR(small2, "second");
	/* The small ones share the first block: the big one got its own. */
	CHECK((size_t)(small2 - small1) < 1024);
	arena_release(&a);
}

static void test_printf_and_strndup(void)
{
	struct arena a = ARENA_INIT;
	CHECK_STR(arena_printf(&a, "%s-%d", "job", 42), "job-42");
	CHECK_STR(arena_strndup(&a, "abcdef", 3), "abc");
	char *longs = arena_printf(&a, "%5000d", 7);
	CHECK_INT(strlen(longs), 5000);
	arena_release(&a);
}

static void test_cleanups_run_newest_first(void)
{
	struct arena a = ARENA_INIT;
	ncleanups = 0;
	arena_cleanup_add(&a, record, (void *)(intptr_t)1);
	arena_cleanup_add(&a, record, (void *)(intptr_t)2);
	arena_cleanup_add(&a, record, (void *)(intptr_t)3);
	arena_release(&a);
	CHECK_INT(ncleanups, 3);
	CHECK_INT(cleanup_order[0], 3);
	CHECK_INT(cleanup_order[2], 1);
	/* A released arena is reusable and runs nothing twice. */
	arena_strdup(&a, "again");
	arena_release(&a);
	CHECK_INT(ncleanups, 3);
}

int main(void)
{
	RUN(test_alloc_aligned_and_zeroed);
	RUN(test_big_allocation_keeps_block);
	RUN(test_printf_and_strndup);
	RUN(test_cleanups_run_newest_first);
	return unit_report("test_arena");
}
