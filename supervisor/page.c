/* page: the web page and the API's JSON (page.h). Every byte that came from
 * a job's inputs, a child or a user goes through html_escaped or json_str. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/json.h"
#include "supervisor/page.h"
#include "supervisor/sup.h"
#include "supervisor/view.h"

#define ENDED_SHOWN	20	/* jobs that have ended the status page lists */
#define LIVE_SHOWN	200	/* ... and jobs that have not, at most */
#define CHUNKS_A_PAGE	64	/* store chunks one page of files may examine */
#define PAGE_BYTES_MAX	(1u << 20)	/* a page of files stops past this much */
#define TEXT_SHOWN	1024	/* bytes of an error or stderr a page shows */
#define NOT_OK		(1u << OUT_FAILED | 1u << OUT_CRASHED | 1u << OUT_TIMEOUT | 1u << OUT_SKIPPED | \
    1u << OUT_QUARANTINED)

static int
ended(int state)
{
	return state == JOB_DONE || state == JOB_HALTED || state == JOB_FAILED ||
	    state == JOB_CANCELLED;
}

/* ---- the jobs a page lists: newest first ---- */

struct listing {
	uint32_t ids[LIVE_SHOWN + ENDED_SHOWN];	/* in id order */
	int n;
	uint64_t more;			/* jobs left out */
};

struct list_walk {
	uint32_t live[LIVE_SHOWN];
	int nlive;
	uint32_t ended[ENDED_SHOWN];	/* a ring, [head] the oldest */
	int nended, head;
	uint64_t more;
};

static int
list_one(const struct store_job *r, void *arg)
{
	struct list_walk *w = arg;

	if (!ended(r->state)) {
		if (w->nlive < LIVE_SHOWN)
			w->live[w->nlive++] = r->id;
		else
			w->more++;
	} else if (w->nended < ENDED_SHOWN)
		w->ended[(w->head + w->nended++) % ENDED_SHOWN] = r->id;
	else {
		w->ended[w->head] = r->id;
		w->head = (w->head + 1) % ENDED_SHOWN;
		w->more++;
	}
	return 0;
}

/* The ids to show, in id order: every job that has not ended (up to
 * LIVE_SHOWN), and the ENDED_SHOWN latest that have. */
static int
list_jobs(struct sup *s, struct listing *l)
{
	struct list_walk w = { .nlive = 0 };
	int a = 0, b = 0;

	memset(l, 0, sizeof *l);
	if (store_jobs_each(s->st, list_one, &w) < 0)
		return -1;
	while (a < w.nlive || b < w.nended) {
		uint32_t e = b < w.nended ? w.ended[(w.head + b) % ENDED_SHOWN] : UINT32_MAX;

		if (a < w.nlive && w.live[a] < e)
			l->ids[l->n++] = w.live[a++];
		else {
			l->ids[l->n++] = e;
			b++;
		}
	}
	l->more = w.more;
	return 0;
}

/* ---- bits of a page ---- */

static void
esc(FILE *f, const char *s)
{
	html_escaped(f, s, strlen(s));
}

static void
when(FILE *f, uint64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0) {
		fputs("—", f);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
	fprintf(f, "<time datetime=\"%s\">%s</time>", buf, buf);
}

static void
secs(FILE *f, double s)
{
	if (s <= 0)
		fputs("—", f);
	else if (s < 60)
		fprintf(f, "%.1f s", s);
	else if (s < 3600)
		fprintf(f, "%dm%02ds", (int)s / 60, (int)s % 60);
	else if (s < 100 * 3600)
		fprintf(f, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
	else
		fprintf(f, "%.0f h", s / 3600);
}

static void
head(FILE *f, const char *title, int part)
{
	if (part)
		return;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<link rel=\"stylesheet\" href=\"/static/corral.css\"><title>", f);
	esc(f, title);
	fputs("</title></head>\n<body><header><a class=\"home\" href=\"/\">corral</a> "
	    "<span id=\"live\" class=\"live\">live</span></header>\n<main>", f);
}

static void
foot(FILE *f, int part)
{
	if (part)
		return;
	fputs("</main>\n<script src=\"/static/corral.js\"></script></body></html>\n", f);
}

static void
pool_line(FILE *f, struct sup *s)
{
	time_t t = time(NULL);

	fprintf(f, "<p class=\"pool\">pid %d · %d workers", (int)s->pid, s->nslots - s->nlanes);
	if (s->nlanes)
		fprintf(f, " and %d for checks", s->nlanes);
	fputs(" · state directory <code>", f);
	esc(f, s->opts.state_dir);
	fputs("</code> · up ", f);
	secs(f, ev_time() - s->started);
	if (s->stopping || s->draining)
		fputs(" · <strong>stopping</strong>", f);
	if (s->disk_full)
		fputs(" · <strong>the state directory's disk is full</strong>", f);
	fputs(" · at ", f);
	when(f, (uint64_t)t * 1000);
	fputs("</p>\n", f);
}

static void
job_row(FILE *f, struct sup *s, const struct store_job *stored)
{
	struct job *j = view_live_job(s, stored->id);
	const struct store_job *r = j ? &j->rec : stored;
	uint64_t done = 0;
	double pct;
	int i;

	for (i = 0; i < OUT__COUNT; i++)
		done += r->count[i];
	pct = r->total ? 100.0 * (double)done / (double)r->total : 0;
	fprintf(f, "<tr id=\"job-%u\"><td class=\"name\"><a href=\"/job/%u\">", r->id, r->id);
	esc(f, r->name);
	fputs("</a><div class=\"sub\">", f);
	esc(f, r->handler);
	if (r->arg[0]) {
		fputs(" <code>", f);
		esc(f, r->arg);
		fputs("</code>", f);
	}
	fputs(" · ", f);
	html_text(f, r->inputs, strlen(r->inputs));
	fprintf(f, "</div></td><td class=\"state %s\">%s</td>", job_state_name(r->state),
	    job_state_name(r->state));
	fprintf(f, "<td class=\"bar\"><progress max=\"%llu\" value=\"%llu\"></progress> "
	    "<span class=\"pct\">%.1f%%</span></td>", (unsigned long long)(r->total ? r->total : 1),
	    (unsigned long long)done, pct);
	fprintf(f, "<td class=\"done\" data-done=\"%llu\" data-total=\"%llu\">%llu / %llu</td>",
	    (unsigned long long)done, (unsigned long long)r->total, (unsigned long long)done,
	    (unsigned long long)r->total);
	fputs("<td class=\"rate\">", f);
	if (j && view_rate(s, j) > 0)
		fprintf(f, "%.1f/s", view_rate(s, j));
	else
		fputs("—", f);
	fputs("</td><td class=\"eta\">", f);
	secs(f, j ? view_eta(s, j) : 0);
	fputs("</td>", f);
	for (i = 0; i < OUT__COUNT; i++)
		fprintf(f, "<td class=\"n %s\">%llu</td>", outcome_name(i),
		    (unsigned long long)r->count[i]);
	fputs("</tr>\n", f);
}

static void
job_reason_row(FILE *f, struct sup *s, const struct store_job *stored)
{
	struct job *j = view_live_job(s, stored->id);
	char reason[VIEW_REASON_MAX];
	struct ctl_job m;

	view_job(s, j ? &j->rec : stored, j, &m, reason, sizeof reason);
	if (reason[0] == '\0')
		return;
	fprintf(f, "<tr class=\"reason\"><td colspan=\"%d\">", 6 + OUT__COUNT);
	html_text(f, reason, strlen(reason));
	fputs("</td></tr>\n", f);
}

static void
jobs_head(FILE *f)
{
	int i;

	fputs("<table class=\"jobs\"><thead><tr><th>job</th><th>state</th><th>progress</th>"
	    "<th>done / total</th><th>rate</th><th>ETA</th>", f);
	for (i = 0; i < OUT__COUNT; i++)
		fprintf(f, "<th>%s</th>", outcome_name(i));
	fputs("</tr></thead><tbody>\n", f);
}

static void
workers_table(FILE *f, struct sup *s, const struct job *only)
{
	struct ctl_worker w;
	int i, shown = 0;

	fputs("<table class=\"workers\"><thead><tr><th>slot</th><th>pid</th><th>state</th>"
	    "<th>job</th><th>file</th><th>for</th><th>files done</th><th>memory</th></tr></thead>"
	    "<tbody>\n", f);
	for (i = 0; i < s->nslots; i++) {
		if (only && s->slots[i]->job != only)
			continue;
		view_worker(s, i, 1, &w);
		shown++;
		fprintf(f, "<tr><td>%u%s</td><td>%u</td><td class=\"state %s\">%s</td><td>", w.slot,
		    s->slots[i]->lane ? " (check)" : "", w.pid, w.state, w.state);
		html_escaped(f, w.job, w.job_len);
		fputs("</td><td class=\"path\">", f);
		html_escaped(f, w.path, w.path_len);
		fputs("</td><td>", f);
		if (w.path_len)
			secs(f, (double)w.running_ms / 1000 + 0.05);
		fprintf(f, "</td><td>%llu</td><td>", (unsigned long long)w.tasks_done);
		if (w.rss_bytes)
			fprintf(f, "%.1f MiB", (double)w.rss_bytes / (1 << 20));
		fputs("</td></tr>\n", f);
	}
	if (shown == 0)
		fputs("<tr><td colspan=\"8\">none</td></tr>\n", f);
	fputs("</tbody></table>\n", f);
}

/* Untrusted text, at most TEXT_SHOWN bytes of it (then how much more). */
static void
shown_text(FILE *f, const char *t, size_t len)
{
	html_escaped(f, t, len < TEXT_SHOWN ? len : TEXT_SHOWN);
	if (len > TEXT_SHOWN)
		fprintf(f, " <span class=\"more\">… %zu bytes more</span>", len - TEXT_SHOWN);
}

/* A row of a file that was not ok. job: its job's name, or NULL (a job's
 * own page). */
static void
file_row(FILE *f, uint32_t job_id, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	fputs("<tr class=\"file\"><td>", f);
	when(f, o->finished_ms);
	fputs("</td>", f);
	if (job) {
		fprintf(f, "<td><a href=\"/job/%u\">", job_id);
		esc(f, job);
		fputs("</a></td>", f);
	}
	fprintf(f, "<td>%llu</td><td class=\"path\">", (unsigned long long)seq);
	html_escaped(f, path, plen);
	fprintf(f, "</td><td class=\"outcome %s\">%s</td><td>%u</td><td class=\"error\">",
	    outcome_name(o->status), outcome_name(o->status), o->attempts);
	shown_text(f, o->error, o->error_len);
	fputs("</td><td class=\"reasons\">", f);
	if (o->result_len)
		html_result_reasons(f, o->result, o->result_len);
	if (o->tail_len) {
		fputs("<details><summary>stderr</summary><pre>", f);
		shown_text(f, o->tail, o->tail_len);
		fputs("</pre></details>", f);
	}
	fputs("</td></tr>\n", f);
}

static void
files_head(FILE *f, int with_job)
{
	fprintf(f, "<table class=\"files\"><thead><tr><th>finished</th>%s<th>#</th><th>file</th>"
	    "<th>outcome</th><th>attempts</th><th>error</th><th>reasons</th></tr></thead><tbody>\n",
	    with_job ? "<th>job</th>" : "");
}

/* ---- the pages ---- */

void
page_status(FILE *f, struct sup *s, const struct page_recent *recent, int part)
{
	struct listing l;
	struct store_job r;
	int i;

	head(f, "corral", part);
	pool_line(f, s);
	fputs("<section><h2>Jobs</h2>\n", f);
	if (list_jobs(s, &l) < 0)
		fprintf(f, "<p class=\"error\">The jobs could not be read: %s</p>\n",
		    store_strerror(s->st));
	else if (l.n == 0)
		fputs("<p>No jobs yet.</p>\n", f);
	else {
		jobs_head(f);
		for (i = l.n - 1; i >= 0; i--) {
			if (store_job_by_id(s->st, l.ids[i], &r) != 0)
				continue;
			job_row(f, s, &r);
			job_reason_row(f, s, &r);
		}
		fputs("</tbody></table>\n", f);
		if (l.more)
			fprintf(f, "<p class=\"more\">%llu older jobs that have ended are not shown "
			    "(<code>corral jobs</code> lists every job).</p>\n",
			    (unsigned long long)l.more);
	}
	fputs("</section>\n<section><h2>Workers</h2>\n", f);
	workers_table(f, s, NULL);
	fputs("</section>\n<section><h2>Recent failures</h2>\n", f);
	if (recent->n == 0)
		fputs("<p>None since this process started.</p>\n", f);
	else {
		files_head(f, 1);
		for (i = 0; i < recent->n; i++) {
			const struct page_failure *x = recent->f[i];

			file_row(f, x->job_id, x->job, x->seq, x->path, x->path_len, &x->o);
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
	foot(f, part);
}

struct files_page {
	FILE *f;
	int n;
	int json;
	const char *job;
	long start;			/* where the page began in f */
	int full;			/* PAGE_BYTES_MAX reached */
};

/* An outcome as the API gives it: that of `results --json`, but a result
 * map above PAGE_RESULT_MAX is left out ("result":{}) and its size given. */
static void
api_outcome(FILE *f, const char *job, uint64_t seq, const char *path, size_t plen,
    const struct store_outcome *o)
{
	struct store_outcome cut = *o;

	if (o->result_len <= PAGE_RESULT_MAX) {
		json_outcome(f, job, seq, path, plen, o);
		return;
	}
	cut.result = NULL;
	cut.result_len = 0;
	json_outcome_open(f, job, seq, path, plen, &cut);
	fprintf(f, ",\"result_omitted_bytes\":%zu}", o->result_len);
}

static int
file_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	struct files_page *p = arg;

	if (p->json) {
		if (p->n > 0)
			putc(',', p->f);
		api_outcome(p->f, p->job, seq, path, plen, o);
	} else
		file_row(p->f, 0, NULL, seq, path, plen, o);
	p->n++;
	/* Bounded in bytes as in rows: the next page goes on after this one. */
	p->full = ftell(p->f) - p->start > (long)PAGE_BYTES_MAX;
	return p->full;
}

/* The files not ok of job r past after, up to limit, through fn. Returns
 * the seq the next page starts after, 0 at the end, or -1. */
static int64_t
files_not_ok(struct sup *s, const struct store_job *r, uint64_t after, int limit,
    struct files_page *p)
{
	uint64_t last = after;
	int k, n;

	p->start = ftell(p->f);
	for (k = 0; k < CHUNKS_A_PAGE && p->n < limit && !p->full; k++) {
		n = store_results_page(s->st, r->id, after, limit - p->n, NOT_OK, file_one, p, &last);
		if (n < 0)
			return -1;
		if (last == after)
			return 0;
		after = last;
	}
	return (int64_t)after;
}

void
page_job(FILE *f, struct sup *s, const struct store_job *stored, uint64_t after, int limit,
    int part)
{
	struct job *j = view_live_job(s, stored->id);
	const struct store_job *r = j ? &j->rec : stored;
	struct files_page p = { .f = f };
	uint64_t bad = 0;
	int64_t next;
	int i;

	for (i = 1; i < OUT__COUNT; i++)
		bad += r->count[i];
	head(f, r->name, part);
	fputs("<h1>", f);
	esc(f, r->name);
	fputs("</h1>\n", f);
	pool_line(f, s);
	jobs_head(f);
	job_row(f, s, r);
	job_reason_row(f, s, r);
	fputs("</tbody></table>\n<p class=\"times\">created ", f);
	when(f, r->created_ms);
	fputs(" · updated ", f);
	when(f, r->updated_ms);
	fputs(" · finished ", f);
	when(f, r->finished_ms);
	fprintf(f, " · runs %llu</p>\n", (unsigned long long)r->runs);
	if (j) {
		fputs("<section><h2>Workers</h2>\n", f);
		workers_table(f, s, j);
		fputs("</section>\n", f);
	}
	fprintf(f, "<section><h2>Files not ok <span class=\"count\">(%llu)</span></h2>\n",
	    (unsigned long long)bad);
	files_head(f, 0);
	next = files_not_ok(s, r, after, limit > 0 ? limit : 1, &p);
	if (p.n == 0)
		fputs("<tr><td colspan=\"7\">none here</td></tr>\n", f);
	fputs("</tbody></table>\n<nav class=\"pages\">", f);
	if (after > 0)
		fprintf(f, "<a href=\"/job/%u\">first page</a> ", r->id);
	if (next > 0)
		fprintf(f, "<a rel=\"next\" href=\"/job/%u?after=%lld&amp;limit=%d\">next page</a>",
		    r->id, (long long)next, limit);
	else if (next < 0)
		fprintf(f, "<span class=\"error\">The files could not be read: %s</span>",
		    store_strerror(s->st));
	fputs("</nav></section>\n", f);
	foot(f, part);
}

void
page_error(FILE *f, int code, const char *what)
{
	char title[32];

	snprintf(title, sizeof title, "%d", code);
	head(f, title, 0);
	fputs("<p class=\"error\">", f);
	esc(f, what);
	fputs(" <a href=\"/\">The status page.</a></p>\n", f);
	foot(f, 0);
}

/* ---- the API ---- */

/* A job: what `status --json` from a service says, and this run's rate. */
static void
api_job_object(FILE *f, struct sup *s, const struct store_job *stored, int workers)
{
	struct job *j = view_live_job(s, stored->id);
	char reason[VIEW_REASON_MAX];
	struct ctl_worker w;
	struct ctl_job m;
	int i, n = 0;

	view_job(s, j ? &j->rec : stored, j, &m, reason, sizeof reason);
	json_ctl_job(f, &m);
	fprintf(f, ",\"rate_per_s\":%.3f,\"eta_s\":%.1f", j ? view_rate(s, j) : 0.0,
	    j ? view_eta(s, j) : 0.0);
	if (workers) {
		fputs(",\"workers\":[", f);
		for (i = 0; j && i < s->nslots; i++) {
			if (s->slots[i]->job != j)
				continue;
			view_worker(s, i, 1, &w);
			if (n++)
				putc(',', f);
			json_ctl_worker(f, &w);
		}
		putc(']', f);
	}
	putc('}', f);
}

struct api_walk {
	FILE *f;
	struct sup *s;
	int n;
};

static int
api_one(const struct store_job *r, void *arg)
{
	struct api_walk *w = arg;

	if (w->n++)
		putc(',', w->f);
	api_job_object(w->f, w->s, r, 0);
	return ferror(w->f);
}

/* "jobs":[...]: all of them in id order, or those the status page lists,
 * newest first. */
static void
api_jobs_array(FILE *f, struct sup *s, int all)
{
	struct api_walk w = { .f = f, .s = s };
	struct listing l;
	struct store_job r;
	int i;

	fputs("\"jobs\":[", f);
	if (all)
		store_jobs_each(s->st, api_one, &w);
	else if (list_jobs(s, &l) == 0)
		for (i = l.n - 1; i >= 0; i--)
			if (store_job_by_id(s->st, l.ids[i], &r) == 0)
				api_one(&r, &w);
	putc(']', f);
}

void
api_status(FILE *f, struct sup *s, const struct page_recent *recent)
{
	struct ctl_worker w;
	int i;

	fprintf(f, "{\"pool\":{\"pid\":%d,\"workers\":%d,\"check_workers\":%d,\"state_dir\":",
	    (int)s->pid, s->nslots - s->nlanes, s->nlanes);
	json_str(f, s->opts.state_dir, strlen(s->opts.state_dir));
	fprintf(f, ",\"up_s\":%.3f,\"stopping\":%s,\"disk_full\":%s},", ev_time() - s->started,
	    s->stopping || s->draining ? "true" : "false", s->disk_full ? "true" : "false");
	api_jobs_array(f, s, 0);
	fputs(",\"workers\":[", f);
	for (i = 0; i < s->nslots; i++) {
		view_worker(s, i, 1, &w);
		if (i)
			putc(',', f);
		json_ctl_worker(f, &w);
	}
	fputs("],\"failures\":[", f);
	for (i = 0; i < recent->n; i++) {
		const struct page_failure *x = recent->f[i];

		if (i)
			putc(',', f);
		json_outcome_open(f, x->job, x->seq, x->path, x->path_len, &x->o);
		if (x->result_omitted)
			fprintf(f, ",\"result_omitted_bytes\":%zu", x->result_omitted);
		putc('}', f);
	}
	fputs("]}\n", f);
}

void
api_jobs(FILE *f, struct sup *s)
{
	putc('{', f);
	api_jobs_array(f, s, 1);
	fputs("}\n", f);
}

void
api_job(FILE *f, struct sup *s, const struct store_job *r)
{
	api_job_object(f, s, r, 1);
	putc('\n', f);
}

void
api_failed(FILE *f, struct sup *s, const struct store_job *r, uint64_t after, int limit)
{
	struct files_page p = { .f = f, .json = 1, .job = r->name };
	int64_t next;

	fputs("{\"files\":[", f);
	next = files_not_ok(s, r, after, limit > 0 ? limit : 1, &p);
	fprintf(f, "],\"next\":%lld", next > 0 ? (long long)next : 0);
	if (next < 0)
		fputs(",\"error\":\"the files could not be read\"", f);
	fputs("}\n", f);
}

/* ---- the page's own files ---- */

const char page_css[] =
	":root{--fg:#1d2327;--mute:#646970;--line:#dcdcde;--bg:#fff;--ok:#00a32a;--bad:#d63638;"
	"--warn:#dba617;--run:#2271b1}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--mute:#9aa0a6;--line:#3c434a;"
	"--bg:#1d2327}}\n"
	"body{font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}\n"
	"header{display:flex;gap:1em;align-items:baseline;padding:.6em 1em;border-bottom:1px solid var(--line)}\n"
	"header .home{font-weight:700;font-size:1.2em;color:inherit;text-decoration:none}\n"
	"main{padding:0 1em 2em}\n"
	"h1{font-size:1.3em;margin:.8em 0 .2em;overflow-wrap:anywhere}\n"
	"h2{font-size:1.05em;margin:1.4em 0 .4em}\n"
	".pool,.times,.more{color:var(--mute)}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{font-weight:600;color:var(--mute);white-space:nowrap}\n"
	"td.n,td.done,td.rate,td.eta{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	"td.path,td.error,td.name a,.sub{overflow-wrap:anywhere}\n"
	".sub{color:var(--mute);font-size:.9em}\n"
	"progress{width:8em;vertical-align:middle}\n"
	"td.bar,td.state,time{white-space:nowrap}\n"
	".state.running,.state.busy{color:var(--run)}\n"
	".state.done,.outcome.ok{color:var(--ok)}\n"
	".state.halted,.state.failed,.state.cancelled,.outcome.failed,.outcome.crashed,"
	".outcome.timeout{color:var(--bad)}\n"
	".state.paused,.state.interrupted,.outcome.skipped,.state.killing{color:var(--warn)}\n"
	"td.n.ok{color:var(--ok)}\n"
	"tr.reason td{color:var(--mute);font-style:italic;border-bottom:1px solid var(--line)}\n"
	".error{color:var(--bad)}\n"
	"pre{white-space:pre-wrap;margin:.3em 0}\n"
	"#live{font-size:.85em;color:var(--ok)}\n"
	"#live.stale{color:var(--bad)}\n"
	"nav.pages{margin:.6em 0}\n";

/* Fetches this page's <main> again each second and puts it in place: the
 * server wrote and escaped it, the script only moves it. */
const char page_js[] =
	"\"use strict\";\n"
	"(function () {\n"
	"  var main = document.querySelector(\"main\");\n"
	"  var live = document.getElementById(\"live\");\n"
	"  var polls = 0, busy = false;\n"
	"  function tick() {\n"
	"    if (busy || document.hidden) return;\n"
	"    busy = true;\n"
	"    var u = new URL(location.href);\n"
	"    u.searchParams.set(\"part\", \"main\");\n"
	"    fetch(u, { cache: \"no-store\" }).then(function (r) {\n"
	"      if (r.status === 404) throw new Error(\"gone: the server no longer has this page\");\n"
	"      if (!r.ok) throw new Error(\"HTTP \" + r.status);\n"
	"      return r.text();\n"
	"    }).then(function (t) {\n"
	"      main.innerHTML = t;\n"
	"      document.body.setAttribute(\"data-updates\", String(++polls));\n"
	"      live.textContent = \"live\";\n"
	"      live.className = \"live\";\n"
	"    }).catch(function (e) {\n"
	"      live.textContent = (/^gone/.test(e.message) ? e.message : \"not reachable\") +\n"
	"        \": the figures below are the last ones\";\n"
	"      live.className = \"stale\";\n"
	"    }).then(function () { busy = false; });\n"
	"  }\n"
	"  setInterval(tick, 1000);\n"
	"})();\n";
