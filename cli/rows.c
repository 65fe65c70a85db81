/* rows: one file's outcome, printed as `corral results` was asked (rows.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rows.h"
#include "ipc/ctl.h"
#include "supervisor/json.h"
#include "supervisor/sup.h"

/* --format's fields, in the order CSV writes them. */
enum field { F_JOB, F_SEQ, F_PATH, F_STATUS, F_ATTEMPTS, F_DURATION, F_FINISHED, F_SIGNAL,
	F_EXIT, F_ERROR, F_LIMIT, F__N };
static const char *const field_names[F__N] = {
	"job", "seq", "path", "status", "attempts", "duration_ms", "finished_ms", "signal",
	"exit_code", "error", "limit",
};

static int
field_of(const char *s, size_t n)
{
	int i;

	for (i = 0; i < F__N; i++)
		if (strlen(field_names[i]) == n && memcmp(field_names[i], s, n) == 0)
			return i;
	return -1;
}

/* Checks a template: every {NAME} a field, every \ an escape it knows. */
static int
format_check(const char *t, char *err, size_t len)
{
	const char *p, *end;

	for (p = t; *p; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || strchr("nt\\{", p[1]) == NULL) {
				snprintf(err, len, "--format: '\\%c' is no escape (\\n, \\t, \\\\, \\{)",
				    p[1] ? p[1] : ' ');
				return -1;
			}
			p++;
		} else if (*p == '{') {
			if ((end = strchr(p, '}')) == NULL || field_of(p + 1, (size_t)(end - p - 1)) < 0) {
				snprintf(err, len, "--format: '%.*s' is no field; the fields are {job}, "
				    "{seq}, {path}, {status}, {attempts}, {duration_ms}, {finished_ms}, "
				    "{signal}, {exit_code}, {error}, {limit}", end ? (int)(end - p + 1) : (int)strlen(p), p);
				return -1;
			}
			p = end;
		}
	}
	return 0;
}

int
rows_option(struct rows *r, const char *name, const char *value, char *err, size_t len)
{
	enum rows_form form = ROWS_TEXT;
	char *list, *tok, *save;
	int i;

	if (strcmp(name, "quarantined") == 0) {
		r->mask |= 1u << OUT_QUARANTINED;
		return 0;
	}
	if (strcmp(name, "failed") == 0 || strcmp(name, "status") == 0) {
		if (name[0] == 'f') {
			r->mask |= ~(1u << OUT_OK) & ((1u << OUT__COUNT) - 1);
			return 0;
		}
		if ((list = strdup(value)) == NULL)
			return snprintf(err, len, "out of memory"), -1;
		for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			for (i = 0; i < OUT__COUNT && strcmp(tok, outcome_name(i)) != 0; i++)
				;
			if (i == OUT__COUNT) {
				snprintf(err, len, "--status: '%s' is no outcome (ok, failed, crashed, "
				    "timeout, skipped, quarantined)", sup_esc(tok, strlen(tok)));
				free(list);
				return -1;
			}
			r->mask |= 1u << i;
		}
		free(list);
		if (r->mask == 0)
			return snprintf(err, len, "--status: name one outcome or more"), -1;
		return 0;
	}
	if (strcmp(name, "json") == 0)
		form = ROWS_JSON;
	else if (strcmp(name, "csv") == 0)
		form = ROWS_CSV;
	else if (strcmp(name, "format") == 0) {
		if (format_check(value, err, len) < 0)
			return -1;
		form = ROWS_FORMAT;
		r->format = value;
	} else
		return snprintf(err, len, "--%s: not an option of results", name), -1;
	if (r->form != ROWS_TEXT && r->form != form)
		return snprintf(err, len, "--json, --csv and --format: one at most"), -1;
	r->form = form;
	return 0;
}

int
rows_shows(const struct rows *r, int status)
{
	return r->mask == 0 || (status >= 0 && status < OUT__COUNT && (r->mask & 1u << status));
}

/* A field's value as text: numbers as they are; the job, the path and the
 * error escaped as a terminal's text is. */
static void
put_field(FILE *f, int k, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	switch (k) {
	case F_JOB: text_escaped(f, job, strlen(job)); break;
	case F_SEQ: fprintf(f, "%llu", (unsigned long long)seq); break;
	case F_PATH: text_escaped(f, path, plen); break;
	case F_STATUS: fputs(outcome_name(o->status), f); break;
	case F_ATTEMPTS: fprintf(f, "%u", o->attempts); break;
	case F_DURATION: fprintf(f, "%llu", (unsigned long long)o->duration_ms); break;
	case F_FINISHED: fprintf(f, "%llu", (unsigned long long)o->finished_ms); break;
	case F_SIGNAL: fprintf(f, "%d", o->signal); break;
	case F_EXIT: fprintf(f, "%d", o->exit_code); break;
	case F_ERROR:
		if (o->status != OUT_OK)
			text_escaped(f, o->error, o->error_len);
		break;
	case F_LIMIT:
		if (o->status == OUT_TIMEOUT || o->status == OUT_QUARANTINED)
			fputs(ctl_limit_name(o->limit), f);
		break;
	}
}

/* A CSV field (RFC 4180): quoted when it holds a comma, a quote or a
 * space, its quotes doubled. The text is escaped first, so it holds no
 * line break. */
static void
put_csv(FILE *f, int k, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	char *text = NULL, *p;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);

	if (m == NULL)
		return;
	put_field(m, k, job, seq, path, plen, o);
	fclose(m);
	if (text && strpbrk(text, ",\" ") != NULL) {
		putc('"', f);
		for (p = text; *p; p++) {
			if (*p == '"')
				putc('"', f);
			putc(*p, f);
		}
		putc('"', f);
	} else if (text)
		fputs(text, f);
	free(text);
}

void
rows_put(struct rows *r, FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	const char *p, *end;
	int k;

	if (!rows_shows(r, o->status))
		return;
	switch (r->form) {
	case ROWS_JSON:
		json_outcome(f, job, seq, path, plen, o);
		putc('\n', f);
		break;
	case ROWS_CSV:
		if (!r->header_done) {
			for (k = 0; k < F__N; k++)
				fprintf(f, "%s%s", k ? "," : "", field_names[k]);
			fputs("\r\n", f);
			r->header_done = 1;
		}
		for (k = 0; k < F__N; k++) {
			if (k)
				putc(',', f);
			put_csv(f, k, job, seq, path, plen, o);
		}
		fputs("\r\n", f);
		break;
	case ROWS_FORMAT:
		for (p = r->format; *p; p++) {
			if (*p == '\\') {
				p++;
				putc(*p == 'n' ? '\n' : *p == 't' ? '\t' : *p, f);
			} else if (*p == '{' && (end = strchr(p, '}')) != NULL) {
				put_field(f, field_of(p + 1, (size_t)(end - p - 1)), job, seq, path, plen, o);
				p = end;
			} else
				putc(*p, f);
		}
		putc('\n', f);
		break;
	case ROWS_TEXT:
		fprintf(f, "%-7s %u %6llums  ", outcome_name(o->status), o->attempts,
		    (unsigned long long)o->duration_ms);
		text_escaped(f, path, plen);
		if (o->status != OUT_OK && o->error_len) {
			fputs("  ", f);
			text_escaped(f, o->error, o->error_len);
		}
		if ((o->status == OUT_TIMEOUT || o->status == OUT_QUARANTINED) && o->limit > TL_NONE &&
		    o->limit < TL__COUNT)
			fprintf(f, "  limit=%s", ctl_limit_name(o->limit));
		putc('\n', f);
		break;
	}
}
