#!/bin/sh
# Options are taken anywhere among the operands, as GNU tools take them, by
# every command; "--" ends them, so a file named like an option can still be
# given. A refused option is named as it was written (a letter inside a
# cluster, a long one without its value), in one line, exit 2. --stats to a
# path that cannot be written is refused before the job starts.
. "$(dirname "$0")/lib.sh"
unset POSIXLY_CORRECT

mkdir d
echo x > d/a
echo y > ./-q

# run: options after the first PATH.
out=$("$CORRAL" run -s st d -q -H sha256 --json 2> err.txt); rc=$?
is "$rc" 0 "run PATH -q -H sha256 --json: exit 0"
is "$(echo "$out" | jq -r '.path + " " + .status')" "d/a ok" "options after PATH are options, not paths"
is "$(grep -c 'No such file' err.txt)" 0 "no option is taken for a path"
is "$("$CORRAL" jobs -s st --json | jq -r .handler)" sha256 \
	"-H after PATH set the handler"

# "--" ends the options: a file named -q, and an option word after it, are paths.
out=$("$CORRAL" run -s st2 -H sha256 --json -- -q 2>/dev/null); rc=$?
is "$rc" 0 "run -- -q: exit 0"
is "$(echo "$out" | jq -r .path)" "-q" "a file named -q after --: processed"
out=$("$CORRAL" run -q -s st3 -H sha256 -- d --json 2>&1 > /dev/null); rc=$?
is "$rc" 2 "an option word after --: a path, exit 2"
is "$out" "corral: --json: No such file or directory" "an option word after --: named as a missing path"

# -x CMD: a value that looks like options stays the command's.
out=$("$CORRAL" run -s st4 d -x 'cat -- {}' --json -q 2>/dev/null); rc=$?
is "$rc" 0 "run PATH -x 'cat -- {}': exit 0"
is "$(printf "%s\n" "$out" | jq -r .status)" ok "the value of -x is the command, options around it still read"

# status, results, jobs: options anywhere, "--" before a JOB named like an option.
name=$("$CORRAL" jobs -s st2 --json | jq -r .job)
like "$("$CORRAL" status -- "$name" -s st2 2>&1)" "^corral: status: one JOB at most" \
	"status: after --, -s is a second JOB, not an option"
is "$("$CORRAL" status -s st2 -- "$name" | awk '$1=="state"{print $2}')" done "status -s DIR -- -JOB: the job"
is "$("$CORRAL" results d-bogus-name -s st --json 2>&1)" "corral: no job named d-bogus-name" \
	"results JOB -s DIR: -s read after the JOB"
is "$("$CORRAL" results -s st --failed --json | wc -l)" 0 "results: --failed and --json in any order"
is "$("$CORRAL" jobs --json -s st | jq -r .state)" done "jobs --json -s DIR"

# A refused option: one line naming it as written, exit 2.
check() {	# check WANT ARGS...: exit 2 and the one line WANT
	want=$1
	shift
	out=$("$CORRAL" "$@" 2>&1 < /dev/null); rc=$?
	is "$rc" 2 "bad option '$*': exit 2"
	is "$out" "$want" "bad option '$*': named in one line"
}
check "corral: run: unknown option '-Z' (see 'corral run --help')" run -Zq d
check "corral: run: unknown option '-Z' (see 'corral run --help')" run d --json -qZ
check "corral: run: unknown option '--bogus' (see 'corral run --help')" run d --bogus=secret
check "corral: run: option '--extract' needs a value (see 'corral run --help')" run d --extract
check "corral: run: option '-x' needs a value (see 'corral run --help')" run d -x
check "corral: run: unknown option '--socket' (see 'corral run --help')" run --socket x d
check "corral: status: unknown option '--bogus' (usage: corral status [-s DIR] [JOB] [--json] [--utc] [--changed] | status --merge DIR... [--job NAME] [--json])" status --bogus
check "corral: status: option '-s' needs a value (usage: corral status [-s DIR] [JOB] [--json] [--utc] [--changed] | status --merge DIR... [--job NAME] [--json])" status -s
check "corral: status: unknown option '--failed' (usage: corral status [-s DIR] [JOB] [--json] [--utc] [--changed] | status --merge DIR... [--job NAME] [--json])" status --failed
check "corral: results: one JOB at most (usage: corral results [-s DIR] [JOB] [--json|--csv|--format FMT] [--failed|--quarantined|--status LIST] | results [-s DIR] [JOB] --signatures [--json] | results --merge DIR... [--job NAME] [--json] [--failed])" results a b
check "corral: pause: option '-s' needs a value (see 'corral --help')" pause x -s
check "corral: pause: unknown option '-Z' (see 'corral --help')" pause x -Z
check "corral: serve: unknown option '--bogus' (see 'corral serve --help')" serve --bogus
check "corral: submit: unknown option '-Z' (see 'corral submit --help')" submit d -Z

# --stats: a path that cannot be written is refused before the job starts.
if [ "$(id -u)" -eq 0 ]; then
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	asuser() { "$@"; }
fi
mkdir ro && chmod 555 ro
chmod 777 .
out=$(asuser "$CORRAL" run -q -s "$T/st5" -H sha256 --json --stats "$T/ro/s.json" "$T/d" 2>&1); rc=$?
is "$rc" 2 "--stats in an unwritable directory: exit 2"
is "$out" "corral: unable to write --stats $T/ro/s.json: Permission denied" \
	"--stats in an unwritable directory: one line, before any outcome"
is "$(ls st5 2>/dev/null | wc -l)" 0 "--stats refused: no state was made, no job ran"
out=$("$CORRAL" run -q -s st5 -H sha256 --stats d d 2>&1); rc=$?
is "$rc" 2 "--stats naming a directory: exit 2"
is "$out" "corral: unable to write --stats d: Is a directory" "--stats naming a directory: named"
out=$("$CORRAL" run -q -s st5 -H sha256 --stats nodir/s.json d 2>&1); rc=$?
is "$rc" 2 "--stats in a missing directory: exit 2"
is "$out" "corral: unable to write --stats nodir/s.json: No such file or directory" \
	"--stats in a missing directory: named"
mkfifo fifo
out=$(timeout 10 "$CORRAL" run -q -s st5 -H sha256 --stats fifo d 2>&1); rc=$?
is "$rc" 2 "--stats to a FIFO nobody reads: exit 2, no hang"
is "$out" "corral: unable to write --stats fifo: a FIFO that nobody reads" "--stats to a FIFO: named"
out=$("$CORRAL" run -q -s st5 -H sha256 --stats made.json nosuch 2>&1); rc=$?
is "$rc" 2 "--stats with a run refused at set-up: exit 2"
is "$(ls made.json 2>/dev/null)" "" "--stats: the file made for a run that never started is removed"
echo old > s.json
"$CORRAL" run -q -s st6 -H sha256 --stats s.json d 2>/dev/null
is "$(jq -r .files s.json)" 1 "--stats to an existing file: replaced by the figures"
done_testing
