#!/bin/sh
# Re-running a job rescans its inputs: files that appeared since are added
# and processed, files already recorded are not processed again, files that
# vanished before processing are recorded as skipped. The stdin list (-,
# -0) feeds a job too.
. "$(dirname "$0")/lib.sh"

mkdir in
for i in 1 2 3; do echo "$i" > "in/f$i"; done
"$CORRAL" run -q -H sha256 -s st in > /dev/null 2>&1
is "$?" 0 "first run"
echo 4 > in/f4
mkdir in/new && echo 5 > in/new/f5
"$CORRAL" run -q -H sha256 -s st --json in > out.jsonl 2>/dev/null
is "$?" 0 "second run"
is "$(jq -r .path out.jsonl | sort | tr '\n' ' ')" "in/f4 in/new/f5 " "only the new files were processed"
is "$("$CORRAL" status -s st --json | jq -r '.total, .done' | tr '\n' ' ')" "5 5 " "the job now has 5 files, all done"
is "$("$CORRAL" jobs -s st | wc -l)" 1 "still one job"

printf 'in/f1\nin/f2\nin/missing\n\nin\n' | "$CORRAL" run -q -H sha256 -s st2 --json - > out2.jsonl 2>/dev/null
is "$?" 1 "stdin list: exit 1 (some skipped)"
is "$("$CORRAL" results -s st2 --json | jq -r '.path + " " + .status' | tr '\n' ',')" "in/f1 ok,in/f2 ok,in/missing skipped,in skipped," "stdin list: one task per line, in order, empty lines ignored"
printf 'in/f3\0in/f4\0' | "$CORRAL" run -q -0 -H sha256 -s st3 --json - > out3.jsonl 2>/dev/null
is "$(jq -r .path out3.jsonl | tr '\n' ' ')" "in/f3 in/f4 " "stdin list, NUL-separated"

# The state directory under the input tree is never scanned into.
(cd in && "$CORRAL" run -q -H sha256 --json . > ../dot.jsonl 2>/dev/null)
is "$?" 0 "run . with the default state dir ./.corral inside it"
is "$(jq -r .path dot.jsonl | grep -c corral)" 0 "nothing of .corral was processed"
is "$(wc -l < dot.jsonl)" 5 "the 5 files were"
done_testing
