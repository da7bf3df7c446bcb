/*
 * tempfile.c - private temporary files (tempfile.h).
 */
#include <fcntl.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/tempfile.h"

int tempfile_create(struct arena *a, const char *name, char **path)
{
	const char *dir = getenv("TMPDIR");
	*path = arena_printf(a, "%s/mtag-%s-XXXXXX", dir && dir[0] ? dir : "/tmp", name);
	return mkostemp(*path, O_CLOEXEC);
}
