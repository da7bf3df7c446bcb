/*
 * core_process.h - processing documents: one URL or one uploaded file, now.
 *
 * Every document is recorded, also for anonymous callers (user "" -> NULL in
 * the database; readable only by its job id, purged after
 * MTAG_ANONYMOUS_TTL_HOURS with its file): a job of type "single" and its
 * document, then the pipeline (download, extraction in a helper process,
 * language, tags), the original stored in blob storage under
 * <user id or "anonymous">/<job id>/<document id>.<ext>, and the outcome with
 * the job's progress in one transaction. The same user sending the same
 * bytes again reuses the stored object. Thread-safe.
 */
#ifndef MTAG_CORE_PROCESS_H
#define MTAG_CORE_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/random.h"
#include "core/core.h"

#define CORE_MAX_LANGUAGES 16

/* What the caller asks for. */
struct core_process_options {
	const char *languages[CORE_MAX_LANGUAGES]; /* ISO 639-1; none: any */
	size_t nlanguages;
	int max_tags;                               /* 1..100 */
};

/* A processed (or failed) document, as the API shows it. */
struct core_document {
	char job_id[UUID_STR_LEN];
	char document_id[UUID_STR_LEN];
	const char *status;       /* completed | failed */
	const char *error;        /* the reason when failed */
	const char *title;
	const char *language;
	const char *text;
	const char **tags;        /* best first */
	double *scores;
	size_t ntags;
	const char *metadata;     /* the processing_metadata JSON object */
};

/* The options' defaults: any language, 10 tags. */
void core_process_options_init(struct core_process_options *o);
/*
 * Download url and process it for owner_id ("" for anonymous). ERR_OK with
 * out->status "failed" when the document itself failed (download error,
 * unsupported type, corrupt file): the failure is recorded and out->error
 * says why. Other errors (database, storage down) are returned;
 * ERR_RATE_LIMITED, with nothing recorded and out->error saying why, when the
 * node processes as many documents at once as it takes (core_sync_take), an
 * anonymous client (client_ip) is at its limits, or the URL's host had no
 * free download slot (MTAG_FETCH_PER_HOST) for 20 s.
 */
enum mtag_err core_process_url(struct core *c, struct arena *a, const char *owner_id,
			       const char *client_ip, const char *url,
			       const struct core_process_options *o, struct core_document *out);
/* As core_process_url for an uploaded file at path (moved into storage or deleted). */
enum mtag_err core_process_file(struct core *c, struct arena *a, const char *owner_id,
				const char *client_ip, const char *path, const char *filename,
				const struct core_process_options *o, struct core_document *out);
/* One uploaded file: the temp file the HTTP layer wrote, and its name as sent. */
struct core_upload {
	const char *path;
	const char *filename; /* sanitised by the caller; may be NULL */
};

/*
 * Store every file's original and record an "upload" job whose documents are
 * pending: the workers process them in the background (core_start_workers).
 * A file the same user stored before is not stored twice. ERR_RATE_LIMITED
 * (err said) past the user's limits (anonymous work: client_ip's), as a
 * batch. OUT: job_id.
 */
enum mtag_err core_submit_upload(struct core *c, struct arena *a, const char *owner_id,
				 const char *client_ip, const struct core_upload *files, size_t n,
				 const struct core_process_options *o, char job_id[UUID_STR_LEN],
				 char *err, size_t errlen);
/* Start MTAG_WORKERS threads that process pending documents (serve only; stopped by core_free). */
void core_start_workers(struct core *c);
/*
 * Start the thread that renews the leases of what this node holds (its
 * workers' documents and those processed at once for requests) and fails
 * what ran out of attempts: on every serving node, whatever its role.
 */
void core_start_lease_keeper(struct core *c);
/* Wake the workers: new pending documents. */
void core_wake_workers(struct core *c);
/* Delete anonymous work older than MTAG_ANONYMOUS_TTL_HOURS with its files. OUT: *jobs (may be NULL). */
enum mtag_err core_purge_anonymous(struct core *c, int *jobs);

#endif
