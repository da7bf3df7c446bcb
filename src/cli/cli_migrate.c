/*
 * cli_migrate.c - `mtag migrate`: apply pending migrations and exit.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "core/core.h"
#include "base/xalloc.h"

int cli_migrate(int argc, char **argv)
{
	struct cli_args args;
	struct config cfg;
	struct core *core = NULL;
	char err[512];
	int status = CLI_FAILURE;

	config_init(&cfg);
	if (!cli_parse("migrate", argc, argv, NULL, &args))
		return CLI_USAGE;
	if (args.help) {
		cli_print_usage("migrate");
		return CLI_OK;
	}
	if (args.npos) {
		fprintf(stderr, "mtag migrate: unexpected argument '%s'\n", args.positional[0]);
		return CLI_USAGE;
	}
	if (!cli_load_config(&args, &cfg)) {
		status = CLI_USAGE;
		goto out;
	}
	if (core_open(&cfg, false, &core, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	int applied = 0, version = 0;
	enum mtag_err e = core_migrate(core, &applied, &version);
	if (e) {
		fprintf(stderr, "mtag migrate: failed (%s): %s\n", err_name(e), err_detail(e));
		goto out;
	}
	printf("applied %d migration%s; schema version %d\n", applied, applied == 1 ? "" : "s", version);
	status = CLI_OK;
out:
	core_free(core);
	config_release(&cfg);
	return status;
}
