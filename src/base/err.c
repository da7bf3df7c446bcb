#include <stddef.h>

#include "base/err.h"
#include "base/xalloc.h"

static const struct {
	const char *name;
	int status;
	const char *detail;
} err_table[] = {
#define MTAG_ERR_ROW(sym, name, status, detail) { name, status, detail },
	MTAG_ERRORS(MTAG_ERR_ROW)
#undef MTAG_ERR_ROW
};

const char *err_name(enum mtag_err e)
{
	return (unsigned)e < ERR__COUNT ? err_table[e].name : "unknown";
}

int err_http_status(enum mtag_err e)
{
	return (unsigned)e < ERR__COUNT ? err_table[e].status : 500;
}

const char *err_detail(enum mtag_err e)
{
	return (unsigned)e < ERR__COUNT ? err_table[e].detail : "internal error";
}
