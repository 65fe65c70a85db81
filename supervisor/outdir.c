/* outdir: where --extract puts each file's contents, DIR/JOB/PATH/, made
 * by the supervisor and handed to the child as a descriptor: the child
 * never names a path. Every step is relative to a descriptor and never
 * follows a symbolic link, so nothing in DIR that a link points elsewhere
 * is ever used. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>

#include "supervisor/outdir.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* The directory name beneath at, made if missing. -1 with errno. */
static int
subdir(int at, const char *name)
{
	int fd;

	if ((fd = openat(at, name, DIR_FLAGS)) >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(at, name, DIR_FLAGS);
}

int
outdir_open(const char *dir, const char *job, char *why, size_t len)
{
	int top, fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, len, "unable to make --extract directory: %s", strerror(errno));
		return -1;
	}
	if ((top = open(dir, DIR_FLAGS)) < 0) {
		snprintf(why, len, "unable to open --extract directory: %s", strerror(errno));
		return -1;
	}
	fd = subdir(top, job);
	if (fd < 0)
		snprintf(why, len, "unable to make the job's directory under --extract: %s",
		    strerror(errno));
	close(top);
	return fd;
}

/* Component i of path as a name beneath the job's directory: "." and empty
 * ones are skipped (NULL), ".." becomes "..." so no step climbs. */
static const char *
component(const char *c, size_t n, char *buf, size_t cap)
{
	if (n == 0 || (n == 1 && c[0] == '.'))
		return NULL;
	if (n == 2 && c[0] == '.' && c[1] == '.')
		return "...";
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Removes everything beneath fd (which stays open). 0 or -1. */
static int
clear(int fd)
{
	struct dirent *de;
	DIR *d;
	int dup_fd, sub, r = 0;

	if ((dup_fd = dup(fd)) < 0)
		return -1;
	if ((d = fdopendir(dup_fd)) == NULL) {
		close(dup_fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = -1;
			continue;
		}
		if ((sub = openat(fd, de->d_name, DIR_FLAGS)) < 0) {
			r = -1;
			continue;
		}
		if (clear(sub) < 0)
			r = -1;
		close(sub);
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

/* Walks path's components beneath jobfd, making them when make is set, up
 * to the last one, whose name is left in last. Returns the descriptor of
 * its parent (close it), or -1 with errno. */
static int
walk(int jobfd, const char *path, size_t plen, int make, char last[NAME_MAX + 1])
{
	char name[NAME_MAX + 1];
	const char *p = path, *end = path + plen, *slash, *c;
	int at, fd;

	last[0] = '\0';
	if (memchr(path, '\0', plen) != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((at = dup(jobfd)) < 0)
		return -1;
	while (p < end) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		c = component(p, (size_t)(slash - p), name, sizeof name);
		p = slash + (slash < end);
		if (c == NULL)
			continue;
		if (last[0] != '\0') {
			fd = make ? subdir(at, last) : openat(at, last, DIR_FLAGS);
			close(at);
			if (fd < 0)
				return -1;
			at = fd;
		}
		snprintf(last, NAME_MAX + 1, "%s", c);
	}
	if (last[0] == '\0') {
		close(at);
		errno = EINVAL;
		return -1;
	}
	return at;
}

/* Whether the directory fd holds anything. */
static int
is_empty(int fd)
{
	struct dirent *de;
	DIR *d;
	int dfd, empty = 1;

	if ((dfd = dup(fd)) < 0)
		return 0;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

int
outdir_task(int jobfd, const char *path, size_t plen, uid_t uid, gid_t gid, char *why, size_t len)
{
	char last[NAME_MAX + 1];
	int parent, fd = -1;

	if ((parent = walk(jobfd, path, plen, 1, last)) >= 0) {
		fd = subdir(parent, last);
		close(parent);
	}
	/* Left over from an attempt that died, or from a run killed
	 * mid-way: the child starts from an empty directory. */
	if (fd >= 0 && !is_empty(fd) && clear(fd) < 0) {
		close(fd);
		fd = -1;
	}
	/* A child that runs as another user writes there as that user. */
	if (fd >= 0 && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(why, len, "unable to make its --extract directory: %s", strerror(errno));
	return fd;
}

void
outdir_prune(int jobfd, const char *path, size_t plen)
{
	char last[NAME_MAX + 1];
	int parent;

	/* Only an empty directory goes. */
	if ((parent = walk(jobfd, path, plen, 0, last)) >= 0) {
		unlinkat(parent, last, AT_REMOVEDIR);
		close(parent);
	}
}

int
outdir_extracted(const uint8_t *result, size_t len)
{
	static const char key[] = "extracted";
	msgpack_unpacked u;
	size_t off = 0;
	uint32_t i;
	int yes = 0;

	if (result == NULL || len == 0)
		return 0;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)result, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP)
		for (i = 0; i < u.data.via.map.size; i++) {
			const msgpack_object *k = &u.data.via.map.ptr[i].key;
			const msgpack_object *v = &u.data.via.map.ptr[i].val;

			if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == sizeof key - 1 &&
			    memcmp(k->via.str.ptr, key, sizeof key - 1) == 0)
				yes = v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
		}
	msgpack_unpacked_destroy(&u);
	return yes;
}
