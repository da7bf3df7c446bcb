/*
 * cli_batch.c - `mtag batch SHEET --column NAME`: every link of a
 * spreadsheet column through the pipeline, with no server and no database.
 *
 * The sheet is read in a helper process (sandbox_read_sheet), then N worker
 * threads take the rows in order and run pipeline_run_url (extraction in
 * the sandbox's helpers). Results are written in row order: a result that
 * finishes early waits in memory until every row before it is written, and
 * the output is flushed after each write, so an interrupted run keeps all
 * that finished. The main thread reports progress and waits for signals.
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread (and so in the
 * helper processes, which inherit the mask and must not die of the
 * terminal's Ctrl-C) and taken by the main thread with sigtimedwait. The
 * first one stops new documents and gives the running ones BATCH_GRACE_S
 * seconds; the second, or the end of the grace period, writes what finished
 * and leaves at once (_exit: the threads still running are abandoned, their
 * temp files removed first: tempfile_track).
 *
 * Workers that run out of rows wait for the others before they end: a
 * helper process dies with the thread that started it (PR_SET_PDEATHSIG is
 * per thread), and another worker may be using it.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/tempfile.h"
#include "cli/cli.h"
#include "pipeline/pipeline.h"
#include "pipeline/sandbox.h"
#include "base/xalloc.h"

#define BATCH_WORKERS_MAX 64
#define BATCH_GRACE_S 5
#define BATCH_TICK_MS 200
#define LINE_MAX_BYTES ((size_t)16 << 20)

enum { FLAG_COLUMN, FLAG_OUT, FLAG_WORKERS, FLAG_MAX_TAGS, FLAG_LANG };
static const struct cli_flag batch_flags[] = {
	[FLAG_COLUMN] = { "column", true },
	[FLAG_OUT] = { "out", true },
	[FLAG_WORKERS] = { "workers", true },
	[FLAG_MAX_TAGS] = { "max-tags", true },
	[FLAG_LANG] = { "lang", true },
	{ NULL, false },
};

struct result {
	char *line;    /* the output line (with its '\n'), NULL until done or once written */
	bool done;
};

struct batch {
	const struct sheet_result *sheet;
	struct pipeline *p;
	const struct pipeline_options *o;
	bool csv;                 /* else JSON Lines */
	FILE *out;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct result *results;
	size_t next;              /* the next row to start */
	size_t written;           /* rows before this one are written (or skipped) */
	size_t running, finished, failed;
	int alive;                /* worker threads not ended */
	bool stopping;            /* start no new document */
	bool closed;              /* the output is closed: write nothing more */
	int write_errno;          /* the output failed */
	/* progress (main thread only) */
	bool tty;
	int64_t started_us, next_report_us, interval_us;
};

/* ---- output lines --------------------------------------------------------- */

/* A CSV field: quoted when needed; a leading = + - @ is defused with ' (spreadsheet formulas). */
static void csv_field(struct buf *b, const char *s, bool last)
{
	s = s ? s : "";
	bool formula = strchr("=+-@\t\r", s[0]) && s[0];
	bool quote = formula || strpbrk(s, ",\"\r\n") || (s[0] == ' ');
	if (quote)
		buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	if (quote)
		buf_putc(b, '"');
	buf_putc(b, last ? '\n' : ',');
}

static char *csv_line(const struct sheet_row *row, const struct pipeline_doc *d, const char *err)
{
	struct buf b = BUF_INIT(LINE_MAX_BYTES), tags = BUF_INIT(LINE_MAX_BYTES);
	char num[32];
	snprintf(num, sizeof(num), "%zu", row->row);
	csv_field(&b, num, false);
	csv_field(&b, row->value, false);
	csv_field(&b, d ? "completed" : "failed", false);
	csv_field(&b, d ? d->title : NULL, false);
	csv_field(&b, d ? d->language : NULL, false);
	snprintf(num, sizeof(num), "%d", d ? d->page_count : 0);
	csv_field(&b, d ? num : NULL, false);
	for (size_t i = 0; d && i < d->ntags; i++)
		buf_printf(&tags, "%s%s", i ? "; " : "", d->tags[i].text);
	csv_field(&b, buf_cstr(&tags), false);
	csv_field(&b, d ? NULL : err, true);
	buf_release(&tags);
	return buf_detach(&b, NULL);
}

static char *json_line(const struct sheet_row *row, const struct pipeline_doc *d, const char *err)
{
	json_t *o = json_object();
	json_object_set_new(o, "row", json_integer((json_int_t)row->row));
	json_object_set_new(o, "url", jsonx_string_lossy(row->value));
	json_object_set_new(o, "status", json_string(d ? "completed" : "failed"));
	if (d) {
		json_t *tags = json_array();
		for (size_t i = 0; i < d->ntags; i++)
			json_array_append_new(tags, json_pack("{s:o, s:f}", "tag", jsonx_string_lossy(d->tags[i].text), "score",
							      (double)(int)(d->tags[i].score * 1000 + 0.5) / 1000));
		json_object_set_new(o, "title", jsonx_string_lossy(d->title));
		json_object_set_new(o, "language", jsonx_string_lossy(d->language));
		json_object_set_new(o, "pages", json_integer(d->page_count));
		json_object_set_new(o, "mime_type", jsonx_string_lossy(d->mime_type));
		json_object_set_new(o, "size_bytes", json_integer((json_int_t)d->size_bytes));
		json_object_set_new(o, "sha256", json_string(d->sha256));
		json_object_set_new(o, "truncated", json_boolean(d->truncated));
		json_object_set_new(o, "tags", tags);
	}
	json_object_set_new(o, "error", d ? json_null() : jsonx_string_lossy(err));
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(3));
	json_decref(o);
	size_t n = strlen(s);
	s = xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

/* ---- the workers ---------------------------------------------------------------- */

/* Write the lines that are next in row order (lock held). */
static void flush_ready(struct batch *b)
{
	size_t n = b->sheet->nrows;
	bool wrote = false;
	while (!b->closed && b->written < n && b->results[b->written].done) {
		struct result *r = &b->results[b->written++];
		if (!b->write_errno && fputs(r->line, b->out) == EOF)
			b->write_errno = errno ? errno : EIO;
		free(r->line);
		r->line = NULL;
		wrote = true;
	}
	if (wrote && !b->write_errno && fflush(b->out) == EOF)
		b->write_errno = errno ? errno : EIO;
	if (b->write_errno)
		b->stopping = true;
}

static char *process(struct batch *b, size_t i, bool *failed)
{
	const struct sheet_row *row = &b->sheet->rows[i];
	struct arena a = ARENA_INIT;
	struct pipeline_doc d;
	char err[512] = "";
	enum mtag_err e = pipeline_run_url(b->p, &a, row->value, b->o, &d, err, sizeof(err));
	if (e && !err[0])
		snprintf(err, sizeof(err), "%s", err_detail(e));
	*failed = e != ERR_OK;
	char *line = b->csv ? csv_line(row, e ? NULL : &d, err) : json_line(row, e ? NULL : &d, err);
	arena_release(&a);
	return line;
}

static void *worker(void *arg)
{
	struct batch *b = arg;
	pthread_mutex_lock(&b->lock);
	while (!b->stopping && b->next < b->sheet->nrows) {
		size_t i = b->next++;
		b->running++;
		pthread_mutex_unlock(&b->lock);
		bool failed = false;
		char *line = process(b, i, &failed);
		pthread_mutex_lock(&b->lock);
		b->results[i] = (struct result){ line, true };
		b->running--;
		b->finished++;
		b->failed += failed;
		flush_ready(b);
		pthread_cond_broadcast(&b->changed);
	}
	/* Keep this thread (and the helpers it started) until no document runs. */
	while (b->running > 0)
		pthread_cond_wait(&b->changed, &b->lock);
	b->alive--;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* ---- progress and signals ---------------------------------------------------------- */

static const char *duration(double s, char out[32])
{
	if (s < 0)
		snprintf(out, 32, "-");
	else if (s < 60)
		snprintf(out, 32, "%.0fs", s);
	else if (s < 3600)
		snprintf(out, 32, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(out, 32, "%dh%02dm", (int)(s / 3600), (int)s % 3600 / 60);
	return out;
}

/* A progress line when one is due (or final): "\r" on a terminal, else "progress: ...\n". */
static void report(struct batch *b, bool final)
{
	int64_t now = clock_mono_us();
	if (!final && now < b->next_report_us)
		return;
	b->next_report_us = now + (b->tty ? 250000 : b->interval_us);
	if (final && !b->tty)
		return;
	pthread_mutex_lock(&b->lock);
	size_t done = b->finished, failed = b->failed, total = b->sheet->nrows;
	pthread_mutex_unlock(&b->lock);
	double secs = (double)(now - b->started_us) / 1e6, rate = secs > 0 ? (double)done / secs : 0;
	char eta[32];
	duration(rate > 0 ? (double)(total - done) / rate : -1, eta);
	fprintf(stderr, "%s%zu/%zu done, %zu failed, %.1f docs/s, ETA %s%s", b->tty ? "\r " : "progress: ",
		done, total, failed, rate, eta, b->tty ? "\033[K" : "\n");
	if (final)
		fputc('\n', stderr);
}

/*
 * Wait for the workers, reporting progress, until they end or a signal says
 * to give up on them. OUT: *sig, the first signal (0 when none). True when
 * the workers ended.
 */
static bool wait_workers(struct batch *b, int *sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	int64_t grace_end = 0;
	*sig = 0;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		bool ended = b->alive == 0;
		pthread_mutex_unlock(&b->lock);
		if (ended)
			return true;
		struct timespec ts = { 0, BATCH_TICK_MS * 1000000L };
		int s = sigtimedwait(&set, NULL, &ts);
		if (s > 0 && *sig)
			return false;
		if (s > 0) {
			*sig = s;
			pthread_mutex_lock(&b->lock);
			b->stopping = true;
			size_t running = b->running;
			pthread_mutex_unlock(&b->lock);
			fprintf(stderr, "%smtag batch: stopping: waiting up to %d s for %zu running "
				"document%s (interrupt again to stop now)\n", b->tty ? "\n" : "",
				BATCH_GRACE_S, running, running == 1 ? "" : "s");
			grace_end = clock_mono_us() + (int64_t)BATCH_GRACE_S * 1000000;
		}
		if (grace_end && clock_mono_us() >= grace_end)
			return false;
		report(b, false);
	}
}

/* Give up on the running documents: write the finished ones after the last written, in order. */
static size_t write_finished(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	for (size_t i = b->written; i < b->sheet->nrows; i++) {
		if (b->results[i].done && !b->write_errno && fputs(b->results[i].line, b->out) == EOF)
			b->write_errno = errno ? errno : EIO;
	}
	fflush(b->out);
	b->closed = true;
	size_t finished = b->finished;
	pthread_mutex_unlock(&b->lock);
	return finished;
}

/* ---- the command ------------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcasecmp(s + n - k, suffix);
}

/* An integer flag within [min, max]; prints the usage error. */
static bool int_flag(const char *value, const char *name, long min, long max, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < min || n > max) {
		fprintf(stderr, "mtag batch: --%s must be an integer from %ld to %ld\n", name, min, max);
		return false;
	}
	*out = (int)n;
	return true;
}

struct batch_args {
	const char *sheet, *column, *out;
	int workers;
};

/* The command's own arguments; false after printing a usage error. */
static bool batch_options(struct arena *a, const struct cli_args *args, struct batch_args *ba,
			  struct pipeline_options *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	ba->workers = cores < 1 ? 1 : cores > BATCH_WORKERS_MAX ? BATCH_WORKERS_MAX : (int)cores;
	ba->column = args->flags[FLAG_COLUMN];
	ba->out = args->flags[FLAG_OUT];
	if (args->npos != 1 || !ba->column) {
		fprintf(stderr, "mtag batch: give one SHEET and --column NAME (see `mtag batch --help`)\n");
		return false;
	}
	ba->sheet = args->positional[0];
	if (ba->out && !ends_with(ba->out, ".csv") && !ends_with(ba->out, ".jsonl")) {
		fprintf(stderr, "mtag batch: --out must name a .csv or a .jsonl file\n");
		return false;
	}
	struct stat in, out;
	if (stat(ba->sheet, &in) == 0 && !S_ISREG(in.st_mode)) {
		fprintf(stderr, "mtag batch: %s: not a file\n", ba->sheet);
		return false;
	}
	/* Opening the results would empty the spreadsheet before it is read. */
	if (ba->out && stat(ba->out, &out) == 0 && stat(ba->sheet, &in) == 0 &&
	    in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
		fprintf(stderr, "mtag batch: --out %s is the spreadsheet itself: name another file\n",
			ba->out);
		return false;
	}
	if (args->flags[FLAG_WORKERS] &&
	    !int_flag(args->flags[FLAG_WORKERS], "workers", 1, BATCH_WORKERS_MAX, &ba->workers))
		return false;
	if (args->flags[FLAG_MAX_TAGS] &&
	    !int_flag(args->flags[FLAG_MAX_TAGS], "max-tags", 1, TAGGER_MAX_TAGS, &o->max_tags))
		return false;
	if (args->flags[FLAG_LANG] && !cli_parse_languages(a, args->flags[FLAG_LANG], o)) {
		fprintf(stderr, "mtag batch: --lang takes 1 to %d ISO 639-1 codes separated by commas,"
			" e.g. en,fr\n", PIPELINE_MAX_LANGUAGES);
		return false;
	}
	return true;
}

/*
 * Seconds between progress lines when stderr is not a terminal
 * (MTAG_BATCH_PROGRESS_S, default 5), in microseconds; -1 (said) when the
 * variable is not such a number.
 */
static int64_t progress_interval_us(void)
{
	const char *s = getenv("MTAG_BATCH_PROGRESS_S");
	char *end = NULL;
	double v = s && s[0] ? strtod(s, &end) : 5;
	if (s && s[0] && (*end || !(v >= 0.05 && v <= 86400))) {
		fprintf(stderr, "mtag: MTAG_BATCH_PROGRESS_S: must be seconds from 0.05 to 86400,"
			" got '%s'\n", s);
		return -1;
	}
	return (int64_t)(v * 1e6);
}

/* Start the workers, wait for them, write the rest. Returns the exit status. */
static int run_batch(struct batch *b, int workers)
{
	size_t n = b->sheet->nrows;
	if ((size_t)workers > n)
		workers = n ? (int)n : 1;
	pthread_t *th = xcalloc((size_t)workers, sizeof(*th));
	b->results = xcalloc(n ? n : 1, sizeof(*b->results));
	b->started_us = clock_mono_us();
	b->next_report_us = b->started_us + (b->tty ? 250000 : b->interval_us);
	for (int i = 0; i < workers; i++) {
		b->alive++;
		pthread_create(&th[i], NULL, worker, b);
	}
	int sig = 0;
	if (!wait_workers(b, &sig)) {
		size_t finished = write_finished(b);
		fprintf(stderr, "mtag batch: stopped with %zu of %zu documents done\n", finished, n);
		fflush(stderr);
		tempfile_remove_all(); /* their downloads, half written */
		_exit(128 + sig); /* the running documents are abandoned */
	}
	for (int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	free(th);
	report(b, true);
	for (size_t i = 0; i < n; i++)
		free(b->results[i].line);
	free(b->results);
	char took[32];
	double secs = (double)(clock_mono_us() - b->started_us) / 1e6;
	if (secs < 60)
		snprintf(took, sizeof(took), "%.1f s", secs);
	else
		duration(secs, took);
	fprintf(stderr, "batch: %zu of %zu documents done, %zu failed, in %s%s\n", b->finished, n,
		b->failed, took, sig ? " (interrupted)" : "");
	if (b->write_errno) {
		fprintf(stderr, "mtag batch: cannot write the results: %s\n", strerror(b->write_errno));
		return CLI_FAILURE;
	}
	return sig ? 128 + sig : b->failed ? CLI_FAILURE : CLI_OK;
}

/* Read the column in a helper; prints the error. */
static int read_sheet(struct sandbox *sb, struct arena *a, const struct batch_args *ba,
		      struct sheet_result *sheet)
{
	char err[1024] = "";
	enum mtag_err e = sandbox_read_sheet(sb, a, ba->sheet, ba->column, NULL, sheet, err, sizeof(err));
	if (e) {
		fprintf(stderr, "mtag batch: %s: %s\n", ba->sheet, err[0] ? err : err_detail(e));
		/* The spreadsheet or the column given is unusable: a usage error. */
		return e == ERR_VALIDATION || e == ERR_TOO_LARGE || e == ERR_NOT_FOUND ? CLI_USAGE
										     : CLI_FAILURE;
	}
	fprintf(stderr, "batch: %zu links in column '%s' of %s (%zu blank and %zu duplicate rows "
		"skipped)\n", sheet->nrows, sheet->column, ba->sheet, sheet->blank, sheet->duplicates);
	if (!sheet->nrows) {
		fprintf(stderr, "mtag batch: %s: column '%s' has no links\n", ba->sheet, sheet->column);
		return CLI_USAGE; /* as the API's 422 for the same sheet */
	}
	return CLI_OK;
}

static int batch_main(const struct cli_args *args, const struct config *cfg, struct arena *a)
{
	struct pipeline_options o;
	struct batch_args ba;
	pipeline_options_init(&o);
	int64_t interval_us = progress_interval_us();
	if (!batch_options(a, args, &ba, &o) || interval_us < 0)
		return CLI_USAGE;
	o.fetch.allow_private = cfg->fetch_allow_private;
	o.fetch.max_bytes = (size_t)cfg->max_download_mb << 20;
	struct batch b = { .o = &o, .csv = ba.out && ends_with(ba.out, ".csv"), .out = stdout,
			   .tty = isatty(STDERR_FILENO), .interval_us = interval_us };
	struct sandbox_options so;
	sandbox_options_init(&so);
	so.procs = ba.workers;
	so.timeout_s = cfg->extract_timeout_s;
	struct sandbox *sb = sandbox_new(&so);
	struct sheet_result sheet;
	/* The sheet first: a sheet that cannot be read leaves no results file behind. */
	int status = read_sheet(sb, a, &ba, &sheet);
	if (status == CLI_OK && ba.out && !(b.out = fopen(ba.out, "w"))) {
		fprintf(stderr, "mtag batch: cannot create %s: %s\n", ba.out, strerror(errno));
		b.out = stdout;
		status = CLI_FAILURE;
	}
	if (status == CLI_OK) {
		if (b.csv)
			fputs("row,url,status,title,language,pages,tags,error\n", b.out);
		fflush(b.out);
		b.sheet = &sheet;
		b.p = pipeline_new(sb);
		pthread_mutex_init(&b.lock, NULL);
		pthread_cond_init(&b.changed, NULL);
		status = run_batch(&b, ba.workers);
		pthread_cond_destroy(&b.changed);
		pthread_mutex_destroy(&b.lock);
		pipeline_free(b.p);
	}
	sandbox_free(sb);
	if (b.out != stdout && fclose(b.out) == EOF && status == CLI_OK)
		status = CLI_FAILURE;
	return status;
}

int cli_batch(int argc, char **argv)
{
	struct cli_args args;
	struct config cfg;
	struct arena a = ARENA_INIT;
	int status = CLI_USAGE;
	if (!cli_parse("batch", argc, argv, batch_flags, &args))
		return CLI_USAGE;
	if (args.help) {
		cli_print_usage("batch");
		return CLI_OK;
	}
	config_init(&cfg);
	if (cli_load_config(&args, &cfg)) {
		if (!getenv("MTAG_LOG_LEVEL"))
			log_set_level(LOG_ERROR);
		/* Signals are taken by the main thread only (see the top of the file). */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		signal(SIGPIPE, SIG_IGN);
		tempfile_track();
		status = batch_main(&args, &cfg, &a);
	}
	arena_release(&a);
	config_release(&cfg);
	return status;
}
