/* plugin: a user's shared object exporting corral_process() against
 * include/corral.h. It is loaded once per job on each child, and calls back
 * into this executable for the corral_result_set_* helpers (corral.sym). */
#include <dlfcn.h>
#include <stdio.h>

#include "child/handler.h"

typedef int (*process_fn)(int, const char *, struct corral_result *);

static process_fn plugin_fn;

static int
plugin_setup(const char *path, const struct job_opts *o, char *err, size_t errlen)
{
	void *so;

	(void)o;
	/* RTLD_NOW: a missing symbol fails here, once, not mid-file. */
	if ((so = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	dlerror();
	*(void **)&plugin_fn = dlsym(so, "corral_process");
	if (plugin_fn == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		dlclose(so);
		return -1;
	}
	/* cppcheck-suppress resourceLeak ; so stays open for the child's life: plugin_fn is in it */
	return 0;
}

static int
plugin_process(const struct task_in *t, struct corral_result *out)
{
	size_t elen;
	int r;

	r = plugin_fn(t->fd, t->path, out);
	if (r == 0)
		return 0;
	result_error(out, &elen);
	if (elen == 0)
		corral_result_set_error(out, "plugin returned %d", r);
	return 1;
}

const struct handler handler_plugin = { "plugin", plugin_setup, plugin_process };
