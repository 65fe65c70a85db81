/* plugin: a user's shared object exporting corral_process(). */
#include <dlfcn.h>
#include <stdio.h>

#include "child/handler.h"

typedef int (*process_fn)(int, const char *, struct corral_result *);

static process_fn plugin_fn;

static int
plugin_setup(const char *path, char *err, size_t errlen)
{
	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (so == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	*(void **)&plugin_fn = dlsym(so, "corral_process");
	if (plugin_fn == NULL) {
		snprintf(err, errlen, "%s: no corral_process", path);
		return -1;
	}
	return 0;
}

static int
plugin_process(int fd, const char *path, struct corral_result *out)
{
	size_t elen;
	int r = plugin_fn(fd, path, out);

	if (r != 0 && (result_error(out, &elen), elen == 0))
		corral_result_set_error(out, "plugin returned %d", r);
	return r != 0;
}

const struct handler handler_plugin = { "plugin", plugin_setup, plugin_process };
