/*
 * main.c - mtag's entry point: hand the arguments to the command table.
 */
#include <sys/stat.h>

#include "cli/cli.h"
#include "base/xalloc.h"

int main(int argc, char **argv)
{
	/* What mtag writes (the database, the originals, temporary files) is the
	 * service's alone, whatever directory it is in: a 0755 state directory
	 * (systemd's default) left the database readable by every local user. */
	umask(077);
	return cli_main(argc, argv);
}
