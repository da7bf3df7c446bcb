/*
 * tempfile.h - private temporary files in $TMPDIR (or /tmp). Thread-safe.
 */
#ifndef MTAG_TEMPFILE_H
#define MTAG_TEMPFILE_H

#include <stdint.h>

struct arena;

/* Create an empty file named mtag-<name>-XXXXXX in $TMPDIR, or /tmp when it is unset or
 * empty (mode 0600, O_CLOEXEC). Returns its descriptor and sets *path (allocated in a);
 * -1 with errno set on failure. The caller unlinks it. */
int tempfile_create(struct arena *a, const char *name, char **path);

/*
 * Remove the regular files named mtag-<name>-XXXXXX in dir ($TMPDIR or /tmp
 * for NULL), ours (same user), last written more than older_than_s seconds
 * ago: what a killed process left (a temp file lives for one download, one
 * upload or one document, minutes at most). Returns how many were removed.
 */
int tempfile_sweep(const char *dir, int64_t older_than_s);

#endif
