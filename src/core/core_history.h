/*
 * core_history.h - a user's jobs and documents: lists, search, detail,
 * deletion, tags, statistics, export. Every operation is for one owner (a
 * user id); anonymous callers list nothing. Records are the store's
 * (store/store.h), strings in the caller's arena. Thread-safe.
 */
#ifndef MTAG_CORE_HISTORY_H
#define MTAG_CORE_HISTORY_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/core.h"
#include "core/core_auth.h" /* struct core_failure */
#include "store/store.h"

/* The owner's jobs, newest first. */
enum mtag_err core_history_jobs(struct core *c, struct arena *a, const char *owner,
				const struct store_job_filter *f, size_t limit, size_t offset,
				struct store_job **out, size_t *n, size_t *total);
/* One of the owner's jobs and a page of its documents (without text). */
enum mtag_err core_history_job(struct core *c, struct arena *a, const char *owner, const char *id,
			       size_t limit, size_t offset, struct store_job *job,
			       struct store_document **docs, size_t *n);
/* The owner's documents (without text), newest first. */
enum mtag_err core_history_documents(struct core *c, struct arena *a, const char *owner,
				     const struct store_doc_filter *f, size_t limit, size_t offset,
				     struct store_document **out, size_t *n, size_t *total);
/* Full-text search over the owner's documents, best first. */
enum mtag_err core_history_search(struct core *c, struct arena *a, const char *owner,
				  const char *query, const struct store_doc_filter *f, size_t limit,
				  size_t offset, struct store_hit **out, size_t *n, size_t *total);
/* One of the owner's documents, with its text. */
enum mtag_err core_history_document(struct core *c, struct arena *a, const char *owner,
				    const char *id, struct store_document *out);
/* Delete one of the owner's documents and, when no other document shares it, its file. */
enum mtag_err core_history_delete_document(struct core *c, const char *owner, const char *id);
/* The owner's tags with counts, most used first. */
enum mtag_err core_history_tags(struct core *c, struct arena *a, const char *owner,
				const char *prefix, size_t limit, struct store_tag_count **out,
				size_t *n);
/* The owner's statistics. */
enum mtag_err core_history_stats(struct core *c, const char *owner, struct store_stats *out);
/* Exports a user may start a minute (per node): each reads their whole library. */
#define CORE_EXPORTS_PER_MINUTE 10

/*
 * Write the owner's documents as CSV or JSON (an array) into a new temp file
 * that the caller sends and unlinks; memory stays constant whatever the
 * count. ERR_RATE_LIMITED past CORE_EXPORTS_PER_MINUTE (*f says when to
 * retry). OUT: *path (arena).
 */
enum mtag_err core_history_export(struct core *c, struct arena *a, const char *owner, bool json,
				  bool with_text, const char **path, struct core_failure *f);

#endif
