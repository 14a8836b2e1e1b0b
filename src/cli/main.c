/* main.c - the sluice binary: everything it does lives in the library (cli.c). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return sl_cli_main(argc, argv);
}
