#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "auth/ratelimit.h"
#include "blob/blob.h"
#include "core/core_process.h"
#include "pipeline/pipeline.h"
#include "pipeline/sandbox.h"
#include "auth/token.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/core.h"
#include "core/core_auth.h"
#include "core/core_int.h"
#include "store/store.h"
#include "base/tempfile.h"
#include "base/xalloc.h"

/* How often the janitor purges expired sessions and tokens. */
#define JANITOR_PERIOD_S 600
/* Temporary files older than this were left by a killed process (tempfile.h). */
#define TEMP_FILE_MAX_AGE_S (24 * 3600)

enum mtag_err core_open(const struct config *cfg, bool migrate, struct core **out,
			char *err, size_t errlen)
{
	/* What the service writes from here on (the database, the originals, uploads and
	 * temporary files) is its alone, whatever directory it is in: a 0755 state
	 * directory (systemd's default) left the database readable by every local user.
	 * mtag tag and batch open no database, and their results keep the user's umask. */
	umask(077);
	struct core *c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	atomic_init(&c->public_url, cfg->public_url);
	c->started_us = clock_now_us();
	c->node_locks[0] = c->node_locks[1] = -1;
	c->limits = ratelimit_new();
	if (cfg->secret_key) {
		token_derive_key(cfg->secret_key, "mtag access token v1", c->access_key);
		token_derive_key(cfg->secret_key, "mtag download link v1", c->download_key);
		token_derive_key(cfg->secret_key, "mtag refresh token v1", c->refresh_key);
		token_derive_key(cfg->secret_key, "mtag anonymous client v1", c->anon_key);
	}
	netaddr_list_parse(cfg->trusted_proxies, &c->trusted_proxies); /* validated by config */
	pthread_mutex_init(&c->janitor_lock, NULL);
	pthread_cond_init(&c->janitor_wake, NULL);
	pthread_cond_init(&c->work_wake, NULL);
	pthread_mutex_init(&c->host_lock, NULL);
	pthread_mutex_init(&c->sync_lock, NULL);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&c->host_free, &monotonic);
	pthread_condattr_destroy(&monotonic);
	enum mtag_err e = store_open(cfg->database_url, cfg->db_pool_size, &c->store, err, errlen);
	if (e)
		goto fail;
	log_info("core.open", "database=%s pool=%d", store_driver_name(c->store), cfg->db_pool_size);
	if (migrate) {
		int applied = 0, version = 0, rekeyed = 0;
		e = core_migrate(c, &applied, &version);
		if (e) {
			snprintf(err, errlen, "database migration failed (%s): is the %s database reachable?",
				 err_name(e), store_driver_name(c->store));
			goto fail;
		}
		e = core_rekey_emails(c, &rekeyed);
		if (e) {
			snprintf(err, errlen, "the accounts' emails could not be re-keyed (%s)", err_name(e));
			goto fail;
		}
	}
	*out = c;
	return ERR_OK;
fail:
	core_free(c);
	return e;
}

/* Stored files to delete again (blob_deletes) taken at once, and how long one storage did
 * not delete waits before it is tried again. */
#define DELETE_AGAIN_BATCH 500
#define DELETE_AGAIN_DELAY_US (600LL * 1000000)

void core_delete_queued(struct core *c, size_t max)
{
	struct arena a = ARENA_INIT;
	const char **keys = NULL;
	size_t n = 0, done = 0;
	int64_t now = clock_now_us();
	size_t failed = 0;
	if (c->blob && !store_blob_deletes_due(c->store, &a, now, max, &keys, &n)) {
		/* Each taken off the list first: a row written meanwhile keeps its file. One
		 * storage does not delete goes back on the list, due a little later (a key refused
		 * for good must not stop the rest); a few failures in a row end the pass. */
		char err[256];
		for (size_t i = 0; i < n && failed < 3; i++) {
			int taken = 0;
			if (store_blob_delete_take(c->store, keys[i], now, &taken) || !taken)
				continue;
			if (!blob_delete(c->blob, keys[i], err, sizeof(err))) {
				done++;
				failed = 0;
				continue;
			}
			failed++;
			store_blob_delete_later(c->store, keys[i], now + DELETE_AGAIN_DELAY_US);
		}
	}
	if (done)
		log_info("core.deleted_again", "files=%zu", done);
	arena_release(&a);
}

void core_delete_files(struct core *c, const char *const *keys, size_t n, const char *what)
{
	bool all = true;
	for (size_t i = 0; i < n; i++) {
		char err[256];
		if (!blob_delete(c->blob, keys[i], err, sizeof(err)))
			continue;
		all = false;
		/* Its row is gone: kept to be deleted when storage answers again. */
		enum mtag_err e = store_blob_delete_later(c->store, keys[i], clock_now_us());
		log_warn("core.delete_blob_failed", "what=%s key=%s error=\"%s\" kept=%s", what, keys[i],
			 err, e ? "no" : "yes");
	}
	if (all && n)
		core_delete_queued(c, 20); /* storage answers: a few of those it did not */
}

/*
 * Purge expired sessions, anonymous work past its lifetime, stored files no
 * row points to and stale temporary files now and then; wakes early to stop.
 */
static void *janitor_main(void *arg)
{
	struct core *c = arg;
	pthread_mutex_lock(&c->janitor_lock);
	while (!c->stopping) {
		pthread_mutex_unlock(&c->janitor_lock);
		int deleted = 0;
		enum mtag_err e = core_auth_purge(c, &deleted);
		if (e)
			log_warn("core.purge_failed", "err=%s", err_name(e));
		else if (deleted)
			log_info("core.purge", "deleted=%d", deleted);
		if (c->blob && (e = core_purge_anonymous(c, NULL)))
			log_warn("core.purge_anonymous_failed", "err=%s", err_name(e));
		core_delete_queued(c, DELETE_AGAIN_BATCH);
		char uploads[4200];
		core_upload_dir(c->cfg, uploads, sizeof(uploads));
		int stale = tempfile_sweep(NULL, TEMP_FILE_MAX_AGE_S) +
			    tempfile_sweep(uploads, TEMP_FILE_MAX_AGE_S);
		if (stale)
			log_info("core.purge_temp_files", "deleted=%d", stale);
		pthread_mutex_lock(&c->janitor_lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += JANITOR_PERIOD_S;
		while (!c->stopping && pthread_cond_timedwait(&c->janitor_wake, &c->janitor_lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->janitor_lock);
	return NULL;
}

void core_upload_dir(const struct config *cfg, char *out, size_t n)
{
	snprintf(out, n, "%s/uploads", cfg->data_dir);
}

void core_start_janitor(struct core *c)
{
	if (pthread_create(&c->janitor, NULL, janitor_main, c) == 0)
		c->janitor_running = true;
	else
		log_error("core.janitor_failed", "thread=not_started");
}

void core_free(struct core *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->janitor_lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->janitor_wake);
	pthread_cond_broadcast(&c->work_wake);
	pthread_mutex_unlock(&c->janitor_lock);
	if (c->janitor_running)
		pthread_join(c->janitor, NULL);
	/* A worker finishes the document it holds first, its lease still renewed. */
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	pthread_mutex_lock(&c->janitor_lock);
	c->keeper_stopping = true;
	pthread_cond_broadcast(&c->work_wake);
	pthread_mutex_unlock(&c->janitor_lock);
	if (c->lease_keeper_running)
		pthread_join(c->lease_keeper, NULL);
	pthread_cond_destroy(&c->host_free);
	pthread_mutex_destroy(&c->host_lock);
	pthread_mutex_destroy(&c->sync_lock);
	pthread_cond_destroy(&c->work_wake);
	pthread_cond_destroy(&c->janitor_wake);
	pthread_mutex_destroy(&c->janitor_lock);
	for (int i = 0; i < 2; i++)
		if (c->node_locks[i] >= 0)
			close(c->node_locks[i]);
	ratelimit_free(c->limits);
	pipeline_free(c->pipeline);
	sandbox_free(c->sandbox);
	blob_close(c->blob);
	store_close(c->store);
	free(c);
}

enum mtag_err core_migrate(struct core *c, int *applied, int *version)
{
	int n = 0, v = 0;
	enum mtag_err e = store_migrate(c->store, &n);
	if (!e)
		e = store_schema_version(c->store, &v);
	if (e)
		return e;
	log_info("core.migrate", "driver=%s applied=%d version=%d", store_driver_name(c->store), n, v);
	if (applied)
		*applied = n;
	if (version)
		*version = v;
	return ERR_OK;
}

const char *core_public_url(const struct core *c)
{
	return atomic_load(&c->public_url);
}

void core_set_public_url(struct core *c, const char *url)
{
	atomic_store(&c->public_url, url);
}

enum mtag_err core_check_storage(const struct config *cfg, char *err, size_t errlen)
{
	struct blob *b = NULL;
	enum mtag_err e = blob_open(cfg->storage_url, false, &b, err, errlen);
	blob_close(b);
	return e;
}

enum mtag_err core_start_services(struct core *c, char *err, size_t errlen)
{
	enum mtag_err e = blob_open(c->cfg->storage_url, true, &c->blob, err, errlen);
	if (e)
		return e;
	char ping[256];
	/* The first call creates a missing bucket; an outage now is not fatal (health says so). */
	if (blob_ping(c->blob, ping, sizeof(ping)))
		log_warn("core.storage_unavailable", "error=\"%s\"", ping);
	struct sandbox_options so;
	sandbox_options_init(&so);
	so.procs = c->cfg->workers;
	so.timeout_s = c->cfg->extract_timeout_s;
	c->sandbox = sandbox_new(&so);
	c->pipeline = pipeline_new(c->sandbox);
	log_info("core.services", "storage=%s extract_helpers=%d", blob_driver_name(c->blob), so.procs);
	return ERR_OK;
}

/* Lock path for this node alone; -1 with err set when another process holds it. */
static int lock_one(const char *path, const char *what, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	snprintf(err, errlen, "another mtag node is already serving %s; %s serves one node only - "
		 "run several nodes on PostgreSQL and S3 (docs/deploy.md)", what,
		 strstr(what, "SQLite") ? "SQLite" : "a local storage directory");
	return -1;
}

enum mtag_err core_claim_node(struct core *c, char *err, size_t errlen)
{
	const char *url = c->cfg->database_url, *st = c->cfg->storage_url;
	char path[4200], what[4300];
	if (!strncmp(url, "sqlite://", 9)) {
		snprintf(path, sizeof(path), "%s.node-lock", url + 9);
		snprintf(what, sizeof(what), "the SQLite database %s", url + 9);
		if ((c->node_locks[0] = lock_one(path, what, err, errlen)) < 0)
			return ERR_CONFLICT;
	}
	if (!strncmp(st, "file://", 7)) {
		mkdir(st + 7, 0700); /* blob_fs makes it on first use; the lock needs it now */
		/* '#' is in no object key: the lock never shows in a listing. */
		snprintf(path, sizeof(path), "%s/#mtag-node.lock", st + 7);
		snprintf(what, sizeof(what), "the local storage directory %s", st + 7);
		if ((c->node_locks[1] = lock_one(path, what, err, errlen)) < 0)
			return ERR_CONFLICT;
	}
	return ERR_OK;
}

void core_health(struct core *c, struct core_health *out)
{
	memset(out, 0, sizeof(*out));
	out->database = store_driver_name(c->store);
	out->database_ok = store_ping(c->store) == ERR_OK;
	out->storage_ok = true;
	if (c->blob) {
		out->storage = blob_driver_name(c->blob);
		out->storage_ok = blob_ping(c->blob, out->storage_error, sizeof(out->storage_error)) == ERR_OK;
	}
	out->ok = out->database_ok && out->storage_ok;
}
