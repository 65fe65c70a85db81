/* config: reads corral's configuration file, which holds the same settings as
 * the command line's flags. It knows the file's shape ([serve] and [defaults]
 * sections of key = value lines) but none of the keys: each pair goes to the
 * front end's apply callback, which maps it to the code its option parser
 * runs for the flag of that name. It never prints and never exits. */
#ifndef CORRAL_CONFIG_H
#define CORRAL_CONFIG_H

#include <stddef.h>

/* Called once for each pair, in file order (a key given twice comes twice,
 * and the later wins if apply simply overwrites, as a repeated flag does).
 * section is "serve" or "defaults"; key is a long option's name without its
 * dashes ("workers", "max-entries"); value has its surrounding blanks taken
 * off and may be empty. Returns 0, or -1 with a message in err that names
 * the key ("unknown key 'wrokers' in [serve]", "timeout: 'x' is not a
 * duration"); the loader adds the path and line. */
typedef int config_apply_fn(void *arg, const char *section, const char *key, const char *value,
    char *err, size_t errlen);

/* Reads the file at path and hands every pair to apply.
 *
 * The file must be a regular file of at most 1 MiB, in UTF-8, with no NUL
 * or other control byte but tab (CRLF line ends are read as LF). A line
 * holds one [section], one key = value, a comment starting with ';' or '#',
 * or nothing; blanks before any of them are ignored (an indented line is
 * never the continuation of the one before). A value ends at " ;" (an
 * inline comment). Lines are at most CONFIG_LINE_MAX bytes, which inih's
 * fixed line buffer sets.
 *
 * Returns 0, or -1 with one line in err:
 *   "PATH: unable to open: No such file or directory" (or another errno),
 *   "PATH: not a regular file (a directory)", "PATH: larger than 1 MiB",
 *   "PATH:LINE: MESSAGE" for a syntax error, a key outside any section, an
 *   unknown section, a NUL or control byte, invalid UTF-8, a line too long,
 *   or what apply said.
 * The whole file is checked before apply is first called, so a file with a
 * syntax error or a bad byte anywhere applies nothing. An error from apply
 * stops the reading there: the pairs before it were applied, so a caller
 * that must keep its settings on error (a reload) applies into a copy. */
int config_load(const char *path, config_apply_fn *apply, void *arg, char *err, size_t errlen);

/* A flag without a value, as a config value: 1 for "yes", "true", "on" or
 * "1"; 0 for "no", "false", "off" or "0" (any case); -1 for anything else. */
int config_bool(const char *value);

/* The longest line accepted, in bytes, its line end not counted. */
#define CONFIG_LINE_MAX	197
#define CONFIG_SIZE_MAX	(1u << 20)

#endif
