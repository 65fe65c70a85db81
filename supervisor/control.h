/* control: the control socket of `corral serve`. Accepts clients on a Unix
 * stream socket, checks who they are (SO_PEERCRED against the allowed users
 * and groups), reads their requests (ipc/ctl.h) and answers them from the
 * pool: submit, jobs, status, results (streamed as the client reads),
 * pause, resume, cancel, delete, retry, workers, and watching a job's
 * progress. Every client is untrusted: requests are bounded and checked, a
 * malformed one is answered with an error, and a client that stalls never
 * holds the loop. docs/protocol.md, "Control socket", is the wire. */
#ifndef CORRAL_CONTROL_H
#define CORRAL_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

struct job_spec;
struct sup;

#define CONTROL_USERS_MAX	64

struct control_opts {
	const char *path;		/* the socket's path */
	int fd;				/* a listening socket systemd passed, or -1 */
	mode_t mode;			/* of a socket we bind: 0660 */
	gid_t group;			/* ... and its group, or -1 */
	uid_t users[CONTROL_USERS_MAX];	/* who may talk besides root and us */
	int nusers;
	gid_t groups[CONTROL_USERS_MAX];	/* ... and members of these */
	int ngroups;
	/* What a SUBMIT leaves out comes from here (the [defaults] of the
	 * configuration file); NULL: a SUBMIT gives every option. Kept, not
	 * copied: it lives until the next control_reload or control_stop. */
	const struct job_spec *defaults;
};

/* Listens (binding the path, or taking opts->fd). 0, or -1 with one line
 * in err (the path is in use by a live daemon, cannot be bound...). */
int control_start(struct sup *s, const struct control_opts *opts, char *err, size_t errlen);
/* Closes every client and the listener, and unlinks a path it bound. */
void control_stop(struct sup *s);
/* Takes the allowed users and groups of o (a reload), for new clients,
 * and its defaults, for jobs submitted from now on. */
void control_reload(struct sup *s, const struct control_opts *o);
/* Clients now connected. */
int control_clients(const struct sup *s);

#endif
