/* floor: the no-isolation floor of the benchmark. It does the archive
 * handler's libarchive work (the very same function) on every file of a
 * list, in this one process: no IPC, no state, no isolation. Run two of
 * them on a static split to use two cores.
 *
 *	floor LIST K N	  the files of LIST (NUL-separated) whose index % N == K
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child/handler.h"

int
main(int argc, char **argv)
{
	struct corral_result *res = result_new();
	char *path = NULL;
	size_t cap = 0;
	long k, n, i = 0, ok = 0, bad = 0;
	FILE *list;

	if (argc != 4 || (list = fopen(argv[1], "r")) == NULL || res == NULL) {
		fprintf(stderr, "usage: floor LIST K N\n");
		return 2;
	}
	k = atol(argv[2]);
	n = atol(argv[3]);
	while (getdelim(&path, &cap, '\0', list) > 0) {
		int fd;

		if (i++ % n != k)
			continue;
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			bad++;
			continue;
		}
		result_reset(res);
		if (handler_archive.process(&(struct task_in){ .fd = fd, .dirfd = -1, .path = path }, res) == 0)
			ok++;
		else
			bad++;
		close(fd);
	}
	printf("%ld ok %ld not ok\n", ok, bad);
	free(path);
	fclose(list);
	result_free(res);
	return 0;
}
