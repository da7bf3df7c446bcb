/*
 * cli_version.c - `mtag version` and `mtag help`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/xalloc.h"

int cli_version(int argc, char **argv)
{
	struct cli_args args;
	if (!cli_parse("version", argc, argv, NULL, &args))
		return CLI_USAGE;
	if (args.help) {
		cli_print_usage("version");
		return CLI_OK;
	}
	if (args.npos) {
		fprintf(stderr, "mtag version: unexpected argument '%s'\n", args.positional[0]);
		return CLI_USAGE;
	}
	printf("mtag %s\n", MTAG_VERSION);
	return CLI_OK;
}

int cli_help(int argc, char **argv)
{
	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		cli_print_usage("help");
		return CLI_OK;
	}
	/* mtag help COMMAND: that command's --help. */
	for (const struct cli_command *c = cli_commands(); argc == 1 && c->name; c++)
		if (!strcmp(c->name, argv[0])) {
			cli_print_usage(c->name);
			return CLI_OK;
		}
	if (argc > 1) {
		fprintf(stderr, "mtag help: unexpected argument '%s' (mtag help [COMMAND])\n", argv[1]);
		return CLI_USAGE;
	}
	if (argc > 0) {
		fprintf(stderr, "mtag help: unknown command '%s' (see `mtag help`)\n", argv[0]);
		return CLI_USAGE;
	}
	printf("mtag %s - turns documents into searchable metadata\n\n"
	       "usage: mtag COMMAND [FLAGS]   (mtag COMMAND --help for details)\n\nCommands:\n",
	       MTAG_VERSION);
	for (const struct cli_command *c = cli_commands(); c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nExit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n\n");
	config_print_help(stdout);
	return CLI_OK;
}
