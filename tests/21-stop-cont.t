#!/bin/sh
# Ctrl-Z (SIGTSTP) stops the whole job, children included; SIGCONT (fg)
# resumes it, and the time spent stopped is not charged to any file: no
# false timeouts.
. "$(dirname "$0")/lib.sh"

mkdir in
i=0; while [ $i -lt 20 ]; do echo x > "in/slow-$i"; i=$((i + 1)); done
"$CORRAL" run -q -j 2 -t 1s -s st -H "$PLUGIN" --json in > out.jsonl 2>/dev/null &
pid=$!
# Both children at work: the first outcomes are in, the next files out.
wait_until done_at_least st 2
kids=$(pgrep -P "$pid" | tr '\n' ' ')
kill -TSTP "$pid"
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
all_stopped() {
	[ "$(state "$pid")" = T ] || return 1
	for k in $kids; do [ "$(state "$k")" = T ] || return 1; done
}
wait_until all_stopped
is "$(state "$pid")" T "the supervisor is stopped"
stopped=0
for k in $kids; do [ "$(state "$k")" = T ] && stopped=$((stopped + 1)); done
is "$stopped" "$(echo $kids | wc -w)" "every child is stopped ($kids)"
# The stop itself, well past the 1s timeout: a time that passes is what
# this test is about.
sleep 2.5
kill -CONT "$pid"
wait "$pid"
is "$?" 0 "after SIGCONT the job finishes, all ok"
is "$(jq -r 'select(.status=="timeout") | .path' out.jsonl | wc -l)" 0 "no false timeouts"
max=$(jq -r .duration_ms out.jsonl | sort -n | tail -1)
ok "$([ "$max" -lt 1000 ]; echo $?)" "the stopped time is not in any duration (max ${max} ms)"
done_testing
