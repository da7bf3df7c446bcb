/*
 * core.h - the domain operations that both the API and the command line call.
 *
 * struct core ties the configuration to the open database (and, in later
 * issues, blob storage and the worker pool). It is created once by a command
 * (serve, migrate, ...) and shared by every thread; each operation is
 * thread-safe because the store is. The core owns the store; the config is
 * borrowed and must outlive the core.
 */
#ifndef MTAG_CORE_H
#define MTAG_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <stdatomic.h>

#include "base/config.h"
#include "base/err.h"
#include "base/netaddr.h"

#define CORE_WORKERS_MAX 256
/* Documents processed at once for requests (process-single, a one-file upload) whose
 * leases are renewed: the HTTP offload pool's threads, 4 per event loop of 64 at most
 * (MTAG_HTTP_THREADS), one each. */
#define CORE_SYNC_MAX 256

struct store;
struct ratelimit;
struct blob;
struct sandbox;
struct pipeline;

struct core {
	const struct config *cfg;       /* borrowed */
	struct store *store;            /* owned */
	struct ratelimit *limits;       /* owned: login, register and refresh buckets */
	/* Owned, set by core_start_services (serve only): */
	struct blob *blob;              /* originals */
	struct sandbox *sandbox;        /* extraction helper processes */
	struct pipeline *pipeline;      /* fetch, extract, language, tags */
	unsigned char download_key[32]; /* signs local download links */
	int node_locks[2];              /* core_claim_node's lock files, -1 when none */
	unsigned char access_key[32];   /* signs access tokens (derived from the secret key) */
	unsigned char refresh_key[32];  /* derives each refresh token's replacement (token_refresh_next) */
	unsigned char anon_key[32];     /* keys anonymous clients' addresses (core_anon_client) */
	_Atomic(const char *) public_url; /* cfg->public_url, or the one core_set_public_url set */
	struct netaddr_list trusted_proxies;
	int64_t started_us;             /* wall clock at core_open */
	/* The janitor thread (purges expired sessions), when started. */
	pthread_t janitor;
	bool janitor_running;
	pthread_mutex_t janitor_lock;
	pthread_cond_t janitor_wake;
	bool stopping;
	bool keeper_stopping; /* set after the workers have finished: leases are renewed until then */
	_Atomic int64_t storage_down_us; /* when storage last failed a worker's document, 0: fine */
	/* The workers (core_queue.c), woken through work_wake under janitor_lock. */
	pthread_t workers[CORE_WORKERS_MAX];
	int nworkers;
	pthread_cond_t work_wake;
	/* The documents this node holds, for lease renewal ("" when free): a worker's at its
	 * slot, then those processed at once for a request (core_hold). Under janitor_lock. */
	char held[CORE_WORKERS_MAX + CORE_SYNC_MAX][37];
	pthread_t lease_keeper;
	bool lease_keeper_running;
	int64_t last_reap_us;
	/* Documents processed at once for requests (core_sync_take): their count, and each
	 * owner's (a user id, an anonymous client's key). Under sync_lock. */
	pthread_mutex_t sync_lock;
	int sync_busy;
	struct core_sync_owner { char key[40]; int n; } sync_owners[CORE_SYNC_MAX];
	/* Downloads at once per host (MTAG_FETCH_PER_HOST): a small table under host_lock. */
	pthread_mutex_t host_lock;
	pthread_cond_t host_free;
	struct core_host { char host[128]; int active; } hosts[CORE_WORKERS_MAX];
};

/*
 * Open the database named by cfg->database_url. With migrate, apply pending
 * migrations first (serve does; `mtag migrate` calls core_migrate itself).
 * Tokens are signed with a key derived from cfg->secret_key when it is set.
 * On failure err holds one line for the user.
 */
enum mtag_err core_open(const struct config *cfg, bool migrate, struct core **out,
			char *err, size_t errlen);
/*
 * Whether MTAG_STORAGE_URL and the S3 credentials are usable (S3 is not
 * reached; a local directory is created): a server checks it before it
 * migrates anything. ERR_VALIDATION (a configuration error) or another
 * error (the directory cannot be made) with err said otherwise.
 */
/* The address users reach (MTAG_PUBLIC_URL), for links. */
const char *core_public_url(const struct core *c);
/*
 * Replace it, once the server knows its port (MTAG_LISTEN with port 0): url
 * is borrowed and must outlive the core; readers may still hold the one
 * before.
 */
void core_set_public_url(struct core *c, const char *url);
enum mtag_err core_check_storage(const struct config *cfg, char *err, size_t errlen);
/*
 * Open blob storage (creating the bucket when missing), the extraction
 * sandbox and the pipeline: what processing documents needs. On failure err
 * says why (e.g. a malformed MTAG_STORAGE_URL).
 */
enum mtag_err core_start_services(struct core *c, char *err, size_t errlen);
/*
 * Claim the single-node resources: with SQLite, the database file; with local
 * storage, its directory. Each is locked (flock, held until the process
 * ends, even by SIGKILL) so that a second `mtag serve` on them is refused
 * with err saying to use PostgreSQL and S3. PostgreSQL and S3 need nothing.
 */
enum mtag_err core_claim_node(struct core *c, char *err, size_t errlen);
/* Where uploads land while they arrive: the data directory's uploads/ (next to the data). */
void core_upload_dir(const struct config *cfg, char *out, size_t n);
/*
 * Start the janitor thread: every 10 minutes it purges expired sessions, old
 * anonymous work and the temporary files a killed process left (serve only).
 */
void core_start_janitor(struct core *c);
/* Stop the janitor (if started), close the database and free the core; NULL is a no-op. */
void core_free(struct core *c);
/* Apply pending migrations. OUT: *applied (may be NULL), *version (may be NULL). */
enum mtag_err core_migrate(struct core *c, int *applied, int *version);

/* The state of the dependencies, for /health. */
struct core_health {
	bool ok;                /* every dependency answered */
	bool database_ok;
	const char *database;   /* driver name: "sqlite" or "postgresql" */
	bool storage_ok;        /* true when no storage is open (migrate, user) */
	const char *storage;    /* "local", "s3", or NULL when none is open */
	char storage_error[256];
};

/* Check every dependency now. */
void core_health(struct core *c, struct core_health *out);

struct buf;
/*
 * Append the process's metrics (Prometheus text): documents by outcome,
 * claim latency, pipeline stage durations (recorded as they happen, for
 * every core of the process), then gauges read now: queue depth (a
 * database query; left out when it fails), DB pool in use and size, resident
 * memory, start time and uptime. ERR_TOO_LARGE past out's cap.
 */
enum mtag_err core_metrics_render(struct core *c, struct buf *out);

#endif
