/*
 * cli.h - the command line: `mtag COMMAND [FLAGS]`, one file per command.
 *
 * cli.c holds the command table (git's commands[]) and the flag parser that
 * every command shares: configuration flags (--listen, --database-url, ...,
 * see base/config.c) override the environment. Exit status: 0 success,
 * 1 runtime failure, 2 usage or configuration error; messages go to stderr.
 */
#ifndef MTAG_CLI_H
#define MTAG_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

#define CLI_MAX_ARGS 64

enum { CLI_OK = 0, CLI_FAILURE = 1, CLI_USAGE = 2 };

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* one line for `mtag help` */
	const char *usage;   /* the text of `mtag NAME --help` */
};

/* A flag of one command (not a configuration flag), e.g. --name or --admin. */
struct cli_flag {
	const char *name;   /* without the dashes */
	bool takes_value;
};

/* Parsed arguments of a command. */
struct cli_args {
	const char *flags[CLI_MAX_ARGS]; /* value of the command's flag i ("" for a switch), NULL if absent */
	struct config_override ov[CLI_MAX_ARGS];
	char names[CLI_MAX_ARGS][64]; /* storage for ov[i].name */
	size_t nov;
	const char *positional[CLI_MAX_ARGS];
	size_t npos;
	bool help;
};

/* Run mtag with the process's arguments; returns the exit status. */
int cli_main(int argc, char **argv);
/* The command table, ended by a NULL name. */
const struct cli_command *cli_commands(void);
/*
 * Parse argv (after the command name): --help, the command's own flags
 * (own, ended by a NULL name; may be NULL), configuration flags as
 * --name=value or --name value, and positional arguments. On a usage error
 * prints one line to stderr and returns false.
 */
bool cli_parse(const char *cmd, int argc, char **argv, const struct cli_flag *own,
	       struct cli_args *out);
/* Load the configuration from the environment and args; prints the error and returns false. */
bool cli_load_config(const struct cli_args *args, struct config *cfg);
/* Print `mtag NAME --help`. */
void cli_print_usage(const char *name);
/* --lang "en,fr" into o->languages (pointers into a copy in the arena): false unless
 * 1 to PIPELINE_MAX_LANGUAGES two-letter lower-case codes (cli_tag.c). */
struct arena;
struct pipeline_options;
bool cli_parse_languages(struct arena *a, const char *s, struct pipeline_options *o);

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_help(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_tag(int argc, char **argv);
int cli_batch(int argc, char **argv);
int cli_extract_helper(int argc, char **argv);

#endif
