#!/bin/sh
# exec: a command's outcome is taken when sh exits, not when the last
# process holding its stdout lets go, and nothing the command started
# outlives its file: not a background job, not a descendant that left the
# group (setsid, a daemon's double fork with its descriptors closed), not
# one that ignores SIGTERM, whether the command ends, times out, or the
# supervisor is killed with SIGKILL under it.
. "$(dirname "$0")/lib.sh"

# The command's processes carry a name of this test's own: a copy of sleep
# whose name (comm) holds the temp dir's unique suffix.
S=lk-${T##*.}
cp "$(command -v sleep)" "$T/$S"
L=$T/$S

alive() {	# pids of the marked processes still alive (a zombie is dead)
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		case $line in *"($S) "[!Z]*) echo "${line%% *}" ;; esac
	done
}
none_alive() { [ -z "$(alive)" ]; }
running() { [ "$(alive | wc -l)" -ge "$1" ]; }	# running N: N marked processes alive
gone() { wait_until none_alive; }	# gone: no marked process is left
# What a failure leaves is killed by pid, so that one case does not spoil
# the next.
reset() { alive | xargs -r kill -9 2>/dev/null; gone; }
trap 'reset; _cleanup' EXIT

mkdir in && echo x > in/f

# A background job holding stdout: ok with the output read, at once.
"$CORRAL" run -q -t 10s -r 0 -s st1 -x "$L 300 & echo done; : {}" --json in > out1.jsonl 2>/dev/null
is "$(jq -r '.status + " " + (.result.exit|tostring)' out1.jsonl)" "ok 0" \
    "a background job holding stdout: ok, exit 0, when sh exits"
is "$(jq -r .result.stdout out1.jsonl)" "done" "its stdout so far is kept"
gone; ok $? "the background job is killed"
reset

# The same, ignoring SIGTERM.
"$CORRAL" run -q -t 10s -r 0 -s st2 -x "trap '' TERM; $L 300 & echo done; : {}" --json in > out2.jsonl 2>/dev/null
is "$(jq -r '.status + " " + .result.stdout' out2.jsonl)" "ok done" "a job ignoring SIGTERM: ok when sh exits"
gone; ok $? "the job that ignores SIGTERM is killed"
reset

# A descendant in a session of its own, with no descriptor of ours.
"$CORRAL" run -q -t 10s -r 0 -s st3 -x "setsid -f $L 300 </dev/null >/dev/null 2>&1; : {}" --json in > out3.jsonl 2>/dev/null
is "$(jq -r .status out3.jsonl)" ok "setsid: the command is ok"
gone; ok $? "setsid: the descendant is killed"
reset

# A daemon's double fork, descriptors closed, and a setsid in between.
"$CORRAL" run -q -t 10s -r 0 -s st4 -x "(setsid $L 300 </dev/null >/dev/null 2>&1 &); : {}" --json in > out4.jsonl 2>/dev/null
is "$(jq -r .status out4.jsonl)" ok "double fork: the command is ok"
gone; ok $? "double fork with setsid: the daemon is killed"
reset

# A double fork that stays in the group is gone before the next file
# starts, not only when the child is: the second file's command looks.
mkdir two && echo spawn > two/1 && echo look > two/2
look="read what; if [ \"\$what\" = spawn ]; then ($L 300 </dev/null >/dev/null 2>&1 &); else pgrep -x $S; fi; true; : {}"
"$CORRAL" run -q -j 1 -t 10s -r 0 -s st5 -x "$look" --json two > out5.jsonl 2>/dev/null
is "$(jq -r 'select(.path=="two/2") | .status + " [" + .result.stdout + "]"' out5.jsonl)" "ok []" \
    "double fork in the group: gone before the next file"
reset

# A timeout while a descendant in its own session runs, all of it
# ignoring SIGTERM.
"$CORRAL" run -q -t 1s -r 0 -s st6 -x "trap '' TERM; setsid -f $L 300 </dev/null >/dev/null 2>&1; exec $L 301; : {}" --json in > out6.jsonl 2>/dev/null
is "$(jq -r .status out6.jsonl)" timeout "a command past its time is a timeout"
gone; ok $? "after the timeout no descendant is left"
reset

# kill -9 of the supervisor mid-command.
"$CORRAL" run -q -j 1 -t 60s -s st7 -x "setsid -f $L 300 </dev/null >/dev/null 2>&1; $L 302 & exec $L 301; : {}" in > /dev/null 2>&1 &
pid=$!
wait_until running 3
is "$(alive | wc -l)" 3 "three descendants running"
kill -9 "$pid"
wait "$pid" 2>/dev/null
gone; ok $? "after kill -9 of the supervisor no descendant is left"
reset

# The same with two workers, each command's background jobs waited for,
# and the workers themselves: nothing of the run is left.
mkdir many && for i in 1 2 3 4; do echo $i > many/$i; done
setsid "$CORRAL" run -q -j 2 --depth 1 -t 60s -s st8 -x "$L 303 & $L 304 & wait; : {}" many > /dev/null 2>&1 &
pid=$!
wait_until running 4
sid=$(ps -o sid= -p $pid | tr -d ' ')
is "$(alive | wc -l)" 4 "two workers' commands, two background jobs each"
t0=$(now_ms)
kill -9 "$pid"
session_gone() { [ -z "$(ps -o stat= -s "$sid" | grep -v Z)" ]; }	# a zombie is dead
gone; ok $? "after kill -9 of the supervisor no command's process is left"
wait_until session_gone; ok $? "... and no worker or keeper of the run"
echo "# all gone $(( $(now_ms) - t0 )) ms after the kill"
reset

done_testing
