/* expand: an exec command for one file, as GNU parallel expands it. Each
 * replacement string becomes the file's value, quoted for sh so that no
 * byte of a path can end the word:
 *   {}   the path              {/}  its last component (basename)
 *   {.}  the path less its extension    {//} its directory (dirname; "." for none)
 *   {/.} the basename less its extension
 *   {#}  the file's place in its job, from 1    {%}  the child's slot, from 1
 * An extension is the last '.' of the last component and what follows, if
 * that '.' is not its first byte. A command with none of them gets the
 * quoted path appended, after a space. Used by the exec handler and by
 * run --dry-run, so both show the same command. */
#ifndef CORRAL_EXPAND_H
#define CORRAL_EXPAND_H

#include <stdint.h>

/* The command, malloc'd; NULL with errno ENOMEM. */
char *expand_command(const char *cmd, const char *path, uint64_t seq, uint32_t slot);

#endif
