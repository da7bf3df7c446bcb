/*
 * tempfile.c - private temporary files (tempfile.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/tempfile.h"

/*
 * The remembered files: a fixed table, so that tempfile_remove_all can run
 * in a signal handler while other threads create and remove files. A slot's
 * owner is NULL (free), FILLING (its creator is making the file), TAKEN
 * (tempfile_remove_all has it, for good) or the caller's path pointer (the
 * file is live). That pointer is only compared, never read: it lives in an
 * arena another thread may free. The slot's own copy, path, is written by the
 * creator while FILLING and read only by whoever moves the slot from live to
 * TAKEN, so no one reads it while it changes.
 */
#define TRACK_SLOTS 128    /* batch runs at most 64 downloads at a time */
#define TRACK_PATH 1024    /* a longer path is not remembered */
#define TRACK_WAIT_MS 100  /* for creators caught between mkostemp and their slot */

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_BOOL_LOCK_FREE == 2,
	       "tempfile_remove_all needs lock-free atomics to be async-signal-safe");

static const char filling_mark, taken_mark;
#define FILLING (&filling_mark)
#define TAKEN (&taken_mark)

static struct track_slot {
	_Atomic(const char *) owner;
	char path[TRACK_PATH];
} track[TRACK_SLOTS];
static atomic_bool tracking, closed;

static const char *temp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && dir[0] ? dir : "/tmp";
}

/* A free slot, now FILLING; NULL when none is free or path does not fit. */
static struct track_slot *slot_claim(const char *path)
{
	if (strlen(path) >= TRACK_PATH)
		return NULL;
	for (size_t i = 0; i < TRACK_SLOTS; i++) {
		const char *free_slot = NULL;
		if (atomic_compare_exchange_strong(&track[i].owner, &free_slot, FILLING))
			return &track[i];
	}
	return NULL;
}

/*
 * mkostemp with the file in a slot. The stop signals are blocked meanwhile,
 * so a handler cannot run tempfile_remove_all on this thread between the
 * file and its slot; on another thread it sets closed before it looks at the
 * slots and this stores the slot before it looks at closed (both sequentially
 * consistent): either it finds the file, or this sees closed and removes it.
 */
static int create_tracked(char *path)
{
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	struct track_slot *s = slot_claim(path);
	int fd = -1, err = ECANCELED;
	if (!atomic_load(&closed)) {
		fd = mkostemp(path, O_CLOEXEC);
		err = errno;
	}
	if (s && fd >= 0) {
		memcpy(s->path, path, strlen(path) + 1);
		atomic_store(&s->owner, path);
	} else if (s) {
		atomic_store(&s->owner, NULL);
	}
	if (fd >= 0 && atomic_load(&closed)) {
		close(fd);
		unlink(path);
		fd = -1;
		err = ECANCELED;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return fd;
}

int tempfile_create(struct arena *a, const char *name, char **path)
{
	*path = arena_printf(a, "%s/mtag-%s-XXXXXX", temp_dir(), name);
	if (atomic_load(&tracking))
		return create_tracked(*path);
	return mkostemp(*path, O_CLOEXEC);
}

int tempfile_remove(const char *path)
{
	int r = unlink(path);
	int err = errno;
	for (size_t i = 0; atomic_load(&tracking) && i < TRACK_SLOTS; i++) {
		const char *mine = path;
		if (atomic_compare_exchange_strong(&track[i].owner, &mine, NULL))
			break;
	}
	errno = err;
	return r;
}

void tempfile_track(void)
{
	atomic_store(&tracking, true);
}

void tempfile_remove_all(void)
{
	int err = errno;
	atomic_store(&closed, true);
	for (int waited = 0;; waited++) {
		bool filling = false;
		for (size_t i = 0; i < TRACK_SLOTS; i++) {
			const char *o = atomic_load(&track[i].owner);
			if (o && o != FILLING && o != TAKEN &&
			    atomic_compare_exchange_strong(&track[i].owner, &o, TAKEN))
				unlink(track[i].path);
			else if (o == FILLING) /* also as the exchange found it */
				filling = true;
		}
		/* A creator on another thread is one system call from storing its file. */
		if (!filling || waited == TRACK_WAIT_MS)
			break;
		struct timespec ms = { 0, 1000 * 1000 };
		nanosleep(&ms, NULL);
	}
	errno = err;
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
