/*
 * sandbox.h - extraction in helper processes: untrusted bytes never run
 * inside the server.
 *
 * PDF parsers have a long history of memory-safety bugs, so extract_file()
 * (and sheet_read_column(), for spreadsheets) runs in helper processes: the
 * mtag binary itself, started with posix_spawn as `mtag extract-helper`,
 * talking over a socketpair. A helper is reused for up to max_docs requests
 * (spawning costs a few ms), and replaced after a crash, a timeout or that
 * many requests. It limits itself before reading anything: CPU seconds per
 * document (RLIMIT_CPU, raised for each document), address space
 * (RLIMIT_AS; not under AddressSanitizer, which needs a huge virtual
 * reservation), 16 open files, no files written (RLIMIT_FSIZE 0), no core
 * dumps. The parent enforces the wall-clock limit and SIGKILLs a helper
 * that passes it. A crash or a runaway fails that one document with a clear
 * error and nothing else.
 *
 * Thread-safe: callers share one sandbox; each call takes a free helper (up
 * to procs at once) and waits for one when all are busy. A helper dies with
 * the thread that started it (PR_SET_PDEATHSIG is per thread, not per
 * process), and any thread may be using it then: threads that call the
 * sandbox should live until no call is running (see cli_batch.c).
 */
#ifndef MTAG_SANDBOX_H
#define MTAG_SANDBOX_H

#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"
#include "pipeline/extract.h"
#include "pipeline/sheet.h"

struct sandbox_options {
	const char *exe;   /* the mtag binary; NULL: /proc/self/exe */
	int procs;         /* helpers alive at most (and calls at once) */
	int timeout_s;     /* wall-clock limit per document (60) */
	int max_docs;      /* documents per helper before it is replaced (100) */
	int mem_limit_mb;  /* address-space limit of a helper (2048) */
};

struct sandbox;

/* The defaults above, with procs = number of cores. */
void sandbox_options_init(struct sandbox_options *o);
/* A pool of helpers, started lazily. Owned by the caller. */
struct sandbox *sandbox_new(const struct sandbox_options *o);
/* Stop every helper and free the pool; NULL is a no-op. */
void sandbox_free(struct sandbox *sb);
/*
 * extract_file(path) in a helper. Errors: those of extract_file (ERR_VALIDATION
 * with its sentence), ERR_TIMEOUT "extraction timed out after 60 s",
 * ERR_INTERNAL "extraction failed: the helper process crashed (SIGSEGV)",
 * ERR_UNAVAILABLE when no helper can be started. OUT: *out in the arena.
 */
enum mtag_err sandbox_extract(struct sandbox *sb, struct arena *a, const char *path,
			      const struct extract_limits *l, struct extract_result *out,
			      char *err, size_t errlen);
/*
 * sheet_read_column(path, column) in a helper (pipeline/sheet.h), or with
 * column NULL sheet_read_headers(path): the server never parses an uploaded
 * spreadsheet itself. Errors: those of
 * sheet_read_column with its sentence, ERR_TIMEOUT "reading the spreadsheet
 * timed out after 60 s", ERR_INTERNAL "reading the spreadsheet failed: the
 * helper process crashed (SEGV)", ERR_UNAVAILABLE. OUT: *out in the arena.
 */
enum mtag_err sandbox_read_sheet(struct sandbox *sb, struct arena *a, const char *path,
				 const char *column, const struct sheet_limits *l,
				 struct sheet_result *out, char *err, size_t errlen);
/* The helper's side (`mtag extract-helper`): limit itself, serve requests on fd 0 until it closes. */
int sandbox_helper_main(long mem_mb);

#endif
