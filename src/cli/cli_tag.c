/*
 * cli_tag.c - `mtag tag FILE_OR_URL...`: the pipeline with no server and no
 * database; and `mtag extract-helper`, the helper process of the sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/jsonx.h"
#include "base/tempfile.h"
#include "cli/cli.h"
#include "pipeline/pipeline.h"
#include "pipeline/sandbox.h"
#include "base/xalloc.h"

enum { FLAG_MAX_TAGS, FLAG_LANG, FLAG_JSON };
static const struct cli_flag tag_flags[] = {
	[FLAG_MAX_TAGS] = { "max-tags", true },
	[FLAG_LANG] = { "lang", true },
	[FLAG_JSON] = { "json", false },
	{ NULL, false },
};

bool cli_parse_languages(struct arena *a, const char *s, struct pipeline_options *o)
{
	char *copy = arena_strdup(a, s);
	for (char *tok = copy, *next; tok && *tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		size_t n = strlen(tok);
		if (n != 2 || tok[0] < 'a' || tok[0] > 'z' || tok[1] < 'a' || tok[1] > 'z' ||
		    o->nlanguages == PIPELINE_MAX_LANGUAGES)
			return false;
		o->languages[o->nlanguages++] = tok;
	}
	return o->nlanguages > 0;
}

/* Copy stdin into a temp file of at most max bytes. OUT: path (arena). */
static enum mtag_err stdin_to_file(struct arena *a, size_t max, const char **path, char *err,
				   size_t errlen)
{
	char *p;
	int fd = tempfile_create(a, "stdin", &p);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		return ERR_IO;
	}
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	enum mtag_err e = ERR_OK;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > max) {
			snprintf(err, errlen, "too large: more than %zu MB on stdin", max >> 20);
			e = ERR_TOO_LARGE;
			break;
		}
		if (write(fd, buf, (size_t)n) != n) {
			snprintf(err, errlen, "cannot write a temporary file: %s", strerror(errno));
			e = ERR_IO;
			break;
		}
	}
	close(fd);
	if (e)
		tempfile_remove(p);
	*path = p;
	return e;
}

static void print_json(const struct pipeline_doc *d)
{
	json_t *tags = json_array();
	for (size_t i = 0; i < d->ntags; i++)
		json_array_append_new(tags, json_pack("{s:s, s:f}", "tag", d->tags[i].text, "score",
						      (double)(int)(d->tags[i].score * 1000 + 0.5) / 1000));
	json_t *o = json_pack("{s:o, s:o, s:s, s:i, s:s, s:I, s:s, s:b, s:o}", "source",
			      jsonx_string_lossy(d->source), "title", jsonx_string_lossy(d->title), "language", d->language, "pages", d->page_count,
			      "mime_type", d->mime_type, "size_bytes", (json_int_t)d->size_bytes,
			      "sha256", d->sha256, "truncated", d->truncated, "tags", tags);
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(JSONX_REAL_DIGITS));
	puts(s);
	free(s);
	json_decref(o);
}

static void print_table(const struct pipeline_doc *d)
{
	printf("%s\n  title:    %s\n  language: %s   pages: %d   type: %s%s\n  tags:     ",
	       d->source, d->title ? d->title : "(none)", d->language, d->page_count,
	       d->mime_type, d->truncated ? "   (truncated)" : "");
	for (size_t i = 0; i < d->ntags; i++)
		printf("%s%s", i ? ", " : "", d->tags[i].text);
	printf("%s\n\n", d->ntags ? "" : "(none)");
}

/* One input; prints the result, or the reason on stderr. */
static bool tag_one(struct pipeline *p, const char *input, const struct pipeline_options *o,
		    size_t max_stdin, bool json)
{
	struct arena a = ARENA_INIT;
	struct pipeline_doc d;
	char err[512] = "";
	enum mtag_err e;
	size_t scheme = strspn(input, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (!strncmp(input, "http://", 7) || !strncmp(input, "https://", 8) ||
	    (scheme > 1 && !strncmp(input + scheme, "://", 3))) {
		/* any other scheme is refused there with its name, as the server does */
		e = pipeline_run_url(p, &a, input, o, &d, err, sizeof(err));
	} else if (!strcmp(input, "-")) {
		const char *path = NULL;
		e = stdin_to_file(&a, max_stdin, &path, err, sizeof(err));
		if (!e) {
			e = pipeline_run_file(p, &a, path, "stdin", o, &d, err, sizeof(err));
			tempfile_remove(path);
		}
	} else {
		e = pipeline_run_file(p, &a, input, NULL, o, &d, err, sizeof(err));
	}
	if (e)
		fprintf(stderr, "mtag tag: %s: %s\n", input, err[0] ? err : err_detail(e));
	else if (json)
		print_json(&d);
	else
		print_table(&d);
	fflush(stdout);
	arena_release(&a);
	return e == ERR_OK;
}

/*
 * SIGINT, SIGTERM: remove the download or stdin copy being written, then die
 * of the signal as without a handler (SA_RESETHAND restored the default; the
 * signal raised here is delivered when the handler returns).
 */
static void on_stop(int sig)
{
	tempfile_remove_all();
	raise(sig);
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	tempfile_track();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_tag(int argc, char **argv)
{
	struct cli_args args;
	struct config cfg;
	struct arena a = ARENA_INIT;
	struct pipeline_options o;
	int status = CLI_USAGE;

	config_init(&cfg);
	pipeline_options_init(&o);
	if (!cli_parse("tag", argc, argv, tag_flags, &args))
		return CLI_USAGE;
	if (args.help) {
		cli_print_usage("tag");
		return CLI_OK;
	}
	if (args.npos == 0) {
		fprintf(stderr, "mtag tag: give at least one FILE or URL (or - for stdin)\n");
		return CLI_USAGE;
	}
	if (!cli_load_config(&args, &cfg))
		goto out;
	/* A command-line tool prints its own errors: log lines only when asked for. */
	if (!getenv("MTAG_LOG_LEVEL"))
		log_set_level(LOG_ERROR);
	if (args.flags[FLAG_MAX_TAGS]) {
		char *end;
		long n = strtol(args.flags[FLAG_MAX_TAGS], &end, 10);
		if (*end || n < 1 || n > TAGGER_MAX_TAGS) {
			fprintf(stderr, "mtag tag: --max-tags must be an integer from 1 to %d\n", TAGGER_MAX_TAGS);
			goto out;
		}
		o.max_tags = (int)n;
	}
	if (args.flags[FLAG_LANG] && !cli_parse_languages(&a, args.flags[FLAG_LANG], &o)) {
		fprintf(stderr, "mtag tag: --lang takes 1 to %d ISO 639-1 codes separated by commas,"
			" e.g. en,fr\n", PIPELINE_MAX_LANGUAGES);
		goto out;
	}
	o.fetch.allow_private = cfg.fetch_allow_private;
	o.fetch.max_bytes = (size_t)cfg.max_download_mb << 20;
	signal(SIGPIPE, SIG_IGN);
	catch_stop_signals();
	struct sandbox_options so;
	sandbox_options_init(&so);
	so.timeout_s = cfg.extract_timeout_s;
	struct sandbox *sb = sandbox_new(&so);
	struct pipeline *p = pipeline_new(sb);
	status = CLI_OK;
	for (size_t i = 0; i < args.npos; i++)
		if (!tag_one(p, args.positional[i], &o, (size_t)cfg.max_upload_mb << 20,
			     args.flags[FLAG_JSON] != NULL))
			status = CLI_FAILURE;
	pipeline_free(p);
	sandbox_free(sb);
out:
	arena_release(&a);
	config_release(&cfg);
	return status;
}

int cli_extract_helper(int argc, char **argv)
{
	long mem_mb = 0;
	if (argc == 2 && !strcmp(argv[0], "--mem-mb"))
		mem_mb = strtol(argv[1], NULL, 10);
	const char *lv = getenv("MTAG_LOG_LEVEL");
	enum log_level level;
	if (lv && log_level_parse(lv, &level))
		log_set_level(level);
	return sandbox_helper_main(mem_mb);
}
