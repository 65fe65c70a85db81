#!/bin/bash
# corral replay FILE: a recorded file runs again through its job's handler,
# spec and walls, in the foreground. A file that crashed a child crashes
# the replay the same way, with the child's stderr on replay's stderr; a
# good file and hostile archives give the result and verdict recorded; the
# job's timeout holds; the sandbox holds (a ptrace is refused as in the
# run); --extract writes into a fresh directory, not the job's; the state
# directory is left exactly as it was. --gdb runs the worker under gdb,
# left dumpable, so a batch backtrace names the crashing function. Bad
# arguments get one line and exit 2.
. "$(dirname "$0")/lib.sh"

REPLAYEE=$BUILD/tests/plugins/replayee.so
ESCAPE=$BUILD/tests/plugins/escape.so

mkdir in arch esc
echo hello > in/good
echo x > in/crash-me
echo hang > in/hang
echo y > in/fifo-later
"$CORRAL" run -q -j 1 -r 0 -s st --job plug -H "$REPLAYEE" --json in/good in/crash-me \
	in/fifo-later > plug.jsonl 2> plug.err
is "$?" 1 "the plugin's job: exit 1 (a file crashed)"
is "$(jq -r 'select(.path=="in/crash-me") | "\(.status) \(.signal)"' plug.jsonl)" "crashed 11" \
	"in/crash-me is recorded crashed by SIGSEGV"

# A crashed file crashes again, said as results says it, its stderr shown.
"$CORRAL" replay -s st in/crash-me > out.txt 2> err.txt
is "$?" 1 "replay of the crashed file: exit 1"
like "$(cat out.txt)" '^crashed +1 +[0-9]+ms  in/crash-me  killed by signal 11 \(SIGSEGV\)$' \
	"it says crashed, killed by signal 11 (SIGSEGV)"
like "$(cat err.txt)" '^replayee: looking at in/crash-me$' "the child's stderr is on replay's stderr"
like "$(cat err.txt)" '^corral: replay: recorded: crashed ' "the recorded outcome is shown beside it"
is "$("$CORRAL" replay -s st --json in/crash-me 2>/dev/null | jq -r '"\(.status) \(.signal) \(.job) \(.seq)"')" \
	"crashed 11 plug 2" "--json: status, signal, job and seq as results gives them"

# A good file: ok, with the result map recorded, by any name of its path.
"$CORRAL" replay -s st --json in/good > good.json 2> good.err
is "$?" 0 "replay of a good file: exit 0"
is "$(jq -c .result good.json)" "$(jq -c 'select(.path=="in/good") | .result' plug.jsonl)" \
	"the same result map as recorded"
is "$("$CORRAL" replay -s st "$T/in/./good" 2>/dev/null | head -1 | cut -c1-7)" "ok     " \
	"the file named by an absolute path"
is "$(cd in && "$CORRAL" replay -s ../st ../in/../in/good 2>/dev/null | sed -n 2p)" "verdict: fine" \
	"... and relatively from elsewhere; the verdict is on its own line"

# The archive handler on hostile archives: the verdict and reasons recorded.
"$BUILD/tests/mkhostile" corpus > /dev/null
cp corpus/bomb.zip corpus/trav.zip corpus/clean.zip arch/
"$CORRAL" run -q -j 1 -s st --job arch --json arch > arch.jsonl 2> arch.err
for f in bomb.zip trav.zip clean.zip; do
	want=$(jq -c --arg p "arch/$f" 'select(.path==$p) | [.status, .result.verdict, [.result.reasons[]?.code]]' arch.jsonl)
	got=$("$CORRAL" replay -s st --json "arch/$f" 2>/dev/null |
		jq -c '[.status, .result.verdict, [.result.reasons[]?.code]]')
	is "$got" "$want" "$f: replayed with the verdict and reasons recorded ($want)"
done

# --extract: a fresh directory of its own, said so; the job's is untouched.
"$CORRAL" run -q -j 1 -s st --job unpack --extract ex arch/clean.zip > /dev/null 2>&1
find ex | sort > ex.before
"$CORRAL" replay -s st --job unpack --json arch/clean.zip > unpack.json 2> unpack.err
is "$?" 0 "replay of an extracting job: exit 0"
tmpdir=$(sed -n 's/^corral: replay: extracting into \(.*\)\/, not into the job.s .*/\1/p' unpack.err)
ok "$([ -n "$tmpdir" ] && [ -d "$tmpdir/unpack/arch/clean.zip" ]; echo $?)" \
	"it extracts into a fresh directory and says so ($tmpdir)"
is "$(find ex | sort)" "$(cat ex.before)" "the job's own extraction directory is untouched"
[ -n "$tmpdir" ] && rm -rf "$tmpdir"

# The job's timeout holds.
"$CORRAL" run -q -j 1 -r 0 -s st --job slow -t 1s -H "$PLUGIN" in/hang > /dev/null 2>&1
"$CORRAL" replay -s st in/hang > hang.txt 2>/dev/null
is "$?" 1 "a file that hangs: exit 1"
like "$(cat hang.txt)" '^timeout .*in/hang  timeout after 1s  limit=total$' "... timeout after the job's 1s"

# The sandbox holds in a replay: a ptrace is refused as in the run.
echo traceme > esc/traceme
"$CORRAL" run -q -j 1 -r 0 -s st --job escape -H "$ESCAPE" esc > /dev/null 2>&1
like "$("$CORRAL" replay -s st esc/traceme 2>/dev/null)" '^crashed .*esc/traceme  sandbox: ptrace$' \
	"a plugin's ptrace: crashed, sandbox: ptrace, as in the run"

# Two jobs with the file: the newest, said so; --job picks another.
"$CORRAL" run -q -s st --job second -H sha256 in/good > /dev/null 2>&1
"$CORRAL" replay -s st --json in/good > two.json 2> two.err
like "$(cat two.err)" 'in/good is a file of 2 jobs: replaying it as the newest, second, has it' \
	"a file of two jobs: the newest is replayed, and it says so"
is "$(jq -r '.job + " " + (.result | has("sha256") | tostring)' two.json)" "second true" "... the sha256 job's"
is "$("$CORRAL" replay -s st --job plug --json in/good 2>/dev/null | jq -r .job)" "plug" \
	"--job names the other"

# A job with --reuse: the replay runs the handler, it asks for no earlier
# outcome (a HASH would be a message the replay does not take).
"$CORRAL" run -q -s st --job reusing --reuse -H sha256 in/good > /dev/null 2>&1
is "$("$CORRAL" replay -s st --job reusing --json in/good 2>/dev/null | jq -r '.status + " " + (.result | has("sha256") | tostring)')" \
	"ok true" "a --reuse job's file replays ok through its handler"

# Nothing of the state directory changed: results, the data file.
snapshot() {
	for j in plug arch unpack slow escape second reusing; do "$CORRAL" results -s st --json "$j"; done
	sha256sum st/data.mdb
	stat -c %Y.%s st/data.mdb
}
touch -d '2001-01-01' st/data.mdb
snapshot > state.before
"$CORRAL" replay -s st in/crash-me > /dev/null 2>&1
"$CORRAL" replay -s st arch/bomb.zip > /dev/null 2>&1
"$CORRAL" replay -s st --job unpack arch/clean.zip > /dev/null 2> unpack2.err
rm -rf "$(sed -n 's/^corral: replay: extracting into \(.*\)\/, not into.*/\1/p' unpack2.err)"
snapshot > state.after
is "$(diff state.before state.after)" "" "replay leaves the state dir as it was (results, data.mdb, its mtime)"

# --gdb: under gdb, the ptrace rule lifted for this one child, and said so.
if have gdb; then
	"$CORRAL" replay -s st --gdb-batch in/crash-me > gdb.out 2> gdb.err
	is "$?" 1 "--gdb-batch on the crashing file: exit 1"
	like "$(cat gdb.out)" '^#0 .*replayee_parse_header' "gdb's backtrace names the crashing function"
	like "$(cat gdb.out)" 'SIGSEGV' "... stopped by SIGSEGV"
	like "$(cat gdb.out)" '^crashed .*in/crash-me  ended under gdb' "the outcome: crashed, under gdb"
	like "$(cat gdb.err)" '^corral: replay --gdb: the sandbox.s ptrace rule is lifted for this child only' \
		"it says the ptrace rule is lifted for this child"
	like "$(cat gdb.err)" '^replayee: looking at in/crash-me$' "the child's stderr still shows"
	# Dumpable: /proc/PID is the child's own user's, not root's, as it is
	# for a process that is not dumpable.
	"$CORRAL" replay -s st --gdb-batch --gdb-ex run --gdb-ex 'python import os; pid = gdb.selected_inferior().pid; uid = [l.split()[1] for l in open("/proc/%d/status" % pid) if l.startswith("Uid:")][0]; print("owner=%d uid=%s" % (os.stat("/proc/%d/mem" % pid).st_uid, uid))' \
		in/crash-me > dump.out 2>/dev/null
	owner=$(sed -n 's/^owner=\([0-9]*\) uid=\([0-9]*\)$/\1 \2/p' dump.out)
	ok "$([ -n "$owner" ] && [ "${owner% *}" = "${owner#* }" ]; echo $?)" \
		"under --gdb the child is dumpable: /proc/PID/mem is its own user's ($owner)"
	# Its other walls stay up: the seccomp filter still refuses ptrace.
	"$CORRAL" replay -s st --gdb-batch esc/traceme > gdbesc.out 2>/dev/null
	like "$(cat gdbesc.out)" 'SIGSYS' "under --gdb the seccomp filter still refuses the child's ptrace (SIGSYS)"
else
	for i in 1 2 3 4 5 6 7 8; do skip "gdb is not installed (scripts/deps.sh installs it)"; done
fi

# Hostile arguments: one line, exit 2.
bad() {	# bad DESCRIPTION REGEX ARGS...
	local what=$1 want=$2
	shift 2
	"$CORRAL" replay "$@" > bad.out 2> bad.err
	is "$? $(wc -l < bad.err)" "2 1" "$what: exit 2, one line"
	like "$(cat bad.err)" "$want" "$what: says why"
}
bad "a file no job has" '^corral: replay: in/nothing is no file of any job in st$' -s st in/nothing
bad "a state dir that is not there" '^corral: replay: no corral state in nost$' -s nost in/good
bad "a job that does not have it" '^corral: replay: in/good is no file of job arch in st$' -s st --job arch in/good
bad "a job that is not there" '^corral: replay: no job named nojob in st$' -s st --job nojob in/good
bad "no FILE" '^corral: replay: no FILE given' -s st
bad "two FILEs" '^corral: replay: one FILE at most' -s st in/good in/crash-me
bad "an unknown option" "^corral: replay: unknown option '--bogus'" -s st --bogus in/good
bad "an empty FILE" '^corral: replay: an empty FILE$' -s st ''
rm in/fifo-later
mkfifo in/fifo-later
bad "a recorded file now a FIFO" '^corral: replay: .*in/fifo-later: not a regular file: a FIFO$' -s st in/fifo-later
rm in/fifo-later
ln -s good in/fifo-later
bad "a recorded file now a symlink" 'in/fifo-later: not a regular file: a symbolic link' -s st in/fifo-later

# A plugin gone since the run: the worker cannot be set up, exit 2 as for
# a worker program that cannot run, not 1 as for an outcome (none is shown).
mkdir gone
echo x > gone/f
cp "$PLUGIN" gone.so
"$CORRAL" run -q -s stgone -H "$T/gone.so" gone > /dev/null 2>&1
rm gone.so
"$CORRAL" replay -s stgone gone/f > gone.out 2> gone.err
is "$?" 2 "a plugin gone since the run: exit 2"
like "$(tail -1 gone.err)" "^corral: replay: worker set-up failed: .*gone.so" "... saying why"
is "$(cat gone.out)" "" "... and no outcome"
done_testing
