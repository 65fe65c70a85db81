/* stats_file: the file `corral run --stats FILE` writes the run's own
 * figures to (supervisor/stats.c's JSON): opened before the job starts,
 * written at its end, removed when the run never started. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "cli/cli.h"
#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/stats.h"
#include "supervisor/sup.h"

/* --stats FILE, opened before the job starts so that a path it cannot
 * write is found at once, not after the whole job ran; an existing file
 * keeps its contents until the figures replace them. Not blocking on a
 * FIFO nobody reads. The descriptor, or exits (2) naming the path. */
int
stats_open(const char *path, int *created)
{
	int fd, fl;

	*created = 0;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
		*created = fd >= 0;
	}
	if (fd < 0 && errno == ENXIO)
		log_diex(EXIT_USAGE, "unable to write --stats %s: a FIFO that nobody reads",
		    sup_esc(path, strlen(path)));
	if (fd < 0)
		log_die(EXIT_USAGE, "unable to write --stats %s", sup_esc(path, strlen(path)));
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

void
write_stats(struct sup *s, int fd, const char *path, uint64_t done)
{
	struct stat sb;
	FILE *f;

	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && ftruncate(fd, 0) < 0) {
		log_warn("unable to write --stats %s", sup_esc(path, strlen(path)));
		close(fd);
		return;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		log_warn("unable to write --stats %s", sup_esc(path, strlen(path)));
		close(fd);
		return;
	}
	stats_write(f, &s->stats, ev_time() - s->started, done);
	if (fclose(f) == EOF)
		log_warn("unable to write --stats %s", sup_esc(path, strlen(path)));
}

/* A run that never started leaves no --stats file it made. errno is
 * kept: the caller still reads it. */
void
stats_drop(int fd, const char *path, int created)
{
	int e = errno;

	if (fd < 0)
		return;
	close(fd);
	if (created)
		unlink(path);
	errno = e;
}
