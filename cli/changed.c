/* `corral status --changed`: the files of a job whose size or mtime is no
 * longer what it was when their outcome was recorded, or that are gone.
 * Reads the state directory read-only, and lstat's each file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "supervisor/json.h"
#include "supervisor/recheck.h"
#include "cli/cli.h"
#include "cli/report.h"

struct changed_ctx {
	const struct store_job *j;
	const char *prefix;		/* "DIR/" relative paths are under, or NULL */
	int json;
};

static int
changed_one(uint64_t seq, const char *path, size_t plen, const struct store_outcome *o, void *arg)
{
	const struct changed_ctx *c = arg;
	enum recheck_change ch;

	if (o == NULL || (ch = recheck_compare(o, path, plen, c->prefix)) <= RECHECK_SAME)
		return 0;
	if (c->json) {
		fputs("{\"job\":", stdout);
		json_str(stdout, c->j->name, strlen(c->j->name));
		printf(",\"seq\":%llu,", (unsigned long long)seq);
		json_path(stdout, "path", path, plen);
		printf(",\"status\":\"%s\",\"change\":\"%s\"}\n", outcome_name(o->status),
		    recheck_word(ch));
	} else {
		text_escaped(stdout, path, plen);
		putchar('\n');
	}
	return ferror(stdout) ? 1 : 0;
}

int
report_changed(store *st, const struct store_job *j, int json)
{
	struct store_inputs in;
	struct changed_ctx c = { .j = j, .json = json };
	char *prefix = NULL;
	int r;

	/* Relative paths are under the directory they were named from. */
	if ((r = store_inputs_get(st, j->id, &in)) < 0)
		log_diex(EXIT_USAGE, "unable to read job %s: %s", j->name, store_strerror(st));
	if (r == 0) {
		if (in.cwd[0] != '\0' && asprintf(&prefix, "%s/", in.cwd) < 0)
			log_diex(EXIT_USAGE, "out of memory");
		store_inputs_free(&in);
	}
	c.prefix = prefix;
	if (store_results_each(st, j->id, changed_one, &c) < 0)
		log_diex(EXIT_USAGE, "unable to read results: %s", store_strerror(st));
	free(prefix);
	return 0;
}
