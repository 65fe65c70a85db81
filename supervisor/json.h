/* json: writing untrusted bytes for people and programs. JSON strings escape
 * every control byte and replace invalid UTF-8 with U+FFFD; text output for a
 * terminal shows control bytes and invalid UTF-8 as \n, \t, \xNN. */
#ifndef CORRAL_JSON_H
#define CORRAL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* 1 if s is valid UTF-8 (no overlongs, no surrogates), else 0. */
int json_is_utf8(const char *s, size_t len);
/* A quoted JSON string. */
void json_str(FILE *f, const char *s, size_t len);
/* A quoted JSON string of the standard base64 of the bytes. */
void json_base64(FILE *f, const void *p, size_t len);
/* "KEY":path, and ,"KEY_base64":its exact bytes when it is not UTF-8
 * (docs/results.md, path_base64). */
void json_path(FILE *f, const char *key, const char *path, size_t plen);
/* One msgpack object as JSON: maps become objects (non-string keys turned
 * into strings), bin becomes base64, ext is dropped to null, invalid UTF-8
 * replaced. Returns 0, or -1 (nothing sane written) if not well-formed. */
int json_msgpack(FILE *f, const void *mp, size_t len);
/* A job as a service tells of it (docs/jobs.md): the fields of `status
 * --json`, from `{` to its "reason", the object left open for the caller
 * to add to and close. */
struct ctl_job;
struct ctl_worker;
void json_ctl_job(FILE *f, const struct ctl_job *j);
/* A child of the pool (docs/jobs.md, The worker), one whole object. */
void json_ctl_worker(FILE *f, const struct ctl_worker *w);
/* One file's outcome, {"job":…,"seq":…,"path":…,"status":…,…} with no
 * line end (docs/results.md). */
struct store_outcome;
void json_outcome(FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o);
/* The same object left open after its "result", for the caller to add to
 * and close. */
/* A crash's or a kill's signature as one JSON object (docs/results.md,
 * signature); the name of its si_code ("killed", "dumped", "exited"). */
void json_signature(FILE *f, const struct store_outcome *o);
const char *json_code_name(int code);
void json_outcome_open(FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o);
/* The bytes for a terminal: printable UTF-8 as is, the rest escaped. */
void text_escaped(FILE *f, const char *s, size_t len);
/* The same for an HTML page, as element text or a quoted attribute's
 * value: also & < > " ' as entities. */
void html_escaped(FILE *f, const char *s, size_t len);
/* Text already escaped for people (a job's inputs and reason, written by
 * sup_esc), for an HTML page: & < > " ' as entities, its backslashes
 * left as they are. */
void html_text(FILE *f, const char *s, size_t len);

/* What a result map says for people, HTML-escaped: its "verdict" and the
 * "code" of its first "reasons" (the archive handler's, docs/results.md),
 * as "malformed: truncated, path_traversal". Nothing for a map without
 * them; bytes that are no such map are left alone. */
void html_result_reasons(FILE *f, const void *mp, size_t len);
/* The string or bytes under key in a result map (one checked msgpack
 * map): 0 with *v and *n pointing into it, or -1 when there is no such
 * key, or its value is neither. */
int result_bytes(const void *mp, size_t len, const char *key, const char **v, size_t *n);
/* The integer under key in a result map: 0 with *v, or -1. */
int result_int(const void *mp, size_t len, const char *key, int64_t *v);

#endif
