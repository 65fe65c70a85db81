/* opts: the defaults of a job's options for its children. */
#include <string.h>

#include "child/opts.h"

void
job_opts_default(struct job_opts *o)
{
	memset(o, 0, sizeof *o);
	o->limits.max_entries = LIMIT_ENTRIES;
	o->limits.max_bytes = LIMIT_BYTES;
	o->limits.max_entry_bytes = LIMIT_ENTRY_BYTES;
	o->limits.max_ratio = LIMIT_RATIO;
	o->limits.max_depth = LIMIT_DEPTH;
	o->limits.max_name = LIMIT_NAME;
	o->sandbox.enabled = 1;
	o->sandbox.memory_limit = SANDBOX_MEMORY;
}
