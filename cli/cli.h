/* cli: the front ends. argv, usage, what a person or a program reads, and
 * exit statuses; the core (supervisor/) is driven from here and never
 * prints. */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <stdio.h>

struct sup;

/* Exit statuses of `corral run`, documented in --help and docs/corral.1.md. */
enum {
	EXIT_OK = 0, EXIT_NOTOK = 1, EXIT_USAGE = 2, EXIT_HALTED = 3, EXIT_INTR = 130
};

/* run.c */
void cli_usage(FILE *f);
int cli_run(int argc, char **argv);

/* progress.c: what a person watching a run sees on stderr. */
void progress_start(struct sup *s, int quiet);
void progress_stop(struct sup *s);

#endif
