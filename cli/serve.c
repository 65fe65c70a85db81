/* serve: `corral serve` — the pool as a service. Owns a state directory,
 * takes up every job a previous owner left unfinished, serves the control
 * socket, tells systemd how it is (sd_notify), and stops on SIGTERM by
 * letting the files in children finish within --shutdown-grace. SIGHUP
 * re-reads the configuration file. The settings are the flags' and the
 * configuration file's, with the same names; flags win. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "common/log.h"
#include "common/parse.h"
#include "supervisor/control.h"
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
	char state_buf[PATH_MAX], socket_buf[PATH_MAX], user_buf[256];
};

struct serve {
	struct sup sup;
	struct serve_opts o;
	ev_signal sig_term, sig_int, sig_hup;
	ev_timer status, drain;
	ev_tstamp drain_until;
};

static const char *
serve_usage_text(void)
{
	return
"usage: corral serve [OPTIONS]            run jobs for clients of a control socket\n"
"  -s, --state DIR          state directory (default /var/lib/corral)\n"
"      --socket PATH        control socket (default /run/corral/control.sock)\n"
"  -j, --workers N          child processes shared by every job (default: CPUs)\n"
"      --config FILE        settings, the flags' names without dashes under\n"
"                           [serve] (default /etc/corral/corral.conf if present)\n"
"      --user NAME          started as root, children run as NAME (default nobody)\n"
"      --shutdown-grace DUR  SIGTERM: files in children get this long (default 10s)\n"
"      --socket-mode MODE   of the socket it binds, octal (default 0660)\n"
"      --socket-group NAME  ... and its group\n"
"      --allow-users LIST   users (names or uids, comma-separated) who may talk\n"
"      --allow-groups LIST  ... and groups; root and the service's user always may\n"
"  -v, --verbose            log every worker start\n"
"\n"
"Who may talk: root, the service's own user, and --allow-users/--allow-groups\n"
"(by SO_PEERCRED), once the socket's mode and group let them connect. Jobs a\n"
"previous owner left unfinished are taken up (a paused one stays paused).\n"
"SIGTERM or SIGINT: no new files; those in children get --shutdown-grace, the\n"
"rest are pending again, and every job stays resumable (a second signal: at\n"
"once). SIGHUP: the config file again (workers, allow-users, allow-groups).\n"
"\n"
"clients (--socket PATH or CORRAL_SOCKET names the socket; see 'corral --help'):\n"
"  corral submit [--wait] [--json] [OPTIONS] PATH...\n"
"  corral jobs [--json] | workers [--json]\n"
"  corral status [--json] JOB | results [--json] [--failed] JOB\n"
"  corral watch [--json] JOB\n"
"  corral pause JOB | resume JOB | cancel JOB | delete JOB | retry JOB\n"
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

	if (strcmp(key, "state") == 0)
		o->pool.state_dir = strcpy(o->state_buf, val);
	else if (strcmp(key, "socket") == 0) {
		if (strlen(val) >= sizeof o->socket_buf)
			goto bad;
		o->ctl.path = strcpy(o->socket_buf, val);
	} else if (strcmp(key, "workers") == 0) {
		if (parse_uint(val, 1, 1024, &v) < 0)
			return snprintf(err, len, "workers: '%s' is not a whole number from 1 to 1024",
			    sup_esc(val, strlen(val))), -1;
		o->pool.workers = (uint32_t)v;
	} else if (strcmp(key, "user") == 0) {
		if (strlen(val) >= sizeof o->user_buf)
			goto bad;
		o->user = strcpy(o->user_buf, val);
	} else if (strcmp(key, "shutdown-grace") == 0) {
		if (parse_duration_ms(val, &o->grace_ms) < 0)
			return snprintf(err, len, "shutdown-grace: '%s' is not a duration like 10s",
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
	} else if (strcmp(key, "verbose") == 0) {
		if ((o->pool.verbose = config_bool(val)) < 0)
			return snprintf(err, len, "verbose: '%s' is not yes or no",
			    sup_esc(val, strlen(val))), -1;
	} else
		return snprintf(err, len, "unknown setting '%s'", sup_esc(key, strlen(key))), -1;
	return 0;
bad:
	snprintf(err, len, "%s: too long", key);
	return -1;
}

static int
config_apply(void *arg, const char *section, const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(section, "serve") != 0) {
		snprintf(err, errlen, "[%s] is not read by corral serve", section);
		return -1;
	}
	if (strcmp(key, "config") == 0) {
		snprintf(err, errlen, "config: not a setting of the file itself");
		return -1;
	}
	return serve_set(arg, key, value, err, errlen);
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
	char err[1024];

	(void)loop, (void)revents;
	notify_reloading();
	if (sv->o.config == NULL) {
		log_infox("SIGHUP: no configuration file to read");
	} else if (config_load(sv->o.config, config_apply, &o, err, sizeof err) < 0) {
		log_warnx("SIGHUP: %s; the settings stay as they were", err);
	} else {
		if (o.pool.workers != sv->o.pool.workers)
			sup_resize(&sv->sup, (int)o.pool.workers);
		sv->o.ctl.nusers = o.ctl.nusers;
		memcpy(sv->o.ctl.users, o.ctl.users, sizeof o.ctl.users);
		sv->o.ctl.ngroups = o.ctl.ngroups;
		memcpy(sv->o.ctl.groups, o.ctl.groups, sizeof o.ctl.groups);
		control_reload(&sv->sup, &sv->o.ctl);
		sv->o.pool.workers = o.pool.workers;
		log_infox("SIGHUP: %s read again: %u workers", sv->o.config, sv->o.pool.workers);
	}
	notify_ready();
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
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "workers", required_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "shutdown-grace", required_argument, NULL, 'g' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "allow-users", required_argument, NULL, 'U' },
		{ "allow-groups", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct serve sv;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *worker = getenv("CORRAL_WORKER");
	char err[9300];
	int c, i, n, idx;
	struct {
		const char *key, *val;
	} given[64];
	int ngiven = 0;

	memset(&sv, 0, sizeof sv);
	sv.o.pool.state_dir = "/var/lib/corral";
	sv.o.pool.workers = cpus > 0 ? (uint32_t)cpus : 1;
	sv.o.pool.worker = worker && worker[0] ? worker : "/proc/self/exe";
	sv.o.ctl.path = "/run/corral/control.sock";
	sv.o.ctl.fd = -1;
	sv.o.ctl.mode = 0660;
	sv.o.ctl.group = (gid_t)-1;
	sv.o.grace_ms = 10000;

	/* Flags are read first, kept, and applied after the file: they win. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:j:vh", longopts, &idx)) != -1) {
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
			    sup_esc(argv[optind - 1], strlen(argv[optind - 1])));
		case '?':
			log_diex(EXIT_USAGE, "serve: unknown option '%s' (see 'corral serve --help')",
			    sup_esc(argv[optind - 1], strlen(argv[optind - 1])));
		default:
			key = longopts[idx].name;
			break;
		}
		if (ngiven == (int)(sizeof given / sizeof given[0]))
			log_diex(EXIT_USAGE, "serve: too many options");
		given[ngiven].key = key;
		given[ngiven++].val = optarg;
	}
	if (optind != argc)
		log_diex(EXIT_USAGE, "serve: no PATH is taken: jobs come with 'corral submit'");
	if (sv.o.config == NULL && access("/etc/corral/corral.conf", F_OK) == 0)
		sv.o.config = "/etc/corral/corral.conf";
	if (sv.o.config && config_load(sv.o.config, config_apply, &sv.o, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	for (i = 0; i < ngiven; i++)
		if (serve_set(&sv.o, given[i].key, given[i].val, err, sizeof err) < 0)
			log_diex(EXIT_USAGE, "%s", err);

	/* The listener first: a socket-activated one must be taken or refused
	 * before anything can go wrong and leave it hanging. */
	if (notify_listen_fd(sv.o.ctl.path, &sv.o.ctl.fd, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	if (sup_init(&sv.sup, &sv.o.pool, err, sizeof err) < 0) {
		if (errno == EBUSY)
			log_diex(EXIT_USAGE, "%s", err);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (serve_user(&sv, err, sizeof err) < 0)
		log_diex(EXIT_USAGE, "%s", err);
	if ((n = sup_adopt(&sv.sup, err, sizeof err)) < 0) {
		sup_free(&sv.sup);
		log_diex(EXIT_USAGE, "%s", err);
	}
	if (control_start(&sv.sup, &sv.o.ctl, err, sizeof err) < 0) {
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
	ev_timer_init(&sv.status, status_cb, 0, STATUS_EVERY);
	sv.status.data = &sv;
	ev_timer_start(sv.sup.loop, &sv.status);
	log_infox("serving %s on %s: %u workers, %d job%s taken up",
	    sup_esc(sv.o.pool.state_dir, strlen(sv.o.pool.state_dir)),
	    sup_esc(sv.o.ctl.path, strlen(sv.o.ctl.path)), sv.o.pool.workers, n, n == 1 ? "" : "s");
	notify_watchdog_start(sv.sup.loop);
	notify_ready();
	sup_run(&sv.sup);

	notify_watchdog_stop(sv.sup.loop);
	ev_timer_stop(sv.sup.loop, &sv.status);
	ev_timer_stop(sv.sup.loop, &sv.drain);
	ev_signal_stop(sv.sup.loop, &sv.sig_term);
	ev_signal_stop(sv.sup.loop, &sv.sig_int);
	ev_signal_stop(sv.sup.loop, &sv.sig_hup);
	control_stop(&sv.sup);
	sup_unmark_service(&sv.sup);
	c = sv.sup.failed ? EXIT_USAGE : EXIT_OK;
	log_infox("stopped%s", sv.sup.failed ? " by a fault of its own (above)" : "");
	sup_free(&sv.sup);
	return c;
}
