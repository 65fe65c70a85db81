/* cli: the front ends. argv, usage, what a person or a program reads, and
 * exit statuses; the core (supervisor/) is driven from here and never
 * prints. */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "supervisor/sup.h"

/* Exit statuses of `corral run`, documented in --help and corral(1). */
enum {
	EXIT_OK = 0, EXIT_NOTOK = 1, EXIT_USAGE = 2, EXIT_HALTED = 3, EXIT_INTR = 130
};

/* What one `corral run` (or `submit`) asks for: the pool, its one job, and
 * what is shown. Its strings point into the values it was given, and
 * spec.handler may point into plugin: a run_cmd is filled in place and
 * never copied. */
struct run_cmd {
	struct pool_opts pool;
	struct job_spec spec;
	int json, quiet;
	const char *stats;		/* --stats FILE, or NULL */
	const char *http;		/* --http ADDR, or NULL */
	int dry_run;			/* --dry-run */
	int tag, keep_order, no_output;	/* -x's output: --tag, -k, --no-output */
	const char *results;		/* --results DIR, or NULL */
	const char *metrics_file;	/* --metrics-file PATH, or NULL */
	int wait;			/* submit --wait */
	const char *socket;		/* submit --socket PATH */
	const char *user;		/* --user NAME, or NULL */
	uint64_t given;			/* the job options set: CTL_GIVEN_* bits */
	char plugin[PATH_MAX];		/* a plugin handler's real path */
};

/* run.c */
void cli_usage(FILE *f);
int cli_run(int argc, char **argv);
/* The options of run (cmd "run") or submit ("submit"), checked; a bad one
 * exits with a one-line message. 0, or -1 when --help was printed. */
int run_parse(int argc, char **argv, struct run_cmd *o, const char *cmd);
/* Every option at its default, none given. */
void run_init(struct run_cmd *o);
/* The CPUs online (at least 1): what -j is relative to. */
uint64_t cpus_online(void);
/* Sets the option of run or submit whose long name is name (no dashes):
 * what the flag of that name does, checked as strictly. value is its
 * argument, kept in o and not copied; for an option that takes none, NULL
 * sets it and a yes/no word (config_bool) sets or clears it. 0, or -1
 * with one line in err naming the option as a flag ("--timeout: 'x' is not
 * a duration like 250ms, 30s, 2m"), o's other options as they were. */
int run_opt_set(struct run_cmd *o, const char *name, const char *value, char *err, size_t len);
/* What the option of that name is: RUN_OPT_JOB, a job's own option, which
 * a SUBMIT may leave to a service's [defaults] (timeout, handler,
 * max-entries...); RUN_OPT_OTHER, any other option of run or submit
 * (workers, json, user, no-sandbox...); RUN_OPT_NONE, none of theirs. */
enum { RUN_OPT_NONE, RUN_OPT_OTHER, RUN_OPT_JOB };
int run_opt_kind(const char *name);
/* The checks across options, once all are set: those of spec_check, after
 * a plugin handler is resolved to its real path (into o->plugin), which
 * must be readable. 0, or -1 with one line in err. */
int run_check(struct run_cmd *o, char *err, size_t len);
/* The option getopt_long has just refused (returned '?' or ':'), as the
 * user wrote it, escaped: a short one by its letter ("-Z", even inside a
 * cluster like -qZv), a long one by its name ("--bogus", without any
 * "=VALUE"). Options are taken anywhere among the operands, as GNU tools
 * take them, and "--" ends them: no command stops at its first operand. */
const char *cli_badopt(char **argv);

/* The worker program: $CORRAL_WORKER, else this program (/proc/self/exe). */
const char *cli_worker(void);

/* replay.c: `corral replay FILE`: 0 ok, 1 not ok, 2 error. */
int cli_replay(int argc, char **argv);
/* p (plen bytes), made absolute against base and lexically normal: no
 * "." or empty component, ".." taking the one before; how replay and why
 * match FILE against a job's paths. 0, or -1 when it does not fit cap or
 * holds a NUL. */
int cli_path_norm(const char *base, const char *p, size_t plen, char *out, size_t cap);

/* dryrun.c: run --dry-run; the exit status. */
int run_dry(const struct run_cmd *o);

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
/* Before a job whose spec reads the stdin list is opened (the list is read
 * to its end first): on a terminal, one line saying so if nothing is
 * there yet. */
void progress_list_wait(const struct job_spec *spec, int quiet);
/* progress_text.c: the pure pieces of it. progress_rate: files a second
 * over the time the job ran, leaving out the time it was stopped (Ctrl-Z);
 * 0 when no time is left. progress_secs: "0.4s", "12.3s", "4m05s", "2h03m".
 * progress_fit: s (terminal-safe UTF-8, as sup_esc makes it) in at most
 * cols columns, shortened in the middle with "…" and never cut inside a
 * character; returns the columns used. Both write a terminated string. */
double progress_rate(uint64_t ran, double elapsed, double stopped);
void progress_secs(char *b, size_t len, double secs);
int progress_fit(char *out, size_t outlen, const char *s, int cols);
/* The columns s takes: one per character. */
int progress_cols(const char *s);

/* stats_file.c: --stats FILE. open: the descriptor, or exits 2 naming the
 * path (*created: it made the file). write: the run's figures, done files
 * of this run, replacing what the file held; a failure is a warning.
 * drop: closes it, and removes a file it made; errno kept. */
int stats_open(const char *path, int *created);
void write_stats(struct sup *s, int fd, const char *path, uint64_t done);
void stats_drop(int fd, const char *path, int created);

#endif
