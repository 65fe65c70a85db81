#!/bin/sh
# Logs under journald: when JOURNAL_STREAM names stderr's device and inode,
# as systemd sets it for a service whose stderr is the journal, each line
# starts with its syslog priority (<6> information, <4> warning, <3> error)
# instead of "corral: ". When it names another file (a child of the
# service, whose stderr is a pipe to the supervisor, inherits it so), is
# malformed or unset, the lines keep the look they have on a terminal.
. "$(dirname "$0")/lib.sh"

LOGPRIO=$BUILD/tests/logprio

: > err.txt
stream=$(stat -c '%d:%i' err.txt)
JOURNAL_STREAM=$stream "$LOGPRIO" 2> err.txt
is "$?" 3 "an error exits with its status"
is "$(cat err.txt)" "<6>an information
<6>an information with errno: No such file or directory
<4>a warning
<4>a warning with errno: Permission denied
<3>an error: File exists" "JOURNAL_STREAM names stderr: each line starts with its priority"

plain="corral: an information
corral: an information with errno: No such file or directory
corral: a warning
corral: a warning with errno: Permission denied
corral: an error: File exists"
"$LOGPRIO" 2> err.txt
is "$(cat err.txt)" "$plain" "no JOURNAL_STREAM: 'corral: ' and no priority"

: > other.txt
JOURNAL_STREAM=$(stat -c '%d:%i' other.txt) "$LOGPRIO" 2> err.txt
is "$(cat err.txt)" "$plain" "JOURNAL_STREAM naming another file: the plain look"

for bad in "" "$stream:1" "x$stream" "${stream%%:*}" ":${stream#*:}"; do
	JOURNAL_STREAM=$bad "$LOGPRIO" 2> err.txt
	is "$(cat err.txt)" "$plain" "a malformed JOURNAL_STREAM '$bad': the plain look"
done

# The same binary a service runs: a usage error under the journal.
: > err.txt
JOURNAL_STREAM=$(stat -c '%d:%i' err.txt) "$CORRAL" run --bogus 2> err.txt
is "$(cat err.txt)" "<3>run: unknown option '--bogus' (see 'corral run --help')" \
    "corral itself: its error line carries <3>"
done_testing
