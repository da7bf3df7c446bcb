/*
 * test_tempfile.c - temporary files: creation, the janitor's sweep of the
 * ones a killed process left, and the tracked ones an interrupted command
 * removes (last: tempfile_remove_all ends creation for the process).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "base/arena.h"
#include "base/tempfile.h"

static char dir[64];

/* Create dir/name (a file, or a directory), last written age_s seconds ago. */
static void make(const char *name, bool is_dir, int64_t age_s)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (is_dir)
		CHECK_INT(mkdir(path, 0700), 0);
	else
		close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age_s;
	t[1] = t[0];
	CHECK_INT(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_create(void)
{
	struct arena a;
	char *path = NULL;
	arena_init(&a);
	int fd = tempfile_create(&a, "fetch", &path);
	CHECK(fd >= 0);
	CHECK(path && !strncmp(path, dir, strlen(dir)) && strstr(path, "/mtag-fetch-"));
	struct stat st;
	CHECK_INT(fstat(fd, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	close(fd);
	unlink(path);
	arena_release(&a);
}

static void test_sweep(void)
{
	make("mtag-fetch-Ab12Cd", false, 7200);  /* left by a killed process */
	make("mtag-work-x9Y8z7", false, 7200);
	make("mtag-fetch-Zz99Zz", false, 60);    /* in use */
	make("mtag-notes.txt", false, 7200);     /* not of our form */
	make("other-fetch-Ab12Cd", false, 7200);
	make("mtag-fetch-Ab12C!", false, 7200);
	make("mtag-dir-Qq11Qq", true, 7200);     /* a directory */
	CHECK_INT(tempfile_sweep(NULL, 3600), 2);
	CHECK(!exists("mtag-fetch-Ab12Cd"));
	CHECK(!exists("mtag-work-x9Y8z7"));
	CHECK(exists("mtag-fetch-Zz99Zz"));
	CHECK(exists("mtag-notes.txt"));
	CHECK(exists("other-fetch-Ab12Cd"));
	CHECK(exists("mtag-fetch-Ab12C!"));
	CHECK(exists("mtag-dir-Qq11Qq"));
	CHECK_INT(tempfile_sweep(NULL, 3600), 0);
	CHECK_INT(tempfile_sweep(dir, 3600), 0);
	/* A directory named: the uploads' (mtag-upload-XXXXXX), swept the same way. */
	make("mtag-upload-Up12Up", false, 7200);
	CHECK_INT(tempfile_sweep(dir, 3600), 1);
	CHECK(!exists("mtag-upload-Up12Up"));
	CHECK_INT(tempfile_sweep("/nonexistent-mtag-dir", 3600), 0);
}

/* How many files of tempfile_create (made in this run: no other has "-live-") are in dir. */
static int count_in_dir(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strncmp(e->d_name, "mtag-live-", 10) == 0;
	if (d)
		closedir(d);
	return n;
}

static void test_track_and_remove_all(void)
{
	struct arena a;
	char *p[3];
	arena_init(&a);
	CHECK_INT(count_in_dir(), 0);
	tempfile_track();
	for (int i = 0; i < 3; i++) {
		int fd = tempfile_create(&a, "live", &p[i]);
		CHECK(fd >= 0);
		close(fd);
	}
	CHECK_INT(tempfile_remove(p[1]), 0);
	CHECK_INT(count_in_dir(), 2);
	/* The slot p[1] had is free again, and the path a new file takes is what is kept. */
	char *again;
	int fd = tempfile_create(&a, "live", &again);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(count_in_dir(), 3);
	errno = EAGAIN;
	tempfile_remove_all();
	CHECK_INT(errno, EAGAIN);
	CHECK_INT(count_in_dir(), 0);
	char *late;
	CHECK_INT(tempfile_create(&a, "live", &late), -1);
	CHECK_INT(errno, ECANCELED);
	CHECK_INT(count_in_dir(), 0);
	CHECK_INT(tempfile_remove(p[0]), -1); /* already gone */
	arena_release(&a);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mtag-test-tempfile-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	setenv("TMPDIR", dir, 1);
	RUN(test_create);
	RUN(test_sweep);
	RUN(test_track_and_remove_all);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_tempfile: could not remove %s\n", dir);
	return unit_report("test_tempfile");
}
