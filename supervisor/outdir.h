/* outdir: the directories --extract fills, DIR/JOB/PATH/, made by the
 * supervisor without following a link at any step. */
#ifndef CORRAL_OUTDIR_H
#define CORRAL_OUTDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* DIR/JOB, made if missing: its descriptor, or -1 with a message in why. */
int outdir_open(const char *dir, const char *job, char *why, size_t len);
/* JOBFD/PATH/, made if missing and emptied if not ("." components
 * skipped, ".." read as "..."), owned by uid and gid unless uid is -1:
 * its descriptor, or -1 with why. */
int outdir_task(int jobfd, const char *path, size_t plen, uid_t uid, gid_t gid, char *why,
    size_t len);
/* Removes JOBFD/PATH/ if it is empty: a file nothing was extracted from. */
void outdir_prune(int jobfd, const char *path, size_t plen);
/* 1 if a result map (checked msgpack, as the child sent it) says
 * "extracted": true, else 0: an ok file the handler chose not to write
 * out (a suspicious archive by default) gets no directory either. */
int outdir_extracted(const uint8_t *result, size_t len);

#endif
