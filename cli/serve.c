/* serve: `corral serve` — the pool as a service. Owns a state directory,
 * takes up every job a previous owner left unfinished, serves the control
 * socket, tells systemd how it is (sd_notify), and stops on SIGTERM by
 * letting the files in children finish within --shutdown-grace. SIGHUP
 * re-reads the configuration file. The settings are the flags' and the
 * configuration file's [serve], with the same names; flags win. Its
 * [defaults] are a job's options, set as run's flags set them, for the
 * jobs submitted without them. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "common/log.h"
#include "common/parse.h"
#include "supervisor/control.h"
#include "supervisor/http.h"
#include "supervisor/metrics.h"
#include "supervisor/notify.h"
#include "supervisor/sup.h"

#define STATUS_EVERY	1.0	/* seconds between STATUS= lines */
#define DRAIN_CHECK	0.05	/* seconds between looks at what is still running */

struct serve_opts {
	struct pool_opts pool;
	struct control_opts ctl;
	const char *config;
	const char *user;		/* whom children run as, when root */
	uint64_t grace_ms;		/* --shutdown-grace */
	uint64_t keep_ms;		/* --keep: finished jobs go after this; 0 never */
	uint32_t check_workers;		/* --check-workers: the check lane */
	uint64_t check_timeout_ms;	/* --check-timeout */
	const char *http;		/* --http ADDR, or NULL */
	const char *metrics_file;	/* --metrics-file, or NULL */
	char state_buf[PATH_MAX], socket_buf[PATH_MAX], user_buf[256], http_buf[300];
	char metrics_buf[PATH_MAX];
};

/* The [defaults]: a job's options as run_opt_set left them, and the
 * copies of the file's values they point into. */
struct serve_defaults {
	struct run_cmd cmd;
	char **values;
	size_t nvalues;
};

/* A flag given on the command line, applied again after each reading of
 * the file so that it wins. */
struct serve_flag {
	const char *key, *val;
};

struct serve {
	struct sup sup;
	struct serve_opts o;
	struct serve_defaults *defaults;
	struct serve_flag flags[64];
	int nflags;
	ev_signal sig_term, sig_int, sig_hup;
	ev_timer status, drain, keep;
	ev_tstamp drain_until;
	struct metrics_file metrics;
};

/* What one reading of the configuration file fills. */
struct serve_load {
	struct serve_opts *o;
	struct serve_defaults *d;
};

/* Every setting of [serve], as flags. */
static const struct option serve_options[] = {
	{ "state", required_argument, NULL, 's' },
	{ "socket", required_argument, NULL, 'S' },
	{ "workers", required_argument, NULL, 'j' },
	{ "depth", required_argument, NULL, 'D' },
	{ "config", required_argument, NULL, 'c' },
	{ "user", required_argument, NULL, 'u' },
	{ "shutdown-grace", required_argument, NULL, 'g' },
	{ "host-wait", required_argument, NULL, 'w' },
	{ "keep", required_argument, NULL, 'e' },
	{ "check-workers", required_argument, NULL, 'k' },
	{ "check-timeout", required_argument, NULL, 'K' },
	{ "socket-mode", required_argument, NULL, 'm' },
	{ "socket-group", required_argument, NULL, 'G' },
	{ "allow-users", required_argument, NULL, 'U' },
	{ "allow-groups", required_argument, NULL, 'A' },
	{ "http", required_argument, NULL, 'T' },
	{ "metrics-file", required_argument, NULL, 'M' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *
serve_usage_text(void)
{
	return
"usage: corral serve [OPTIONS]            run jobs for clients of a control socket\n"
"  -s, --state DIR          state directory (default /var/lib/corral)\n"
"      --socket PATH        control socket (default /run/corral/control.sock)\n"
"  -j, --workers N          child processes shared by every job (default: CPUs;\n"
"                           also relative to them: 50%, +2)\n"
"      --depth N            tasks queued per child, 1 to 64 (default: by pace)\n"
"      --config FILE        settings, the flags' names without dashes under\n"
"                           [serve], and under [defaults] run's job options\n"
"                           for jobs submitted without them (default\n"
"                           /etc/corral/corral.conf if present)\n"
"      --user NAME          started as root, children run as NAME (default nobody)\n"
"      --shutdown-grace DUR  SIGTERM: files in children get this long (default 10s)\n"
"      --host-wait DUR      a job the host refuses descriptors, processes or\n"
"                           memory this long with nothing recorded is paused\n"
"                           with the reason (default 1m)\n"
"      --keep DUR           finished jobs are deleted this long after they end:\n"
"                           7d, 12h, 30m, or never (default 7d)\n"
"      --check-workers N    children beyond -j that serve only 'corral check',\n"
"                           kept set up (default 1; 0: no checks)\n"
"      --check-timeout DUR  the limit on one checked file (default 10s)\n"
"      --socket-mode MODE   of the socket it binds, octal (default 0660)\n"
"      --socket-group NAME  ... and its group\n"
"      --allow-users LIST   users (names or uids, comma-separated) who may talk\n"
"      --allow-groups LIST  ... and groups; root and the service's user always may\n"
"      --http ADDR          serve a live status page, its JSON API and /metrics:\n"
"                           PORT (on 127.0.0.1), HOST:PORT or [IPV6]:PORT;\n"
"                           read-only, every job shown to whoever connects\n"
"                           (default: none)\n"
"      --metrics-file PATH  rewrite PATH atomically every 5s with the service's\n"
"                           metrics in Prometheus's text format\n"
"  -v, --verbose            log every worker start\n"
"\n"
"Who may talk (by SO_PEERCRED, once the socket's mode and group let them\n"
"connect): root, the service's own user, --allow-users/--allow-groups, and the\n"
"members of the socket file's group when its mode gives that group read and\n"
"write (as 0660 does). A client sees and acts on its own jobs only (root and\n"
"the service's user: on every one), and a job reads only the files its\n"
"submitter may read. Jobs a previous owner left unfinished are taken up (a\n"
"paused one stays paused). A full state disk: nothing more runs or is\n"
"submitted until there is room, then the jobs go on by themselves.\n"
"SIGTERM or SIGINT: no new files; those in children get --shutdown-grace, the\n"
"rest are pending again, and every job stays resumable (a second signal: at\n"
"once). SIGHUP: the config file again (workers, allow-users, allow-groups and\n"
"[defaults]; flags still win).\n"
"\n"
"clients (--socket PATH or CORRAL_SOCKET names the socket; see 'corral --help'):\n"
"  corral submit [--wait] [--json] [OPTIONS] PATH...\n"
"  corral jobs [--json] | workers [--json]\n"
"  corral status [--json] JOB | results [--json] [--failed] JOB\n"
"  corral watch [--json] JOB\n"
"  corral pause JOB | resume JOB | cancel JOB | delete JOB | retry JOB\n"
"  corral check [--json] [OPTIONS] FILE...   through the check lane, at once:\n"
"      exit 0 every FILE clean; 1 some not clean (a verdict other than clean,\n"
"      a failure, a crash or a timeout); 2 an error\n"
"\n"
"exit status: 0 stopped by a signal; 2 usage or set-up error (a bad option or\n"
"             config file, the state dir or socket in use), or a fault of its own\n";
}

/* One setting, from a flag or the configuration file. 0, or -1 with err. */
static int
serve_set(struct serve_opts *o, const char *key, const char *val, char *err, size_t len)
{
	uint64_t v;
	char *list, *tok, *save;
	struct passwd *pw;
	struct group *gr;

	if (strcmp(key, "state") == 0) {
		if (strlen(val) >= sizeof o->state_buf)
			goto bad;
		o->pool.state_dir = strcpy(o->state_buf, val);	/* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked above */
	} else if (strcmp(key, "socket") == 0) {
		if (strlen(val) >= sizeof o->socket_buf)
			goto bad;
		o->ctl.path = strcpy(o->socket_buf, val);	/* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked above */
	} else if (strcmp(key, "workers") == 0) {
		if (parse_workers(val, cpus_online(), 1024, &v) < 0)
			return snprintf(err, len, "workers: '%s' is not a count from 1 to 1024, a share of "
			    "the CPUs like 50%%, or +N / -N from their number", sup_esc(val, strlen(val))), -1;
		o->pool.workers = (uint32_t)v;
	} else if (strcmp(key, "depth") == 0) {
		if (parse_uint(val, 1, DEPTH_MAX, &v) < 0)
			return snprintf(err, len, "depth: '%s' is not a whole number from 1 to %d",
			    sup_esc(val, strlen(val)), DEPTH_MAX), -1;
		o->pool.depth = (uint32_t)v;
	} else if (strcmp(key, "user") == 0) {
		if (strlen(val) >= sizeof o->user_buf)
			goto bad;
		o->user = strcpy(o->user_buf, val);	/* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked above */
	} else if (strcmp(key, "host-wait") == 0) {
		uint64_t ms;

		if (parse_duration_ms(val, &ms) < 0 || ms == 0)
			return snprintf(err, len, "host-wait: '%s' is not a duration like 30s, 5m",
			    sup_esc(val, strlen(val))), -1;
		o->pool.host_wait = (double)ms / 1000.0;
	} else if (strcmp(key, "shutdown-grace") == 0) {
		if (parse_duration_ms(val, &o->grace_ms) < 0)
			return snprintf(err, len, "shutdown-grace: '%s' is not a duration like 10s",
			    sup_esc(val, strlen(val))), -1;
	} else if (strcmp(key, "keep") == 0) {
		size_t n = strlen(val);
		char num[32];

		if (strcmp(val, "never") == 0)
			o->keep_ms = 0;
		else if (n > 1 && n < sizeof num && val[n - 1] == 'd') {
			memcpy(num, val, n - 1);
			num[n - 1] = '\0';
			if (parse_uint(num, 1, 36500, &v) < 0)
				goto bad_keep;
			o->keep_ms = v * 86400000;
		} else if (parse_duration_ms(val, &o->keep_ms) < 0)
			goto bad_keep;
	} else if (strcmp(key, "check-workers") == 0) {
		if (parse_uint(val, 0, 64, &v) < 0)
			return snprintf(err, len, "check-workers: '%s' is not a whole number from 0 to 64",
			    sup_esc(val, strlen(val))), -1;
		o->check_workers = (uint32_t)v;
	} else if (strcmp(key, "check-timeout") == 0) {
		if (parse_duration_ms(val, &o->check_timeout_ms) < 0 || o->check_timeout_ms == 0)
			return snprintf(err, len, "check-timeout: '%s' is not a duration like 5s",
			    sup_esc(val, strlen(val))), -1;
	} else if (strcmp(key, "socket-mode") == 0) {
		char *end;
		unsigned long m = strtoul(val, &end, 8);

		if (*val == '\0' || *end != '\0' || m > 0777)
			return snprintf(err, len, "socket-mode: '%s' is not an octal mode like 0660",
			    sup_esc(val, strlen(val))), -1;
		o->ctl.mode = (mode_t)m;
	} else if (strcmp(key, "socket-group") == 0) {
		if ((gr = getgrnam(val)) == NULL)
			return snprintf(err, len, "socket-group: no such group: %s",
			    sup_esc(val, strlen(val))), -1;
		o->ctl.group = gr->gr_gid;
	} else if (strcmp(key, "allow-users") == 0 || strcmp(key, "allow-groups") == 0) {
		int users = key[6] == 'u';

		if ((list = strdup(val)) == NULL)
			return snprintf(err, len, "out of memory"), -1;
		for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			int *n = users ? &o->ctl.nusers : &o->ctl.ngroups;

			if (*n == CONTROL_USERS_MAX) {
				free(list);
				return snprintf(err, len, "%s: at most %d", key, CONTROL_USERS_MAX), -1;
			}
			if (parse_uint(tok, 0, UINT32_MAX - 1, &v) == 0)
				;
			else if (users && (pw = getpwnam(tok)) != NULL)
				v = pw->pw_uid;
			else if (!users && (gr = getgrnam(tok)) != NULL)
				v = gr->gr_gid;
			else {
				snprintf(err, len, "%s: no such %s: %s", key, users ? "user" : "group",
				    sup_esc(tok, strlen(tok)));
				free(list);
				return -1;
			}
			if (users)
				o->ctl.users[(*n)++] = (uid_t)v;
			else
				o->ctl.groups[(*n)++] = (gid_t)v;
		}
		free(list);
	} else if (strcmp(key, "http") == 0) {
		if (strlen(val) >= sizeof o->http_buf)
			goto bad;
		o->http = strcpy(o->http_buf, val);	/* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked above */
	} else if (strcmp(key, "metrics-file") == 0) {
		if (val[0] == '\0')
			return snprintf(err, len, "metrics-file: an empty PATH"), -1;
		if (strlen(val) >= sizeof o->metrics_buf)
			goto bad;
		o->metrics_file = strcpy(o->metrics_buf, val);	/* NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked above */
	} else if (strcmp(key, "verbose") == 0) {
		if ((o->pool.verbose = config_bool(val)) < 0)
			return snprintf(err, len, "verbose: '%s' is not yes or no",
			    sup_esc(val, strlen(val))), -1;
	} else
		return snprintf(err, len, "unknown key '%s' in [serve]", sup_esc(key, strlen(key))), -1;
	return 0;
bad:
	snprintf(err, len, "%s: too long", key);
	return -1;
bad_keep:
	snprintf(err, len, "keep: '%s' is not a duration like 7d, 12h, 30m or never",
	    sup_esc(val, strlen(val)));
	return -1;
}

static int
serve_key(const char *key)
{
	const struct option *opt;

	for (opt = serve_options; opt->name; opt++)
		if (strcmp(opt->name, key) == 0)
			return strcmp(key, "config") != 0 && strcmp(key, "help") != 0;
	return 0;
}

static struct serve_defaults *
defaults_new(void)
{
	struct serve_defaults *d = calloc(1, sizeof *d);

	if (d)
		run_init(&d->cmd);
	return d;
}

static void
defaults_free(struct serve_defaults *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nvalues; i++)
		free(d->values[i]);
	free(d->values);
	free(d);
}

/* One key of [defaults]: a job's option, set as its flag is. */
static int
defaults_set(struct serve_defaults *d, const char *key, const char *value, char *err, size_t len)
{
	char **values, *v;

	if (serve_key(key))
		return snprintf(err, len, "%s: a setting of [serve], not of [defaults]",
		    sup_esc(key, strlen(key))), -1;
	if (strcmp(key, "no-sandbox") == 0)
		return snprintf(err, len, "no-sandbox: the service's jobs always run in the sandbox"), -1;
	switch (run_opt_kind(key)) {
	case RUN_OPT_JOB:
		break;
	case RUN_OPT_OTHER:
		return snprintf(err, len, "%s: an option of run and submit, not of a job's spec: "
		    "not one of [defaults]", sup_esc(key, strlen(key))), -1;
	default:
		return snprintf(err, len, "unknown key '%s' in [defaults]", sup_esc(key, strlen(key))), -1;
	}
	/* run_opt_set keeps the value: a copy that lives with d. */
	if ((values = realloc(d->values, (d->nvalues + 1) * sizeof *values)) == NULL)
		return snprintf(err, len, "out of memory"), -1;
	d->values = values;
	if ((v = strdup(value)) == NULL)
		return snprintf(err, len, "out of memory"), -1;
	d->values[d->nvalues++] = v;
	if (run_opt_set(&d->cmd, key, v, err, len) < 0) {
		/* The file names the key without the flag's dashes. */
		if (strncmp(err, "--", 2) == 0)
			memmove(err, err + 2, strlen(err + 2) + 1);
		return -1;
	}
	/* The service's working directory is nobody's to name. */
	if (strcmp(key, "extract") == 0 && v[0] != '/')
		return snprintf(err, len, "extract: '%s' is not an absolute path",
		    sup_esc(v, strlen(v))), -1;
	return 0;
}

/* The [defaults] as a whole: they go together as a command line's options
 * must. */
static int
defaults_check(struct serve_defaults *d, const char *path, char *err, size_t len)
{
	char why[2048];

	if (run_check(&d->cmd, why, sizeof why) == 0)
		return 0;
	snprintf(err, len, "%s: [defaults]: %s", sup_esc(path, strlen(path)), why);
	return -1;
}

static int
config_apply(void *arg, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct serve_load *ld = arg;

	if (strcmp(key, "config") == 0) {
		snprintf(err, errlen, "config: not a setting of the file itself");
		return -1;
	}
	if (strcmp(section, "defaults") == 0)
		return defaults_set(ld->d, key, value, err, errlen);
	if (run_opt_kind(key) == RUN_OPT_JOB) {
		snprintf(err, errlen, "%s: a job's option: it goes under [defaults], not [serve]",
		    sup_esc(key, strlen(key)));
		return -1;
	}
	return serve_set(ld->o, key, value, err, errlen);
}

/* Reads the file (when there is one) into o and a new d, then applies the
 * flags over o. The new [defaults] in *out, or -1 with err. */
static int
serve_load(struct serve *sv, struct serve_opts *o, struct serve_defaults **out, char *err,
    size_t len)
{
	struct serve_load ld = { o, defaults_new() };
	int i;

	if (ld.d == NULL)
		return snprintf(err, len, "out of memory"), -1;
	if (o->config && (config_load(o->config, config_apply, &ld, err, len) < 0 ||
	    defaults_check(ld.d, o->config, err, len) < 0))
		goto fail;
	for (i = 0; i < sv->nflags; i++)
		if (serve_set(o, sv->flags[i].key, sv->flags[i].val, err, len) < 0)
			goto fail;
	*out = ld.d;
	return 0;
fail:
	defaults_free(ld.d);
	return -1;
}

/* ---- the service's life ---- */

static void
status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct serve *sv = w->data;
	struct job *j;
	uint64_t done = 0, total = 0, bad = 0;
	int running = 0;

	(void)loop, (void)revents;
	for (j = sv->sup.jobs; j; j = j->next) {
		if (j->rec.state != JOB_RUNNING)
			continue;
		running++;
		done += job_done(j);
		total += j->rec.total;
		bad += job_done(j) - j->rec.count[OUT_OK];
	}
	notify_status("%d job%s running, %llu/%llu files, %llu not ok%s", running,
	    running == 1 ? "" : "s", (unsigned long long)done, (unsigned long long)total,
	    (unsigned long long)bad, sv->sup.draining ? "; stopping" : "");
}

static int
inflight(const struct sup *s)
{
	const struct job *j;
	int n = 0;

	for (j = s->jobs; j; j = j->next)
		n += j->inflight;
	return n;
}

static void
drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct serve *sv = w->data;
	int n = inflight(&sv->sup);

	(void)revents;
	if (n > 0 && ev_now(loop) < sv->drain_until)
		return;
	if (n > 0)
		log_warnx("shutdown grace over: %d file%s in children stopped, pending again", n,
		    n == 1 ? "" : "s");
	ev_timer_stop(loop, w);
	sup_stop(&sv->sup);
}

static void
term_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct serve *sv = w->data;

	(void)revents;
	if (sv->sup.draining) {
		log_warnx("%s again: stopping now", strsignal(w->signum));
		sup_stop(&sv->sup);
		return;
	}
	log_infox("%s: stopping; files in children get %.1fs, every job stays resumable",
	    strsignal(w->signum), (double)sv->o.grace_ms / 1000);
	notify_stopping();
	sv->sup.draining = 1;
	sv->drain_until = ev_now(loop) + (double)sv->o.grace_ms / 1000;
	ev_timer_set(&sv->drain, 0, DRAIN_CHECK);
	ev_timer_again(loop, &sv->drain);
}

static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct serve *sv = w->data;
	struct serve_opts o = sv->o;
	struct serve_defaults *d;
	char err[1024];

	(void)loop, (void)revents;
	notify_reloading();
	/* The lists are the file's and the flags' as they are now. */
	o.ctl.nusers = o.ctl.ngroups = 0;
	if (sv->o.config == NULL) {
		log_infox("SIGHUP: no configuration file to read");
	} else if (serve_load(sv, &o, &d, err, sizeof err) < 0) {
		log_warnx("SIGHUP: %s; the settings stay as they were", err);
	} else {
		if (o.pool.workers != sv->o.pool.workers)
			sup_resize(&sv->sup, (int)o.pool.workers);
		sv->o.ctl.nusers = o.ctl.nusers;
		memcpy(sv->o.ctl.users, o.ctl.users, sizeof o.ctl.users);
		sv->o.ctl.ngroups = o.ctl.ngroups;
		memcpy(sv->o.ctl.groups, o.ctl.groups, sizeof o.ctl.groups);
		sv->o.ctl.defaults = &d->cmd.spec;
		control_reload(&sv->sup, &sv->o.ctl);
		defaults_free(sv->defaults);
		sv->defaults = d;
		sv->o.pool.workers = o.pool.workers;
		log_infox("SIGHUP: %s read again: %u workers; [defaults] for the jobs submitted from now",
		    sv->o.config, sv->o.pool.workers);
	}
	notify_ready();
}

/* --keep: finished jobs older than it are deleted, each logged. */
struct old_jobs {
	uint64_t before;
	uint32_t ids[256];
	int n;
};

static int
old_one(const struct store_job *r, void *arg)
{
	struct old_jobs *o = arg;

	if (r->state == JOB_RUNNING || r->state == JOB_PAUSED || r->state == JOB_INTERRUPTED ||
	    r->finished_ms == 0 || r->finished_ms >= o->before)
		return 0;
	o->ids[o->n++] = r->id;
	return o->n == (int)(sizeof o->ids / sizeof o->ids[0]);
}

static void
keep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct serve *sv = w->data;
	struct old_jobs o = { 0 };
	struct store_job rec;
	struct timespec ts;
	int i;

	(void)loop, (void)revents;
	clock_gettime(CLOCK_REALTIME, &ts);
	o.before = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - sv->o.keep_ms;
	if (store_jobs_each(sv->sup.st, old_one, &o) < 0) {
		log_warnx("--keep: unable to read the jobs: %s", store_strerror(sv->sup.st));
		return;
	}
	for (i = 0; i < o.n; i++) {
		if (store_job_by_id(sv->sup.st, o.ids[i], &rec) != 0)
			continue;
		if (sup_job_delete(&sv->sup, &rec) < 0) {
			log_warnx("--keep: unable to delete job %s: %s", rec.name,
			    store_strerror(sv->sup.st));
			return;
		}
		log_infox("job %s deleted: %s %.0f s ago, past --keep", rec.name,
		    job_state_name(rec.state), (double)(o.before + sv->o.keep_ms - rec.finished_ms) / 1000);
	}
}

/* Whom children run as: --user when started as root. */
static int
serve_user(struct serve *sv, char *err, size_t len)
{
	struct passwd *pw;
	const char *name = sv->o.user ? sv->o.user : "nobody";
	struct job_opts def;

	job_opts_default(&def);
	sv->sup.child_sandbox = def.sandbox;
	if (geteuid() != 0) {
		if (sv->o.user)
			return snprintf(err, len, "--user: only a service started as root changes user"), -1;
		return 0;
	}
	if ((pw = getpwnam(name)) == NULL)
		return snprintf(err, len, "--user: no such user: %s", sup_esc(name, strlen(name))), -1;
	if (pw->pw_uid == 0)
		return snprintf(err, len, "--user: %s has uid 0; children must not run as root",
		    sup_esc(name, strlen(name))), -1;
	sv->sup.child_sandbox.drop = 1;
	sv->sup.child_sandbox.uid = (uint32_t)pw->pw_uid;
	sv->sup.child_sandbox.gid = (uint32_t)pw->pw_gid;
	return 0;
}

int
cli_serve(int argc, char **argv)
{
	static struct serve sv;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char err[9300];
	int c, n, idx, http_fd = -1;

	memset(&sv, 0, sizeof sv);
	sv.o.pool.state_dir = "/var/lib/corral";
	sv.o.pool.workers = cpus > 0 ? (uint32_t)cpus : 1;
	sv.o.pool.worker = cli_worker();
	sv.o.pool.service = 1;
	sv.o.ctl.path = "/run/corral/control.sock";
	sv.o.ctl.fd = -1;
	sv.o.ctl.mode = 0660;
	sv.o.ctl.group = (gid_t)-1;
	sv.o.grace_ms = 10000;
	sv.o.check_workers = 1;
	sv.o.keep_ms = 7 * 86400000ull;
	sv.o.check_timeout_ms = 10000;

	/* Flags are read first, kept, and applied after the file: they win. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:j:vh", serve_options, &idx)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 's': key = "state"; break;
		case 'j': key = "workers"; break;
		case 'v': key = "verbose"; optarg = "yes"; break;
		case 'c': sv.o.config = optarg; continue;
		case 'h':
			fputs(serve_usage_text(), stdout);
			return EXIT_OK;
		case ':':
			log_diex(EXIT_USAGE, "serve: option '%s' needs a value (see 'corral serve --help')",
			    cli_badopt(argv));
		case '?':
			log_diex(EXIT_USAGE, "serve: unknown option '%s' (see 'corral serve --help')",
			    cli_badopt(argv));
		default:
			key = serve_options[idx].name;
			break;
		}
		if (sv.nflags == (int)(sizeof sv.flags / sizeof sv.flags[0]))
			log_diex(EXIT_USAGE, "serve: too many options");
		sv.flags[sv.nflags].key = key;
		sv.flags[sv.nflags++].val = optarg;
	}
	if (optind != argc)
		log_diex(EXIT_USAGE, "serve: no PATH is taken: jobs come with 'corral submit'");
	if (sv.o.config == NULL && access("/etc/corral/corral.conf", F_OK) == 0)
		sv.o.config = "/etc/corral/corral.conf";
	if (serve_load(&sv, &sv.o, &sv.defaults, err, sizeof err) < 0 ||
	    (sv.o.metrics_file && metrics_file_check(sv.o.metrics_file, err, sizeof err) < 0))
		log_diex(EXIT_USAGE, "%s", err);
	sv.o.ctl.defaults = &sv.defaults->cmd.spec;

	/* The listener first: a socket-activated one must be taken or refused
	 * before anything can go wrong and leave it hanging. */
	if (notify_listen_fd(sv.o.ctl.path, &sv.o.ctl.fd, &http_fd, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	if (sup_init(&sv.sup, &sv.o.pool, err, sizeof err) < 0) {
		if (errno == EBUSY)
			log_diex(EXIT_USAGE, "%s", err);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (serve_user(&sv, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	sup_lanes(&sv.sup, (int)sv.o.check_workers);
	sv.sup.check_timeout_ms = sv.o.check_timeout_ms;
	if ((n = sup_adopt(&sv.sup, err, sizeof err)) < 0) {
		sup_free(&sv.sup);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (control_start(&sv.sup, &sv.o.ctl, err, sizeof err) < 0) {
		sup_free(&sv.sup);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (http_fd >= 0 && sv.o.http)
		log_infox("--http %s: the status page is served on the socket systemd passed instead",
		    sup_esc(sv.o.http, strlen(sv.o.http)));
	if ((sv.o.http || http_fd >= 0) &&
	    http_start(&sv.sup, http_fd >= 0 ? NULL : sv.o.http, http_fd, err, sizeof err) < 0) {
		control_stop(&sv.sup);
		sup_free(&sv.sup);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (sup_mark_service(&sv.sup, sv.o.ctl.path) < 0)
		log_warn("unable to mark %s as a service's", sup_esc(sv.o.pool.state_dir,
		    strlen(sv.o.pool.state_dir)));
	ev_signal_init(&sv.sig_term, term_cb, SIGTERM);
	ev_signal_init(&sv.sig_int, term_cb, SIGINT);
	ev_signal_init(&sv.sig_hup, hup_cb, SIGHUP);
	sv.sig_term.data = sv.sig_int.data = sv.sig_hup.data = &sv;
	ev_signal_start(sv.sup.loop, &sv.sig_term);
	ev_signal_start(sv.sup.loop, &sv.sig_int);
	ev_signal_start(sv.sup.loop, &sv.sig_hup);
	ev_init(&sv.drain, drain_cb);
	sv.drain.data = &sv;
	if (sv.o.keep_ms > 0) {
		/* Looked at twice per --keep, at most every hour. */
		double every = (double)sv.o.keep_ms / 2000;

		ev_timer_init(&sv.keep, keep_cb, 0, every < 3600 ? every : 3600);
		sv.keep.data = &sv;
		ev_timer_start(sv.sup.loop, &sv.keep);
	}
	ev_timer_init(&sv.status, status_cb, 0, STATUS_EVERY);
	sv.status.data = &sv;
	ev_timer_start(sv.sup.loop, &sv.status);
	log_infox("serving %s on %s: %u workers, %d job%s taken up",
	    sup_esc(sv.o.pool.state_dir, strlen(sv.o.pool.state_dir)),
	    sup_esc(sv.o.ctl.path, strlen(sv.o.ctl.path)), sv.o.pool.workers, n, n == 1 ? "" : "s");
	notify_watchdog_start(sv.sup.loop);
	notify_ready();
	if (sv.o.metrics_file)
		metrics_file_start(&sv.metrics, &sv.sup, sv.o.metrics_file);
	sup_run(&sv.sup);
	metrics_file_stop(&sv.metrics);

	notify_watchdog_stop(sv.sup.loop);
	ev_timer_stop(sv.sup.loop, &sv.status);
	ev_timer_stop(sv.sup.loop, &sv.drain);
	ev_timer_stop(sv.sup.loop, &sv.keep);
	ev_signal_stop(sv.sup.loop, &sv.sig_term);
	ev_signal_stop(sv.sup.loop, &sv.sig_int);
	ev_signal_stop(sv.sup.loop, &sv.sig_hup);
	http_stop();
	control_stop(&sv.sup);
	sup_unmark_service(&sv.sup);
	c = sv.sup.failed ? EXIT_USAGE : EXIT_OK;
	log_infox("stopped%s", sv.sup.failed ? " by a fault of its own (above)" : "");
	sup_free(&sv.sup);
	defaults_free(sv.defaults);
	return c;
}
