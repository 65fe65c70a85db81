/* corral.h: the plugin API of corral, and nothing else.
 *
 * A plugin is a shared object that exports corral_process(). corral loads it
 * with dlopen() inside a child process and calls it once per file:
 *
 *	#include <corral.h>
 *
 *	int corral_process(int fd, const char *path, struct corral_result *out)
 *	{
 *		corral_result_set_int(out, "bytes", lseek(fd, 0, SEEK_END));
 *		return 0;
 *	}
 *
 * Build it with: cc -shared -fPIC -o myplugin.so myplugin.c
 * Run it with:   corral run -H ./myplugin.so DIR
 *
 * Caveats
 * - The child is disposable: a crash, an abort or a hang costs the file it
 *   was working on (recorded as crashed or timeout) and nothing else. That is
 *   the point; but state kept in globals between calls is lost whenever the
 *   child is replaced, and a child serves many files in a row, so leaked
 *   memory and descriptors add up until it is.
 * - fd is the only way to the file: corral opened it (read-only) before the
 *   child saw it. Do not open path; it is given for messages only, may name a
 *   file that has since been replaced, and may hold any bytes but NUL
 *   (newlines, invalid UTF-8). Do not close fd; corral does.
 * - Write nothing to stdout expecting it to be kept: the child's stdout and
 *   stderr go to corral's log, a few lines a second, cut at 256 bytes. Put
 *   what you found in the result. If the child dies on a file, its last
 *   stderr line is in the file's error and its last 2 KiB in the outcome.
 * - Keys and string values are copied at once; a result is at most 1 MiB.
 *   Setting a key twice records it twice (the last one wins when read).
 * - The helpers below are provided by the corral executable that loads the
 *   plugin; link with nothing.
 */
#ifndef CORRAL_H
#define CORRAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORRAL_API_VERSION 1

/* The result of one file: a map from keys to values, built by the helpers. */
struct corral_result;

/* The function a plugin exports.
 *	fd	in: the file, open read-only, positioned at 0
 *	path	in: its path, for messages only
 *	out	in/out: the result to fill
 * Return 0 when the file is ok, non-zero when it is not (recorded as failed;
 * give the reason with corral_result_set_error). */
int corral_process(int fd, const char *path, struct corral_result *out);

/* Each setter adds key = value to the result.
 * Returns 0, or -1 with errno: EINVAL for a NULL key or value, ENOMEM, or
 * E2BIG when the result would pass its 1 MiB bound (the pair is dropped
 * whole and the result marked truncated). */
int corral_result_set_str(struct corral_result *r, const char *key, const char *value);
int corral_result_set_bytes(struct corral_result *r, const char *key, const void *p, size_t len);
int corral_result_set_int(struct corral_result *r, const char *key, int64_t value);
int corral_result_set_uint(struct corral_result *r, const char *key, uint64_t value);
int corral_result_set_bool(struct corral_result *r, const char *key, int value);
int corral_result_set_double(struct corral_result *r, const char *key, double value);

/* Sets the outcome's error text (printf format), shown beside a failed
 * file; the last call wins. Returns 0 or -1 (ENOMEM). */
int corral_result_set_error(struct corral_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says that the file is being worked on, and how far along: call it from
 * corral_process as work goes on, as often as you like.
 *	done	in: how much is done, in units of your choosing (bytes, entries)
 *	total	in: how much there is in all, in the same units; 0 if unknown
 *	what	in: what is being worked on (a member's name, a stage), or NULL;
 *		any bytes, cut at 255 and made printable (invalid UTF-8 and
 *		control characters become '?'); copied at once
 * With --stall DUR, a file whose corral_process calls this less often than
 * once per DUR is killed as stalled (outcome timeout, limit "stall"), while
 * --timeout stays the cap on the whole file. It cannot fail and returns
 * nothing. Cheap: at most one message goes to the supervisor per 100 ms
 * (none in a file's first 100 ms), the other calls read a clock and return.
 * So a DUR under 0.2 s is refused, and a call just inside a file's first
 * 100 ms, or just after a message went, may tell the supervisor nothing.
 * Outside corral_process it does nothing. */
void corral_progress(uint64_t done, uint64_t total, const char *what);

#ifdef __cplusplus
}
#endif

#endif
