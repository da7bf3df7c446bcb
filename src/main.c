/*
 * main.c - mtag's entry point: hand the arguments to the command table.
 */
#include "cli/cli.h"
#include "base/xalloc.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
