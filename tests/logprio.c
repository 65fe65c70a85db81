/* logprio: one line of each kind through common/log.c, for
 * tests/44-log-journal.t: information and a warning, each with and without
 * errno, then an error that exits with status 3. */
#include <errno.h>

#include "common/log.h"

int
main(void)
{
	log_infox("an information");
	errno = ENOENT;
	log_info("an information with errno");
	log_warnx("a warning");
	errno = EACCES;
	log_warn("a warning with errno");
	errno = EEXIST;
	log_die(3, "an error");
}
