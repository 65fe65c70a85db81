#!/bin/sh
# kill -9 of the supervisor mid-run: no child survives it, not even one
# stuck in its handler that never reads its socket again (the parent-death
# signal is all that ends it); readers show the job interrupted (nobody owns
# the state directory any more), and the same command again finishes the job
# with every file exactly once in results, none lost, none twice.
. "$(dirname "$0")/lib.sh"

# all_gone PID...: none of them runs any more.
all_gone() {
	for k in "$@"; do
		s=$(awk '{print $3}' "/proc/$k/stat" 2>/dev/null)
		[ -n "$s" ] && [ "$s" != Z ] && return 1	# a zombie is dead
	done
	return 0
}

# A child in its handler on a file that holds it there: it reads nothing
# from its socket, so the end of the stream cannot tell it the supervisor
# died.
mkdir held
echo x > held/a
: > held/await
"$CORRAL" run -q -j 2 -s sth -H "$PLUGIN" held > /dev/null 2> held.err &
pid=$!
wait_until grep -q 'stderr: await: waiting' held.err
stuck=$(sed -n 's/^.*worker \([0-9]*\) (slot [0-9]*) stderr: await: waiting$/\1/p' held.err)
ok "$([ -n "$stuck" ] && ! all_gone "$stuck"; echo $?)" "a child is held in its handler (${stuck:-none})"
kill -9 "$pid"
wait "$pid" 2>/dev/null
wait_until all_gone $stuck
ok $? "kill -9 of the supervisor: the child held in its handler dies with it"
all_gone $stuck || kill -9 $stuck 2>/dev/null

mkdir in
i=0; while [ $i -lt 60 ]; do echo "$i" > "in/slow-$i"; i=$((i + 1)); done
"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2>&1 &
pid=$!
# Wait for some outcomes to be committed, then kill it mid-run.
wait_until done_at_least st 6
kids=$(pgrep -P "$pid" | tr '\n' ' ')
ok "$([ -n "$kids" ]; echo $?)" "children were running ($kids)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
# shellcheck disable=SC2086
wait_until all_gone $kids
ok $? "no child survives kill -9 of the supervisor"
before=$("$CORRAL" status -s st --json | jq -r .done)
ok "$([ "$before" -gt 0 ] && [ "$before" -lt 60 ]; echo $?)" "killed mid-run ($before of 60 recorded)"
# No process owns the state directory now: readers say interrupted, not
# running, though the record still says running.
is "$("$CORRAL" status -s st --json | jq -r .state)" interrupted "status --json says interrupted"
like "$("$CORRAL" status -s st)" "state +interrupted \(resumable" "status says interrupted, resumable"
like "$("$CORRAL" jobs -s st)" "^in-[0-9a-f]+ +interrupted " "jobs says interrupted"
is "$("$CORRAL" jobs -s st --json | jq -r .state)" interrupted "jobs --json says interrupted"
job=$("$CORRAL" status -s st --json | jq -r .job)
# The next owner, here running another job, marks it interrupted for good.
mkdir other
echo x > other/f
"$CORRAL" run -q -s st -H sha256 other > /dev/null 2>&1
is "$("$CORRAL" status -s st --json "$job" | jq -r .state)" interrupted "still interrupted after another job ran"
is "$(mdb_dump -p -s jobs st | grep -c 'state\\00')" 0 "and its record no longer says running"

"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2> err.txt
is "$?" 0 "the same command finishes the job"
is "$("$CORRAL" results -s st --json "$job" | wc -l)" 60 "60 outcomes"
is "$("$CORRAL" results -s st --json "$job" | jq -r .path | sort -u | wc -l)" 60 "each file exactly once"
is "$("$CORRAL" status -s st --json "$job" | jq -r '.state, .ok' | tr '\n' ' ')" "done 60 " "done, all ok"
like "$(cat err.txt)" "this run: $((60 - before)) files" "the resumed run did only what was left"
done_testing
