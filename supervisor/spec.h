/* spec: a job's identity. Its spec (inputs, the stdin list's digest,
 * handler and argument, timeout, retries, halt rule, extraction directory
 * and the children's options) is kept in its record; the same job name
 * with another spec is refused. Pool options and display are not in it. */
#ifndef CORRAL_SPEC_H
#define CORRAL_SPEC_H

#include <stddef.h>

#include "ipc/ctl.h"
#include "supervisor/store.h"
#include "supervisor/sup.h"

/* Whether the options of o go together: exec's command with the exec
 * handler, and never that handler without one; --extract with the archive
 * handler only; --extract-suspicious with --extract and not with --fail-on
 * suspicious. A plugin's path is not looked at. 0, or -1 with one line in
 * err naming the options as the command line does. */
int spec_check(const struct job_spec *o, char *err, size_t len);
/* A SUBMIT's spec, but for its inputs, name and sandbox: the service's
 * defaults (def), and over them each option the client gave (given, the
 * CTL_GIVEN_* bits; def NULL: every option is q's). A default that one of the
 * client's own options rules out is left out: extract with another handler
 * than archive, extract-suspicious without extract or with fail-on
 * suspicious, fail-on suspicious with extract-suspicious. What it takes of
 * q is copied into handler, arg (CTL_CMD_MAX + 1 bytes each) and extract
 * (CTL_PATH_MAX + 1); the rest of spec points where def does. */
void spec_submitted(const struct job_spec *def, const struct ctl_submit *q, uint64_t given,
    struct job_spec *spec, char *handler, char *arg, char *extract);
/* The command's spec into rec's spec fields (has: all of them). The stdin
 * list's digest (list_id, has_list) is the caller's, set before. cwd: the
 * working directory, for inputs and --extract named relative to it. */
void spec_fill(const struct job_spec *o, const char *cwd, struct store_job *rec);
/* --reuse's key of a job: a SHA-256 of what decides a file's outcome, the
 * spec_diff fields but the inputs, the stdin list, the halt rule and
 * --extract (refused with --reuse) and --shard: handler, command, timeout
 * (--stall and N% with it), retries and the children's options with reuse
 * and recycling left out. */
void spec_reuse_key(const struct store_job *rec, uint8_t out[32]);
/* The name of a job given no --job: the first input's base name and a
 * digest of the working directory, inputs, handler, command and list. */
void spec_name(const struct job_spec *o, const struct store_job *spec, const char *cwd,
    char *out, size_t len);
/* Whether spec differs from the job old on a field old's record holds:
 * 1 with one line in why naming the first differing option, its old and
 * new value, and the way out; else 0. */
int spec_diff(const struct store_job *old, const struct store_job *spec, char *why, size_t len);
/* The same comparison, its answer in parts: the option (as the command
 * line names it) and its old and new value, len bytes each. 1 or 0. */
int spec_differs(const struct store_job *old, const struct store_job *spec, const char **option,
    char *was, char *now, size_t len);
/* The children's options (a job record's opts) as the JOB message carries
 * them, packed into *data (malloc'd, the caller's to free) of *len bytes:
 * what a pool's child and `corral replay`'s are told alike. 0, or -1 when
 * memory ran out. */
int spec_wire_opts(const struct job_opts *o, char **data, size_t *len);

#endif
