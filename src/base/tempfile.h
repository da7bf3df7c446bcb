/*
 * tempfile.h - private temporary files in $TMPDIR (or /tmp). Thread-safe.
 *
 * A command-line tool that may be interrupted calls tempfile_track() first:
 * the files tempfile_create makes are then remembered until tempfile_remove,
 * and its SIGINT/SIGTERM handling calls tempfile_remove_all() before it exits,
 * so that no half-written download is left behind. The server does not track
 * (it sweeps old files at start-up instead: tempfile_sweep).
 */
#ifndef MTAG_TEMPFILE_H
#define MTAG_TEMPFILE_H

#include <stdint.h>

struct arena;

/* Create an empty file named mtag-<name>-XXXXXX in $TMPDIR, or /tmp when it is unset or
 * empty (mode 0600, O_CLOEXEC). Returns its descriptor and sets *path (allocated in a);
 * -1 with errno set on failure (ECANCELED after tempfile_remove_all). The caller removes
 * it, with tempfile_remove when tracking. */
int tempfile_create(struct arena *a, const char *name, char **path);

/* Unlink path, a file of tempfile_create, and forget it. Returns what unlink returns. */
int tempfile_remove(const char *path);

/* From now on remember the files tempfile_create makes (at most 128 at a time), for
 * tempfile_remove_all. Once per process, before its threads start. */
void tempfile_track(void);

/*
 * Unlink every remembered file not yet removed; tempfile_create fails from
 * then on. For a process about to exit, also from a signal handler: it takes
 * no lock and allocates nothing (atomics, unlink, nanosleep), and keeps errno.
 */
void tempfile_remove_all(void);

/*
 * Remove the regular files named mtag-<name>-XXXXXX in dir ($TMPDIR or /tmp
 * for NULL), ours (same user), last written more than older_than_s seconds
 * ago: what a killed process left (a temp file lives for one download, one
 * upload or one document, minutes at most). Returns how many were removed.
 */
int tempfile_sweep(const char *dir, int64_t older_than_s);

#endif
