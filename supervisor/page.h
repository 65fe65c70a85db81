/* page: what the web server (http.c) answers, written into a stream: the
 * status page and a job's page in HTML, and the same data as JSON for the
 * API (docs/http.md). Paths, names and error texts are untrusted bytes:
 * every one goes out through html_escaped or json_str, and the page's
 * script only fetches this HTML again; it builds nothing from data. Reads
 * the pool and the store; changes nothing. */
#ifndef CORRAL_PAGE_H
#define CORRAL_PAGE_H

#include <stdint.h>
#include <stdio.h>

#include "supervisor/store.h"

struct sup;

/* A file that was not ok, kept for the page's "Recent failures". */
struct page_failure {
	uint32_t job_id;
	const char *job;		/* the job's name */
	uint64_t seq;
	const char *path;
	size_t path_len;
	struct store_outcome o;
	size_t result_omitted;		/* bytes of a result map not kept, or 0 */
};

/* A result map above this is left out of the API's answers, its size
 * given instead (docs/http.md). */
#define PAGE_RESULT_MAX	(16u << 10)

/* The failures the status page lists, newest first. */
struct page_recent {
	const struct page_failure *const *f;
	int n;
};

/* Rows of a job's files per page, at most. */
#define PAGE_FILES_MAX	500

/* part 1: only what goes inside <main>, for the page's live update. */
void page_status(FILE *f, struct sup *s, const struct page_recent *recent, int part);
/* A job's page: its figures, its children, and its files not ok with seq
 * past after, `limit` of them. */
void page_job(FILE *f, struct sup *s, const struct store_job *r, uint64_t after, int limit,
    int part);
/* A page that says what is not there, with its status line. */
void page_error(FILE *f, int code, const char *what);

/* The API: one JSON document each (docs/http.md). */
void api_status(FILE *f, struct sup *s, const struct page_recent *recent);
void api_jobs(FILE *f, struct sup *s);
void api_job(FILE *f, struct sup *s, const struct store_job *r);
void api_failed(FILE *f, struct sup *s, const struct store_job *r, uint64_t after, int limit);

/* The page's style sheet and script, served as files of their own (the
 * page's Content-Security-Policy allows no inline script or style). */
extern const char page_css[];
extern const char page_js[];

#endif
