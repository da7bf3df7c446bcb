#include <stdlib.h>

#include "harness.h"
#include "base/buf.h"
#include "base/xalloc.h"

static void test_append_and_terminate(void)
{
	struct buf b = BUF_INIT(100);
	CHECK_STR(buf_cstr(&b), "");
	CHECK_INT(buf_puts(&b, "hello"), ERR_OK);
	CHECK_INT(buf_putc(&b, ' '), ERR_OK);
	CHECK_INT(buf_printf(&b, "%d+%s", 7, "x"), ERR_OK);
	CHECK_STR(buf_cstr(&b), "hello 7+x");
	CHECK_INT(b.len, 9);
	CHECK_INT(b.ptr[b.len], 0);
	buf_release(&b);
	CHECK(b.ptr == NULL);
	CHECK_INT(b.max, 100);
}

static void test_cap_is_hard(void)
{
	struct buf b = BUF_INIT(8);
	CHECK_INT(buf_puts(&b, "12345678"), ERR_OK);
	CHECK_INT(buf_putc(&b, '9'), ERR_TOO_LARGE);
	CHECK_INT(buf_printf(&b, "%d", 1), ERR_TOO_LARGE);
	CHECK_STR(buf_cstr(&b), "12345678");
	buf_reset(&b);
	CHECK_INT(buf_puts(&b, "123456789"), ERR_TOO_LARGE);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	/* Doubling never allocates far past the cap. */
	CHECK(b.cap <= 9);
	buf_release(&b);
}

static void test_zero_cap(void)
{
	struct buf b = BUF_INIT(0);
	CHECK_INT(buf_append(&b, "", 0), ERR_OK);
	CHECK_INT(buf_putc(&b, 'a'), ERR_TOO_LARGE);
	CHECK_STR(buf_cstr(&b), "");
	buf_release(&b);
}

static void test_detach(void)
{
	struct buf b = BUF_INIT(64);
	buf_puts(&b, "owned");
	size_t n;
	char *p = buf_detach(&b, &n);
	CHECK_STR(p, "owned");
	CHECK_INT(n, 5);
	CHECK(b.ptr == NULL);
	CHECK_INT(b.len, 0);
	free(p);
}

static void test_slices(void)
{
	struct slice s = slice_from_cstr("  Content-Type \t");
	struct slice t = slice_trim(s);
	CHECK_INT(t.len, 12);
	CHECK(slice_eq_cstr(t, "Content-Type"));
	CHECK(!slice_eq_cstr(t, "content-type"));
	CHECK(slice_eq_cstr_nocase(t, "content-type"));
	CHECK(!slice_eq_cstr_nocase(t, "content-typ"));
	CHECK_INT(slice_trim(slice_from_cstr("   ")).len, 0);
	CHECK_INT(slice_from_cstr(NULL).len, 0);
}

int main(void)
{
	RUN(test_append_and_terminate);
	RUN(test_cap_is_hard);
	RUN(test_zero_cap);
	RUN(test_detach);
	RUN(test_slices);
	return unit_report("test_buf");
}
