#include <string.h>

#include "base/embed.h"
#include "base/xalloc.h"

const struct embed_file *embed_find(const struct embed_file *table, const char *name)
{
	for (; table && table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}
