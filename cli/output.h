/* output: a run's commands' output on its stdout, as GNU parallel gives it
 * (run -x without --json): each file's stdout whole, once its outcome is
 * recorded, never two files' lines mixed; with --tag each line after the
 * file's path and a tab; with --keep-order in the order the files were
 * found. Holds only what --keep-order must wait for. */
#ifndef CORRAL_OUTPUT_H
#define CORRAL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "supervisor/store.h"

struct output;

/* NULL: out of memory. f NULL: nothing on stdout (--no-output). */
struct output *output_new(FILE *f, int tag, int keep_order);
/* --results DIR: each file's stdout, stderr and exit status also go under
 * dirfd (its own, closed by output_free), at the file's path: DIR/PATH/
 * stdout, stderr and exit. A leading '/' of PATH is dropped, "." and empty
 * components are skipped, and ".." is written "%2E%2E", so that nothing is
 * written outside DIR; no symbolic link under DIR is followed. A failure
 * is logged (once) and changes no outcome. */
void output_results(struct output *out, int dirfd, const char *dir);
/* One file's outcome: its stdout goes out now, or is held (keep_order)
 * until every file before it is out. */
void output_outcome(struct output *out, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o);
/* After a commit: the job's smallest seq still without an outcome (0: none
 * left); what is held below it goes out. */
void output_release(struct output *out, uint64_t low);
/* Writes what is still held, in order, and frees it all. */
void output_free(struct output *out);

#endif
