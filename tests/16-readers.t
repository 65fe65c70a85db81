#!/bin/sh
# `status`, `results` and `jobs` from a second process while a run owns the
# state directory: they read it (read-only) and see progress; a second `run`
# on the same state directory is refused with exit 2.
. "$(dirname "$0")/lib.sh"

mkdir in
i=0; while [ $i -lt 30 ]; do echo "$i" > "in/slow-$i"; i=$((i + 1)); done
"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2>&1 &
pid=$!
wait_until done_at_least st 1
s1=$("$CORRAL" status -s st --json)
is "$?" 0 "status works during a run"
is "$(echo "$s1" | jq -r .state)" running "it says running"
d1=$(echo "$s1" | jq -r .done)
ok "$([ "$d1" -gt 0 ] && [ "$d1" -lt 30 ]; echo $?)" "it shows progress ($d1 of 30)"
r=$("$CORRAL" results -s st --json | wc -l)
ok "$([ "$r" -ge "$d1" ]; echo $?)" "results works during a run ($r lines)"
like "$("$CORRAL" jobs -s st)" "running" "jobs works during a run"
out=$("$CORRAL" run -q -s st -H "$PLUGIN" in 2>&1)
is "$?" 2 "a second run on the same state dir: exit 2"
like "$out" "state dir st is in use by another corral process" "with a message that says why"
wait_until done_at_least st $((d1 + 1))
ok $? "progress moves on ($("$CORRAL" status -s st --json | jq -r .done))"
wait "$pid"
is "$?" 0 "the run finishes undisturbed"
is "$("$CORRAL" status -s st --json | jq -r .done)" 30 "all 30 done"
done_testing
