/* rows: how `corral results` prints each file's outcome, from a state
 * directory (report.c) or from a service (client.c) alike: a line for
 * people, one JSON object a line (docs/results.md), CSV with a header, or
 * a line of the user's own (--format); and which outcomes it shows
 * (--failed, --status). Text forms show paths and errors escaped (\n,
 * \xNN: one file, one line, nothing a terminal acts on); JSON keeps the
 * exact bytes. */
#ifndef CORRAL_ROWS_H
#define CORRAL_ROWS_H

#include <stdint.h>
#include <stdio.h>

#include "supervisor/store.h"

enum rows_form { ROWS_TEXT, ROWS_JSON, ROWS_CSV, ROWS_FORMAT };

struct rows {
	enum rows_form form;
	const char *format;		/* --format's template */
	unsigned mask;			/* statuses shown: 1 << OUT_*; 0 every one */
	int header_done;		/* CSV: the header is out */
};

/* The options of `results` that these decide: "json", "csv", "format"
 * (value: the template), "failed", "status" (value: outcomes separated by
 * commas). 0, or -1 with one line in err (an unknown outcome, a template
 * with an unknown field, two forms at once). */
int rows_option(struct rows *r, const char *name, const char *value, char *err, size_t len);
/* Whether an outcome of that status is shown. */
int rows_shows(const struct rows *r, int status);
/* One file's outcome to f, when it is shown. */
void rows_put(struct rows *r, FILE *f, const char *job, uint64_t seq, const char *path,
    size_t plen, const struct store_outcome *o);

#endif
