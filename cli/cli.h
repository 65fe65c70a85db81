/* cli: the front ends. argv, usage, what a person or a program reads, and
 * exit statuses; the core (supervisor/) is driven from here and never
 * prints. */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <stdio.h>

#include <stdint.h>

#include "supervisor/sup.h"

/* Exit statuses of `corral run`, documented in --help and docs/corral.1.md. */
enum {
	EXIT_OK = 0, EXIT_NOTOK = 1, EXIT_USAGE = 2, EXIT_HALTED = 3, EXIT_INTR = 130
};

/* What one `corral run` (or `submit`) asks for: the pool, its one job, and
 * what is shown. */
struct run_cmd {
	struct pool_opts pool;
	struct job_spec spec;
	int json, quiet;
	const char *stats;		/* --stats FILE, or NULL */
	int wait;			/* submit --wait */
	const char *socket;		/* submit --socket PATH */
};

/* run.c */
void cli_usage(FILE *f);
int cli_run(int argc, char **argv);
/* The options of run (cmd "run") or submit ("submit"), checked; a bad one
 * exits with a one-line message. 0, or -1 when --help was printed. */
int run_parse(int argc, char **argv, struct run_cmd *o, const char *cmd);

/* serve.c */
int cli_serve(int argc, char **argv);

/* client.c: the commands that talk to a service's control socket. */
int cli_submit(int argc, char **argv);
int cli_control(const char *cmd, int argc, char **argv);
/* `corral check FILE...|-`: 0 every file clean, 1 one not clean, 2 error. */
int cli_check(int argc, char **argv);
/* The socket a client command talks to, when one is named (--socket or
 * CORRAL_SOCKET), else NULL: status, results and jobs then read the state
 * directory. */
const char *client_socket(const char *flag);

/* progress.c: what a person watching a run sees on stderr. */
void progress_start(struct sup *s, int quiet);
void progress_stop(struct sup *s);

#endif
