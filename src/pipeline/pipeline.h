/*
 * pipeline.h - from a URL or a file to text, properties, language and tags.
 *
 * The steps: fetch (a URL, into a temp file), extract (in a helper process
 * when a sandbox is given, pipeline/sandbox.h), detect the language, tag,
 * and choose the title. Knows nothing of HTTP or the database, so `mtag tag`
 * uses it directly and the workers of the server call it through core.
 *
 * struct pipeline is shared by every thread; each thread gets its own
 * language detector and tagger on first use (their libraries are not
 * thread-safe), freed when the thread ends.
 */
#ifndef MTAG_PIPELINE_H
#define MTAG_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "pipeline/extract.h"
#include "pipeline/fetch.h"
#include "pipeline/tagger.h"

#define PIPELINE_MAX_LANGUAGES 16

struct pipeline_options {
	const char *languages[PIPELINE_MAX_LANGUAGES]; /* expected languages (ISO 639-1); none: any */
	size_t nlanguages;
	int max_tags;                  /* 1..TAGGER_MAX_TAGS, 10 by default */
	struct extract_limits limits;
	struct fetch_options fetch;
};

struct pipeline_doc {
	const char *source;            /* the URL or the path as given */
	const char *filename;          /* from the URL or the path; NULL when none */
	const char *title;             /* the document's own, else the file name, else the first line */
	const char *language;          /* ISO 639-1, or "und" */
	const char *mime_type;
	int page_count;
	bool truncated;                /* a page or text limit cut the document */
	size_t size_bytes;
	char sha256[65];               /* of the original bytes, hex */
	const char *text;
	size_t text_len;
	struct tag *tags;
	size_t ntags;
	struct extract_result props;   /* author, subject, dates, ... as extracted */
	int64_t fetch_us, extract_us, tag_us, total_us;
};

struct sandbox;
struct pipeline;

/* The defaults: any language, 10 tags, the extract and fetch defaults. */
void pipeline_options_init(struct pipeline_options *o);
/* A pipeline extracting through sb (borrowed; NULL: in this process, for tests only). */
struct pipeline *pipeline_new(struct sandbox *sb);
/* Free the pipeline; NULL is a no-op. */
void pipeline_free(struct pipeline *p);
/* Process a local file; display_name (may be NULL) gives the file name for the title. */
enum mtag_err pipeline_run_file(struct pipeline *p, struct arena *a, const char *path,
				const char *display_name, const struct pipeline_options *o,
				struct pipeline_doc *out, char *err, size_t errlen);
/*
 * Download url into a new temp file (in $TMPDIR or /tmp) that the caller
 * removes (tempfile_remove: see tempfile_track). OUT: *path (arena; NULL on
 * failure), *fr. err holds the sentence.
 */
enum mtag_err pipeline_download(struct arena *a, const char *url, const struct fetch_options *o,
				const char **path, struct fetch_result *fr, char *err, size_t errlen);
/*
 * Process a file kept under another name (a download, a stored upload):
 * url is the source (may be NULL), filename the title's fallback (may be NULL).
 */
enum mtag_err pipeline_run_download(struct pipeline *p, struct arena *a, const char *path,
				    const char *url, const char *filename,
				    const struct pipeline_options *o, struct pipeline_doc *out,
				    char *err, size_t errlen);
/* Download url into a temp file (deleted afterwards), then process it. */
enum mtag_err pipeline_run_url(struct pipeline *p, struct arena *a, const char *url,
			       const struct pipeline_options *o, struct pipeline_doc *out,
			       char *err, size_t errlen);
/* SHA-256 (hex) and size of a file. */
enum mtag_err pipeline_file_sha256(const char *path, char hex[65], size_t *size, char *err,
				   size_t errlen);
/* The file extension for what the first bytes of a file look like: pdf, zip, html, txt or bin. */
const char *pipeline_sniff_extension(const char *path);
/* True when a document's own title is worth showing (not "Untitled", not a file name). */
bool pipeline_title_is_real(const char *title);

#endif
