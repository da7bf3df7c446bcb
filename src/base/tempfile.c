/*
 * tempfile.c - private temporary files (tempfile.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/tempfile.h"

static const char *temp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && dir[0] ? dir : "/tmp";
}

int tempfile_create(struct arena *a, const char *name, char **path)
{
	*path = arena_printf(a, "%s/mtag-%s-XXXXXX", temp_dir(), name);
	return mkostemp(*path, O_CLOEXEC);
}

/* mtag-<name>-XXXXXX: our prefix, a name, and mkostemp's six letters or digits. */
static bool temp_name(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "mtag-", 5) != 0 || n < 5 + 1 + 7 || s[n - 7] != '-')
		return false;
	for (size_t i = n - 6; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

int tempfile_sweep(const char *dir, int64_t older_than_s)
{
	DIR *d = opendir(dir ? dir : temp_dir());
	int removed = 0;

	if (!d)
		return 0;
	time_t limit = time(NULL) - (time_t)older_than_s;
	uid_t me = geteuid();
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (!temp_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode) && st.st_uid == me && st.st_mtime < limit &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
