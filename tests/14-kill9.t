#!/bin/sh
# kill -9 of the supervisor mid-run: no child survives it, and the same
# command again finishes the job with every file exactly once in results,
# none lost, none twice.
. "$(dirname "$0")/lib.sh"

mkdir in
i=0; while [ $i -lt 60 ]; do echo "$i" > "in/slow-$i"; i=$((i + 1)); done
"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2>&1 &
pid=$!
# Wait for some outcomes to be committed, then kill it mid-run.
n=0
while [ $n -lt 50 ]; do
	done_now=$("$CORRAL" status -s st --json 2>/dev/null | jq -r .done 2>/dev/null)
	[ -n "$done_now" ] && [ "$done_now" -ge 6 ] && break
	sleep 0.1; n=$((n + 1))
done
kids=$(pgrep -P "$pid" | tr '\n' ' ')
ok "$([ -n "$kids" ]; echo $?)" "children were running ($kids)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
alive=0
for k in $kids; do
	s=$(awk '{print $3}' "/proc/$k/stat" 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ] && alive=$((alive + 1))	# a zombie is dead
done
is "$alive" 0 "no child survives kill -9 of the supervisor"
before=$("$CORRAL" status -s st --json | jq -r .done)
ok "$([ "$before" -gt 0 ] && [ "$before" -lt 60 ]; echo $?)" "killed mid-run ($before of 60 recorded)"
is "$("$CORRAL" status -s st --json | jq -r .state)" running "the job's state still says running"

"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2> err.txt
is "$?" 0 "the same command finishes the job"
is "$("$CORRAL" results -s st --json | wc -l)" 60 "60 outcomes"
is "$("$CORRAL" results -s st --json | jq -r .path | sort -u | wc -l)" 60 "each file exactly once"
is "$("$CORRAL" status -s st --json | jq -r '.state, .ok' | tr '\n' ' ')" "done 60 " "done, all ok"
like "$(cat err.txt)" "this run: $((60 - before)) files" "the resumed run did only what was left"
done_testing
