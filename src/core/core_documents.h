/*
 * core_documents.h - a user's stored documents: download links.
 *
 * A download is a short-lived link: S3's presigned GET URL, or for the local
 * driver a link to mtag itself signed with HMAC-SHA256 (a key derived from
 * MTAG_SECRET_KEY) over the document id and the expiry. Only the owner gets
 * one; another user's document is ERR_NOT_FOUND. Thread-safe.
 */
#ifndef MTAG_CORE_DOCUMENTS_H
#define MTAG_CORE_DOCUMENTS_H

#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/core.h"

/* How long a download link works. */
#define CORE_DOWNLOAD_TTL_S 300

/* A file to send: where it is and what to call it. */
struct core_file {
	const char *path;          /* the local object */
	const char *content_type;
	const char *disposition;   /* attachment; filename="..."; filename*=UTF-8''... */
};

/* A download link for the owner's document. OUT: *url (absolute, arena). */
enum mtag_err core_download_url(struct core *c, struct arena *a, const char *owner_id,
				const char *document_id, const char **url);
/*
 * Check a local link (document id, expiry, signature hex) and find its file.
 * ERR_FORBIDDEN for a bad signature or an expired link; ERR_NOT_FOUND when
 * the document or its original is gone. OUT: *f (arena), *why (the sentence for 403).
 */
enum mtag_err core_download_file(struct core *c, struct arena *a, const char *document_id,
				 const char *exp, const char *sig, struct core_file *f,
				 const char **why);

#endif
