/*
 * core_jobs.h - batch jobs: a spreadsheet of links becomes a job of pending
 * documents in one transaction; progress, cancel, retry.
 *
 * Reading a job follows DESIGN.md section 6: a user's job only by that user
 * (another user's is ERR_NOT_FOUND); anonymous work by anyone holding its id.
 * Thread-safe.
 */
#ifndef MTAG_CORE_JOBS_H
#define MTAG_CORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/random.h"
#include "core/core.h"
#include "core/core_process.h"

/* A job's progress and a page of its documents. */
struct core_job_status {
	char job_id[UUID_STR_LEN];
	const char *job_type;
	const char *status;
	int total, completed, failed;
	int64_t created_at, started_at, completed_at;
	struct core_job_result {
		char document_id[UUID_STR_LEN];
		const char *url;
		const char *filename;
		const char *status;
		const char *title;
		const char *language;
		const char *tags;      /* JSON array */
		const char *error;
		int page_count;
		int64_t processed_at;
	} *results;
	size_t nresults;
};

/*
 * A batch from the spreadsheet at path (downloaded or uploaded): its column
 * (a header name or a letter) is read in a helper process; each value is a
 * pending document (an invalid URL a failed one with the reason). Per-user
 * limits answer ERR_RATE_LIMITED (anonymous work: per client_ip, the
 * submitter's address). OUT: job_id, *total; err says why on failure.
 */
enum mtag_err core_submit_batch(struct core *c, struct arena *a, const char *owner_id,
				const char *client_ip, const char *sheet_path, const char *column,
				const struct core_process_options *o, char job_id[UUID_STR_LEN],
				int *total, char *err, size_t errlen);
/* core_submit_batch for a spreadsheet at a URL (downloaded under the fetch rules). */
enum mtag_err core_submit_batch_url(struct core *c, struct arena *a, const char *owner_id,
				    const char *client_ip, const char *sheet_url, const char *column,
				    const struct core_process_options *o,
				    char job_id[UUID_STR_LEN], int *total, char *err, size_t errlen);
/* A spreadsheet's header row, column by column. */
struct core_sheet_column {
	char letter[4];         /* "A", "B", ... "AB" */
	const char *name;       /* the header cell, or the letter when it is blank */
	bool is_link;           /* the cell is a link: the sheet has no header row */
};
struct core_sheet_headers {
	const char *format;     /* "csv", "xlsx" or "ods" */
	struct core_sheet_column *columns;
	size_t n;
};
/*
 * The header row of the spreadsheet at sheet_path, or when that is NULL at
 * sheet_url (downloaded under the fetch rules), read in a helper: what a
 * person chooses the URL column from. Errors as core_submit_batch's.
 */
enum mtag_err core_sheet_headers(struct core *c, struct arena *a, const char *sheet_path,
				 const char *sheet_url, struct core_sheet_headers *out, char *err,
				 size_t errlen);
/* The progress of a job the caller (owner_id, "" when anonymous) may read; results [offset, offset+limit). */
enum mtag_err core_job_status(struct core *c, struct arena *a, const char *owner_id,
			      const char *job_id, size_t limit, size_t offset,
			      struct core_job_status *out);
/* Cancel the owner's job: pending documents are not started. OUT: *n cancelled. */
enum mtag_err core_job_cancel(struct core *c, const char *owner_id, const char *job_id, int *n);
/* Delete the owner's job with its documents and files (a running job is cancelled first). */
enum mtag_err core_job_delete(struct core *c, const char *owner_id, const char *job_id);
/*
 * Put the owner's job's failed documents back in the queue. ERR_CONFLICT for
 * a cancelled job, ERR_RATE_LIMITED past the owner's limits (err says why).
 * OUT: *n retried.
 */
enum mtag_err core_job_retry(struct core *c, const char *owner_id, const char *job_id, int *n,
			     char *err, size_t errlen);
/*
 * Make an anonymous job the owner's, with its documents (its id is the
 * capability, as for reading it): what someone submitted before signing in
 * is kept. ERR_NOT_FOUND for no such job, one owned already or one past the
 * anonymous lifetime; ERR_RATE_LIMITED (err says why) when a running job
 * would take the owner past their limits. OUT: *n documents.
 */
enum mtag_err core_job_claim(struct core *c, const char *owner_id, const char *job_id, int *n,
			     char *err, size_t errlen);

#endif
