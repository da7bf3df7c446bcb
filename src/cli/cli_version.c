/*
 * cli_version.c - `mtag version` and `mtag help`.
 */
#include <stdio.h>

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
	printf("mtag %s\n", MTAG_VERSION);
	return CLI_OK;
}

int cli_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("mtag %s - turns documents into searchable metadata\n\n"
	       "usage: mtag COMMAND [FLAGS]   (mtag COMMAND --help for details)\n\nCommands:\n",
	       MTAG_VERSION);
	for (const struct cli_command *c = cli_commands(); c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nExit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n\n");
	config_print_help(stdout);
	return CLI_OK;
}
