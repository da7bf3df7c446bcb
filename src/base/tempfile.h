/*
 * tempfile.h - private temporary files in $TMPDIR (or /tmp). Thread-safe.
 */
#ifndef MTAG_TEMPFILE_H
#define MTAG_TEMPFILE_H

struct arena;

/* Create an empty file named mtag-<name>-XXXXXX in $TMPDIR, or /tmp when it is unset or
 * empty (mode 0600, O_CLOEXEC). Returns its descriptor and sets *path (allocated in a);
 * -1 with errno set on failure. The caller unlinks it. */
int tempfile_create(struct arena *a, const char *name, char **path);

#endif
