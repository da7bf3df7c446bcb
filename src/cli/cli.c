#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/xalloc.h"

static const struct cli_command commands[] = {
	{ "serve", cli_serve, "run the HTTP server (API and web UI)",
	  "usage: mtag serve [--role all|api|worker] [--listen HOST:PORT] [--database-url URL] [...]\n"
	  "Applies pending migrations, then serves until SIGTERM or SIGINT, finishing\n"
	  "in-flight requests (9 s; a document being processed finishes first) before it\n"
	  "exits. --role api serves HTTP and\n"
	  "runs no workers; --role worker runs the workers and answers only /health and /metrics;\n"
	  "all (the default) does both. Several nodes need PostgreSQL and S3: a second\n"
	  "node on one SQLite file or one local storage directory is refused.\n" },
	{ "migrate", cli_migrate, "apply pending database migrations and exit",
	  "usage: mtag migrate [--database-url URL]\n"
	  "Safe to run twice and from two processes at once.\n" },
	{ "user", cli_user, "manage accounts: add, list, disable, enable, admin",
	  "usage: mtag user add EMAIL [--name NAME] [--admin]   (password from stdin, or a prompt)\n"
	  "       mtag user list\n"
	  "       mtag user disable EMAIL   (ends every session of the account)\n"
	  "       mtag user enable EMAIL\n"
	  "       mtag user admin EMAIL [--revoke]\n" },
	{ "tag", cli_tag, "extract text, language and tags of files or URLs (no server)",
	  "usage: mtag tag FILE_OR_URL... [--max-tags N] [--lang xx,yy] [--json]\n"
	  "Prints title, language, pages and tags per document: a readable list, or\n"
	  "JSON Lines with --json. `-` reads stdin; after `--` every argument is an input.\n"
	  "Exit status 1 when any input failed (the reason is on stderr). Extraction runs\n"
	  "in helper processes with time and memory limits; MTAG_FETCH_ALLOW_PRIVATE and\n"
	  "MTAG_MAX_DOWNLOAD_MB apply to URLs.\n" },
	{ "batch", cli_batch, "process every link of a spreadsheet column (no server)",
	  "usage: mtag batch SHEET --column NAME [--out results.csv|results.jsonl] [--workers N]\n"
	  "                  [--max-tags N] [--lang xx,yy]\n"
	  "Reads the column NAME (a header, or a letter such as B) of a CSV, XLSX or ODS\n"
	  "file and processes each link in it as `mtag tag` does, N at once (default: one\n"
	  "per core). Blank and duplicate rows are skipped. Results are written in row\n"
	  "order as they finish: CSV (row,url,status,title,language,pages,tags,error) or\n"
	  "JSON Lines, by the extension of --out; JSON Lines on stdout without it. Progress\n"
	  "goes to stderr (every MTAG_BATCH_PROGRESS_S seconds, default 5, when stderr is\n"
	  "not a terminal). Ctrl-C starts no new document, waits at most 5 s for the\n"
	  "running ones, writes what finished, removes the downloads still running and\n"
	  "exits 130. Exit status 1 when any document failed, 2 for usage errors and for\n"
	  "a spreadsheet that cannot be read, lacks the column or has no link in it (at\n"
	  "most 10,000 rows, blank ones included); --out may not name the spreadsheet\n"
	  "itself. MTAG_FETCH_ALLOW_PRIVATE and MTAG_MAX_DOWNLOAD_MB apply.\n" },
	{ "version", cli_version, "print the version", "usage: mtag version\n" },
	{ "help", cli_help, "list the commands and the configuration (help COMMAND: its usage)",
	  "usage: mtag help [COMMAND]\n" },
	{ NULL, NULL, NULL, NULL },
};

/* Run by the server itself, never by people: not listed by `mtag help`. */
static const struct cli_command hidden = {
	"extract-helper", cli_extract_helper, "the sandbox's helper process",
	"usage: mtag extract-helper --mem-mb N   (started by mtag; speaks on fd 0)\n"
};

const struct cli_command *cli_commands(void)
{
	return commands;
}

void cli_print_usage(const char *name)
{
	for (const struct cli_command *c = commands; c->name; c++) {
		if (!strcmp(c->name, name)) {
			fputs(c->usage, stdout);
			if (strcmp(name, "version") && strcmp(name, "help"))
				printf("Configuration flags: see `mtag help`.\n");
			return;
		}
	}
}

/* Index of name in own, or -1. */
static int own_flag(const struct cli_flag *own, const char *name)
{
	for (int i = 0; own && own[i].name; i++)
		if (!strcmp(own[i].name, name))
			return i;
	return -1;
}

bool cli_parse(const char *cmd, int argc, char **argv, const struct cli_flag *own,
	       struct cli_args *out)
{
	bool options = true; /* until "--": what follows it is arguments only */
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (options && !strcmp(a, "--")) {
			options = false;
			continue;
		}
		if (options && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			out->help = true;
			continue;
		}
		/* "-" is an argument (stdin); "-x" is no option of ours, and no file either
		 * unless it comes after "--". */
		if (options && a[0] == '-' && a[1] && a[1] != '-') {
			fprintf(stderr, "mtag %s: unknown option %s (see `mtag %s --help`; a file"
				" named so goes after --)\n", cmd, a, cmd);
			return false;
		}
		if (!options || strncmp(a, "--", 2) != 0) {
			if (out->npos == CLI_MAX_ARGS) {
				fprintf(stderr, "mtag %s: too many arguments\n", cmd);
				return false;
			}
			out->positional[out->npos++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '='), *value;
		if (out->nov == CLI_MAX_ARGS) {
			fprintf(stderr, "mtag %s: too many options\n", cmd);
			return false;
		}
		char *namebuf = out->names[out->nov];
		if (eq)
			snprintf(namebuf, sizeof(out->names[0]), "%.*s", (int)(eq - name), name);
		else
			snprintf(namebuf, sizeof(out->names[0]), "%s", name);
		int k = own_flag(own, namebuf);
		if (k >= 0 && !own[k].takes_value) {
			if (eq) {
				fprintf(stderr, "mtag %s: --%s takes no value\n", cmd, namebuf);
				return false;
			}
			out->flags[k] = "";
			continue;
		}
		if (k < 0 && !config_is_flag(namebuf)) {
			fprintf(stderr, "mtag %s: unknown option --%s (see `mtag %s --help`)\n", cmd, namebuf, cmd);
			return false;
		}
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc) {
				fprintf(stderr, "mtag %s: --%s needs a value\n", cmd, namebuf);
				return false;
			}
			value = argv[++i];
		}
		if (k >= 0) {
			out->flags[k] = value;
			continue;
		}
		out->ov[out->nov].name = namebuf;
		out->ov[out->nov].value = value;
		out->nov++;
	}
	return true;
}

bool cli_load_config(const struct cli_args *args, struct config *cfg)
{
	char err[512];
	if (config_load(cfg, args->ov, args->nov, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		return false;
	}
	log_set_level(cfg->log_level);
	/* DESIGN.md section 3 names it; nothing calls an LLM yet, so say so, not tag quietly without it. */
	if (cfg->llm_url || cfg->llm_model || cfg->llm_api_key)
		fprintf(stderr, "mtag: warning: MTAG_LLM_URL, MTAG_LLM_MODEL and MTAG_LLM_API_KEY are not"
			" used yet: tags come from the built-in tagger\n");
	return true;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		cli_help(0, NULL);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	if (!strcmp(name, "--version"))
		name = "version";
	for (const struct cli_command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 2, argv + 2);
	if (!strcmp(hidden.name, name))
		return hidden.run(argc - 2, argv + 2);
	fprintf(stderr, "mtag: unknown command '%s' (see `mtag help`)\n", name);
	return CLI_USAGE;
}
