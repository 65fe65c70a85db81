/* log: the one way corral speaks to its operator on stderr. Every line starts
 * with "corral: " and names the failed call and its object; the _x variants
 * leave errno out. Under systemd, when stderr is the journal's stream, each
 * line starts instead with its syslog priority ("<3>" error, "<4>" warning,
 * "<6>" information), which journald files it under and strips. Only main
 * and the loop log; library-style code returns. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdnoreturn.h>

/* Called around every log line, so a live progress display can clear itself
 * first and redraw after. */
void log_set_hooks(void (*before)(void), void (*after)(void));

/* Information: what an operator may want in the log, nothing wrong. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_infox(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error: logged, then exit(status). */
noreturn void log_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void log_diex(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* English for a count: "file%s" with plural_s(n) reads "1 file", "2 files". */
static inline const char *
plural_s(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

#endif
