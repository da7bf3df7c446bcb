/*
 * bench_extract - extract files the way mtag does, and say how long it took.
 *
 * usage: bench_extract inproc FILE...          one thread, extract_file() in this process
 *        bench_extract sandbox N MTAG FILE...  N threads, helper processes of MTAG
 * Prints one JSON line: files, ok, pages, wall_s, cpu_s (this process and its
 * reaped children) and the failures with their reasons. Built by `make bench`.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "pipeline/extract.h"
#include "pipeline/sandbox.h"

static char **files;
static int nfiles;
static atomic_int next, pages, ok;
static struct sandbox *sb;
static json_t *failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	(void)arg;
	struct extract_limits l;
	extract_limits_init(&l);
	for (int i; (i = atomic_fetch_add(&next, 1)) < nfiles;) {
		struct arena a = ARENA_INIT;
		struct extract_result r;
		char err[512] = "";
		enum mtag_err e = sb ? sandbox_extract(sb, &a, files[i], &l, &r, err, sizeof(err))
				     : extract_file(&a, files[i], &l, &r, err, sizeof(err));
		if (e) {
			pthread_mutex_lock(&lock);
			json_array_append_new(failures, json_pack("{s:s, s:s}", "file", files[i], "error", err));
			pthread_mutex_unlock(&lock);
		} else {
			atomic_fetch_add(&ok, 1);
			atomic_fetch_add(&pages, r.page_count);
		}
		arena_release(&a);
	}
	return NULL;
}

static double cpu_seconds(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	int threads = 1, first = 2;
	if (argc < 3 || (strcmp(argv[1], "inproc") && strcmp(argv[1], "sandbox"))) {
		fprintf(stderr, "usage: bench_extract inproc FILE... | sandbox N MTAG FILE...\n");
		return 2;
	}
	if (!strcmp(argv[1], "sandbox")) {
		struct sandbox_options o;
		sandbox_options_init(&o);
		threads = o.procs = (int)strtol(argv[2], NULL, 10);
		o.exe = argv[3];
		sb = sandbox_new(&o);
		first = 4;
	}
	files = argv + first;
	nfiles = argc - first;
	failures = json_array();
	int64_t t0 = clock_mono_us();
	pthread_t th[64];
	for (int i = 0; i < threads && i < 64; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < threads && i < 64; i++)
		pthread_join(th[i], NULL);
	sandbox_free(sb); /* reaps the helpers, so their CPU time is counted */
	double wall = (double)(clock_mono_us() - t0) / 1e6;
	double cpu = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
	json_t *o = json_pack("{s:i, s:i, s:i, s:f, s:f, s:o}", "files", nfiles, "ok", atomic_load(&ok),
			      "pages", atomic_load(&pages), "wall_s", wall, "cpu_s", cpu, "failures",
			      failures);
	char *s = json_dumps(o, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(o);
	return 0;
}
