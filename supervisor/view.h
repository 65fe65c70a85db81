/* view: what the pool and its jobs say of themselves, in the shapes of the
 * control protocol (ipc/ctl.h): a job's record with why it is not going
 * faster, a slot's child and what it is doing. The control socket, the
 * HTTP page and its API all answer from these; nothing here writes. */
#ifndef CORRAL_VIEW_H
#define CORRAL_VIEW_H

#include <stddef.h>

#include "ipc/ctl.h"

struct job;
struct slot;
struct store_job;
struct sup;

/* Room for a job's reason, with its terminating NUL. */
#define VIEW_REASON_MAX	600

/* Fills *out from r (the store's record) and j (the live job, or NULL when
 * the pool does not hold it: then only the record speaks). Strings point
 * into r, and the reason into reason[rlen]. */
void view_job(const struct sup *s, const struct store_job *r, const struct job *j,
    struct ctl_job *out, char *reason, size_t rlen);
/* Fills *out for slot i. With show_job 0, the job it serves and its file
 * are left empty (another user's). Strings point into the slot and its task. */
void view_worker(const struct sup *s, int i, int show_job, struct ctl_worker *out);
/* The live job of that id, or NULL. */
struct job *view_live_job(const struct sup *s, uint32_t id);
/* Files per second this run, counting only the time the pool ran (not
 * stopped by SIGSTOP), and seconds to the end at that rate: 0 when it
 * cannot be told (not running, nothing done yet, nothing left). */
double view_rate(const struct sup *s, const struct job *j);
double view_eta(const struct sup *s, const struct job *j);

#endif
