/* spec: a job's identity. Its spec (inputs, the stdin list's digest,
 * handler and argument, timeout, retries, halt rule, extraction directory
 * and the children's options) is kept in its record; the same job name
 * with another spec is refused. Pool options and display are not in it. */
#ifndef CORRAL_SPEC_H
#define CORRAL_SPEC_H

#include <stddef.h>

#include "supervisor/store.h"
#include "supervisor/sup.h"

/* The command's spec into rec's spec fields (has: all of them). The stdin
 * list's digest (list_id, has_list) is the caller's, set before. cwd: the
 * working directory, for inputs and --extract named relative to it. */
void spec_fill(const struct job_spec *o, const char *cwd, struct store_job *rec);
/* The name of a job given no --job: the first input's base name and a
 * digest of the working directory, inputs, handler, command and list. */
void spec_name(const struct job_spec *o, const struct store_job *spec, const char *cwd,
    char *out, size_t len);
/* Whether spec differs from the job old on a field old's record holds:
 * 1 with one line in why naming the first differing option, its old and
 * new value, and the way out; else 0. */
int spec_diff(const struct store_job *old, const struct store_job *spec, char *why, size_t len);

#endif
