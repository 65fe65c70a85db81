#!/bin/sh
# --halt-on-error: once at least --halt-min-sample files are done and the
# share not ok passes the rate, the job stops: state halted, exit status 3.
# Below the rate, the job runs to the end.
. "$(dirname "$0")/lib.sh"

mkdir in
i=0
while [ $i -lt 200 ]; do
	if [ $((i % 2)) -eq 0 ]; then echo x > "in/f$(printf %03d $i)-fail"; else echo x > "in/f$(printf %03d $i)"; fi
	i=$((i + 1))
done
"$CORRAL" run -q -j 2 -s st -H "$PLUGIN" --halt-on-error 20% in > /dev/null 2> err.txt
is "$?" 3 "exit status 3"
is "$("$CORRAL" status -s st --json | jq -r .state)" halted "state halted"
d=$("$CORRAL" status -s st --json | jq -r .done)
ok "$([ "$d" -ge 10 ] && [ "$d" -lt 200 ]; echo $?)" "halted after the minimum sample, before the end ($d)"
like "$(cat err.txt)" "halted: [0-9]+ of [0-9]+ files not ok" "the reason is logged"

"$CORRAL" run -q -j 2 -s st2 -H "$PLUGIN" --halt-on-error 0.6 in > /dev/null 2>&1
is "$?" 1 "a rate above the failures: runs to the end (exit 1)"
is "$("$CORRAL" status -s st2 --json | jq -r .done)" 200 "all done"

"$CORRAL" run -q -s st3 --halt-on-error 2 in > /dev/null 2> err3.txt
is "$?" 2 "a rate over 1 is a usage error"
like "$(cat err3.txt)" "halt-on-error" "named in the message"
done_testing
