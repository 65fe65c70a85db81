#!/bin/sh
# SIGINT (and SIGTERM) stop a run with exit status 130, the job recorded as
# interrupted; the same command resumes it to the end.
. "$(dirname "$0")/lib.sh"

mkdir in
i=0; while [ $i -lt 40 ]; do echo "$i" > "in/slow-$i"; i=$((i + 1)); done
"$CORRAL" run -j 2 -s st -H "$PLUGIN" in > /dev/null 2> err.txt &
pid=$!
wait_until done_at_least st 2	# under way: its signals are watched
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT: exit status 130"
is "$("$CORRAL" status -s st --json | jq -r .state)" interrupted "state interrupted"
like "$(cat err.txt)" "run the same command again to resume" "the summary says how to resume"
n=$("$CORRAL" status -s st --json | jq -r .done)
ok "$([ "$n" -lt 40 ]; echo $?)" "stopped early ($n of 40)"

"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2>&1 &
pid=$!
wait_until done_at_least st $((n + 1))
kill -TERM "$pid"
wait "$pid"
is "$?" 130 "SIGTERM: exit status 130"

"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" in > /dev/null 2>&1
is "$?" 0 "resumed to the end"
is "$("$CORRAL" results -s st --json | jq -r .path | sort -u | wc -l)" 40 "every file once"
is "$("$CORRAL" status -s st --json | jq -r .state)" done "state done"

# The reader of --json going away stops the run like an interrupt.
mkdir many
i=0; while [ $i -lt 3000 ]; do : > "many/f$i"; i=$((i + 1)); done
"$CORRAL" run -q -H sha256 -s st2 --json many 2> err2.txt | head -1 > first.json
is "$(jq -r .status first.json)" ok "--json | head -1: one line read"
like "$(cat err2.txt)" "unable to write to stdout: Broken pipe" "the broken pipe is named"
is "$("$CORRAL" status -s st2 --json | jq -r .state)" interrupted "state interrupted"
"$CORRAL" run -q -H sha256 -s st2 many > /dev/null 2>&1
is "$?" 0 "resumed to the end"
is "$("$CORRAL" status -s st2 --json | jq -r .done)" 3000 "every file done"
done_testing
