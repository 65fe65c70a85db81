#!/bin/sh
# The host's refusals are no file's outcome (supervisor/hold.c): a file the
# supervisor cannot open, a directory it cannot read, a worker it cannot
# fork and a command a worker cannot start, for want of descriptors,
# processes or memory, wait and are tried again; nothing is recorded for
# them and no directory is left unread. Refused for --host-wait with
# nothing recorded, a run stops, resumable, naming the limit; a service
# pauses the job with that reason. A directory unreadable for its own
# reason is recorded once, skipped. Real limits (ulimit -n, ulimit -u) and
# tests/faultinject.c for the calls no limit can aim at.
. "$(dirname "$0")/lib-serve.sh"

unset CORRAL_SOCKET	# state directories are read here, the service's below
FI=$BUILD/tests/faultinject.so
# The preloaded library is built without ASan: its runtime need not come first.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

# statuses STATEDIR: "STATUS COUNT" lines of its results.
statuses() {
	"$CORRAL" results -s "$1" --json | jq -r .status | sort | uniq -c | awk '{print $2, $1}' | tr '\n' ' '
}

# ---- descriptors: a soft ulimit -n of 32 ----
mkdir flat
i=0; while [ $i -lt 3000 ]; do echo $i > flat/f$i; i=$((i + 1)); done
(ulimit -Sn 32 && "$CORRAL" run -q -j 2 -s st1 -H sha256 flat 2> err1.txt)
is "$?" 0 "ulimit -n 32: 3,000 files, exit 0"
is "$(statuses st1)" "ok 3000 " "... every one ok, none skipped for the supervisor's limit"

# A hard limit of 32: a child's own limit is never above it, and its
# queue holds what it may.
(ulimit -n 32 && "$CORRAL" run -q -j 2 -s st1h -H sha256 flat 2> /dev/null)
is "$?:$(statuses st1h)" "0:ok 3000 " "a hard ulimit -n of 32: exit 0, every file ok"

mkdir tree
i=0; while [ $i -lt 100 ]; do
	mkdir tree/d$i
	k=0; while [ $k -lt 30 ]; do echo $k > tree/d$i/f$k; k=$((k + 1)); done
	i=$((i + 1))
done
(ulimit -Sn 32 && "$CORRAL" run -q -j 2 -s st2 -H sha256 tree 2> err2.txt)
is "$?" 0 "ulimit -n 32: 100 directories of 30 files, exit 0"
is "$("$CORRAL" status -s st2 --json | jq -r '"\(.total) \(.ok)"')" "3000 3000" "... every directory read, every file ok"

# Directories refused (EMFILE) five times: read again, never recorded.
mkdir small
i=0; while [ $i -lt 20 ]; do mkdir small/d$i; echo $i > small/d$i/a; echo $i > small/d$i/b; i=$((i + 1)); done
LD_PRELOAD=$FI CORRAL_FAULTS=opendir=EMFILE:5 CORRAL_FAULT_UNDER=small \
    "$CORRAL" run -q -s st3 -H sha256 small 2> err3.txt
is "$?" 0 "directories refused EMFILE five times: exit 0"
is "$(grep -c '^faultinject: opendir' err3.txt)" 5 "... refused five times"
is "$(statuses st3)" "ok 40 " "... all 40 files found and ok, no directory recorded"
like "$(cat err3.txt)" "unable to read a directory: Too many open files \(the limit on this process's open files \(ulimit -n\)\): its files wait" \
    "... the wait logged, naming the limit"

# Files refused for want of memory three times: the same wait.
LD_PRELOAD=$FI CORRAL_FAULTS=open=ENOMEM:3 CORRAL_FAULT_UNDER=small/ \
    "$CORRAL" run -q -s st3m -H sha256 small 2> /dev/null
is "$?:$(statuses st3m)" "0:ok 40 " "opens refused ENOMEM three times: exit 0, all 40 ok"

# A directory unreadable for its own reason: recorded once, skipped.
LD_PRELOAD=$FI CORRAL_FAULTS=opendir=EACCES:always CORRAL_FAULT_UNDER=small/d3 \
    "$CORRAL" run -q -s st4 -H sha256 small 2> /dev/null
is "$?" 1 "a directory denied to us: exit 1 (not all ok)"
is "$(statuses st4)" "ok 38 skipped 1 " "... recorded once as skipped, its files not counted"
is "$("$CORRAL" results -s st4 --json | jq -r 'select(.status == "skipped") | "\(.path): \(.error)"')" \
    "small/d3: unable to read directory: Permission denied" "... with its path and reason"

# Files refused for good: the run stops, resumable, having recorded nothing.
LD_PRELOAD=$FI CORRAL_FAULTS=open=EMFILE:always CORRAL_FAULT_UNDER=small/ \
    "$CORRAL" run -q -s st5 --host-wait 1s -H sha256 small 2> err5.txt
is "$?" 2 "every open refused for --host-wait: exit 2"
like "$(grep -v '^faultinject' err5.txt | tail -1)" \
    "stopped after [0-9]+ s of refusals: unable to open a file: Too many open files \(.*\(ulimit -n\)\); job small-[0-9a-f]+ is resumable" \
    "... one line naming the limit and saying it is resumable"
# A held job's scan waits with it: the files found by then are pending
# (how many depends on when the children came up), none is recorded.
is "$("$CORRAL" status -s st5 --json | jq -r '"\(.state) \(.done) \(.pending == .total and .total > 0)"')" \
    "interrupted 0 true" "... interrupted, nothing recorded, every file found pending"
"$CORRAL" run -q -s st5 -H sha256 small 2> /dev/null
is "$?" 0 "the same command with the limit gone: exit 0"
is "$(statuses st5)" "ok 40 " "... every file ok"

# ---- processes ----
L="$(command -v cat) > /dev/null"
# A worker's fork refused three times (exec's keeper): tried again, uncharged.
LD_PRELOAD=$FI CORRAL_FAULTS=fork=EAGAIN:3 CORRAL_FAULT_ROLE=worker \
    "$CORRAL" run -q -j 2 -s st6 -x "$L" small 2> err6.txt
is "$?" 0 "exec with forks refused (EAGAIN) three times in each worker: exit 0"
ok "$([ "$(grep -c 'faultinject: fork' err6.txt)" -ge 3 ]; echo $?)" "... refused"
is "$(statuses st6)" "ok 40 " "... all 40 ok"
is "$("$CORRAL" results -s st6 --json | jq -r .attempts | sort -u)" 1 "... each charged one attempt"

LD_PRELOAD=$FI CORRAL_FAULTS=fork=EAGAIN:always CORRAL_FAULT_ROLE=worker \
    "$CORRAL" run -q -j 2 -s st7 --host-wait 1s -x "$L" small 2> err7.txt
is "$?" 2 "exec's forks refused for --host-wait: exit 2"
like "$(grep -v 'faultinject' err7.txt | tail -1)" \
    "stopped after [0-9]+ s of refusals: in worker [0-9]+: unable to start the command: Resource temporarily unavailable \(the limit on processes \(ulimit -u" \
    "... naming the process limit"
is "$("$CORRAL" status -s st7 --json | jq -r '"\(.state) \(.done)"')" "interrupted 0" "... nothing recorded"
"$CORRAL" run -q -j 2 -s st7 -x "$L" small 2> /dev/null
is "$(statuses st7)" "ok 40 " "... and the same command then records all 40 ok"

# The supervisor's forks of its workers refused four times.
LD_PRELOAD=$FI CORRAL_FAULTS=fork=EAGAIN:4 \
    "$CORRAL" run -q -j 2 -s st8 -H sha256 small 2> err8.txt
is "$?" 0 "the workers' forks refused four times: exit 0"
like "$(cat err8.txt)" "unable to start a worker: fork: Resource temporarily unavailable \(the limit on processes" \
    "... logged with the limit"
ok "$(grep -q 'cannot start' err8.txt; [ $? -ne 0 ]; echo $?)" "... never taken for a worker program that cannot start"
is "$(statuses st8)" "ok 40 " "... all 40 ok"

# A real ulimit -u, on a user id nobody else has (root only: to be one).
# Without the sandbox: a sandboxed worker is in a user namespace of its
# own, whose processes the limit counts apart.
spare=64123
if [ "$(id -u)" != 0 ] || ! have setpriv || ! have prlimit || [ -n "$(ps -o pid= -u $spare)" ]; then
	skip "ulimit -u needs root, setpriv and prlimit to run as a spare user id"
	skip "ulimit -u needs root"
	skip "ulimit -u needs root"
	skip "ulimit -u needs root"
else
	mkdir bin st9 st10
	cp "$CORRAL" bin/corral
	chown $spare st9 st10
	as_spare() { setpriv --reuid=$spare --regid=$spare --clear-groups "$@"; }
	# LeakSanitizer needs a process of its own at exit, which the limit
	# refuses: no leak check for this one.
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
	    as_spare prlimit --nproc=3: bin/corral run -q -j 2 -s st9 --no-sandbox --host-wait 1s -x "$L" small 2> err9.txt
	like "$?:$(tail -1 err9.txt)" "^2:.*stopped after .*Resource temporarily unavailable \(the limit on processes \(ulimit -u" \
	    "ulimit -u 3 (the supervisor and two workers): stops naming the limit, exit 2"
	# The limit lifts while it waits: it goes on by itself. The soft
	# limit is raised to the hard one by the user itself.
	spare_gone() { [ -z "$(pgrep -u $spare)" ]; }
	wait_until spare_gone
	as_spare prlimit --nproc=3: bin/corral run -q -j 2 -s st10 --no-sandbox --host-wait 10m -x "$L" small 2> err10.txt &
	pid=$!
	wait_until grep -q 'its files wait' err10.txt
	for p in $(pgrep -u $spare); do
		as_spare prlimit --pid "$p" --nproc="$(as_spare prlimit --pid "$p" --nproc -o HARD --noheadings | tr -d ' '):"
	done
	wait $pid
	is "$?" 0 "ulimit -u raised while the job waits: it goes on, exit 0"
	is "$(statuses st10)" "ok 40 " "... every file ok"
	is "$("$CORRAL" results -s st10 --json | jq -r .attempts | sort -u)" 1 "... none charged for the wait"
fi

# ---- a service: the job is paused with the reason, the others go on ----
export CORRAL_SOCKET=$SOCK
LD_PRELOAD=$FI CORRAL_FAULTS=fork=EAGAIN:always CORRAL_FAULT_ROLE=worker start --host-wait 1s
ok $? "a service whose workers cannot fork"
"$CORRAL" submit -q --job forks -x "$L" "$T/small" > /dev/null
"$CORRAL" submit -q --job hashes -H sha256 "$T/small" > /dev/null
paused() { [ "$("$CORRAL" status --json forks | jq -r .state)" = paused ]; }
wait_until paused
is "$("$CORRAL" status --json forks | jq -r '"\(.state) \(.done)"')" "paused 0" "its exec job is paused, nothing recorded"
like "$("$CORRAL" status --json forks | jq -r .reason)" \
    "^paused after [0-9]+ s of refusals: in worker [0-9]+: unable to start the command: Resource temporarily unavailable \(the limit on processes" \
    "... with the reason"
"$CORRAL" submit -q --wait --job hashes2 -H sha256 "$T/small" > /dev/null
is "$?" 0 "another job runs to its end meanwhile"
kill "$DPID"
wait "$DPID"
stop_notify
done_testing
