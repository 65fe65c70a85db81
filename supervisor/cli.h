/* cli: the command line of `corral run`, checked before anything starts. */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <stdio.h>

void cli_usage(FILE *f);
int cli_run(int argc, char **argv);

#endif
