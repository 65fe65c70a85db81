#!/bin/sh
# corral why FILE: a file's whole history. A supervisor killed with kill -9
# while a file is held in its handler is not the file's fault: the next
# owner records that attempt as interrupted, with the child's pid and no
# strike, and the file then finishes ok. FILE is found as given, absolute
# or relative; in several jobs each is shown, or --job picks one.
. "$(dirname "$0")/lib.sh"

mkdir held
: > held/await
echo a > held/b
"$CORRAL" run -q -j 1 -s st -H "$PLUGIN" held > /dev/null 2> held.err &
pid=$!
wait_until grep -q 'stderr: await: waiting' held.err
kid=$(sed -n 's/^.*worker \([0-9]*\) (slot [0-9]*) stderr: await: waiting$/\1/p' held.err)
# The commit that records what runs: why sees it running.
wait_until sh -c "'$CORRAL' why -s st held/await | grep -q 'now running'"
is "$("$CORRAL" why -s st --json held/await | jq -r '.status, .pid' | tr '\n' ' ')" "running $kid " \
	"why: running, in the worker held in its handler"
kill -9 "$pid"
wait "$pid" 2>/dev/null
like "$("$CORRAL" why -s st held/await)" "now interrupted, 0 strikes of 2 \(was in worker $kid " \
	"with no owner: interrupted, no strike yet recorded"
echo done > held/await
"$CORRAL" run -q -j 1 -s st -H "$PLUGIN" held > /dev/null 2>&1
is "$?" 0 "the same command finishes the job"
w=$("$CORRAL" why -s st --json held/await)
is "$(printf '%s' "$w" | jq -r '[.attempts[].outcome] | join(" ")')" "interrupted ok" \
	"why: an interrupted attempt, then ok"
is "$(printf '%s' "$w" | jq -r '.attempts[0].pid')" "$kid" "the interrupted attempt names its child"
is "$(printf '%s' "$w" | jq -r '.status, .strikes' | tr '\n' ' ')" "ok 0 " "ok, and no strike charged"
is "$("$CORRAL" results -s st --json | jq -r 'select(.path == "held/await") | .attempts')" 1 \
	"the outcome counts one attempt: the interrupted one is not charged"
like "$("$CORRAL" why -s st held/await)" "attempt 1  pid $kid  started .*interrupted \(its supervisor died; no strike\)" \
	"why in text"

# A clean stop (SIGINT) interrupts nothing: its tasks go back uncharged.
mkdir calm
: > calm/await
"$CORRAL" run -q -j 1 -s stc -H "$PLUGIN" calm > /dev/null 2> calm.err &
pid=$!
wait_until grep -q 'stderr: await: waiting' calm.err
kill -INT "$pid"
wait "$pid" 2>/dev/null
echo done > calm/await
"$CORRAL" run -q -j 1 -s stc -H "$PLUGIN" calm > /dev/null 2>&1
is "$("$CORRAL" why -s stc --json calm/await | jq -r '[.attempts[].outcome] | join(" ")')" "ok" \
	"after a clean stop: one attempt, ok"

# FILE as given, absolute, with ./; a file in two jobs; --job.
is "$("$CORRAL" why -s st --json "$T/held/b" | jq -r .path)" held/b "an absolute FILE finds a relative path"
is "$("$CORRAL" why -s st --json ./held/b | jq -r .path)" held/b "./FILE too"
"$CORRAL" run -q -s st --job second -H sha256 held > /dev/null 2>&1
first=$("$CORRAL" jobs -s st --json | jq -r .job | grep '^held-')
is "$("$CORRAL" why -s st --json held/b | jq -r .job | sort | tr '\n' ' ')" "$first second " \
	"a file in two jobs: both shown"
is "$("$CORRAL" why -s st --job second --json held/b | jq -r .job)" second "--job picks one"

# Another spelling of a recorded path: as results prints it (./ kept), with
# // and .., from another directory, absolute from elsewhere.
mkdir -p sp/d
echo a > sp/d/f
"$CORRAL" run -q -s stsp -H sha256 ./sp/ > /dev/null 2>&1
is "$("$CORRAL" results -s stsp --format '{path}')" "./sp/d/f" "a path recorded with ./"
like "$("$CORRAL" why -s stsp ./sp/d/f)" "file \./sp/d/f  \(seq 1\)" "why FILE as results prints it"
like "$("$CORRAL" why -s stsp sp//d/../d/f)" "file \./sp/d/f " "... with // and .."
like "$(cd sp/d && "$CORRAL" why -s ../../stsp f)" "file \./sp/d/f " "... relative to another directory"
like "$(cd / && "$CORRAL" why -s "$T/stsp" "$T/sp/d/f")" "file \./sp/d/f " "... absolute, from elsewhere"

# A name that is not UTF-8: its exact bytes in *_base64, as results --json
# gives them, in why --json, status --changed --json and the example of
# results --signatures --json.
mkdir u8
bad=$(printf 'u8/segv\377')
echo x > "$bad"
"$CORRAL" run -q -s stu8 -H "$PLUGIN" u8 > /dev/null 2>&1
b64=$(printf 'u8/segv\377' | base64)
is "$("$CORRAL" results -s stu8 --json | jq -r .path_base64)" "$b64" "results --json: path_base64"
is "$("$CORRAL" why -s stu8 --json "$bad" | jq -r .path_base64)" "$b64" "why --json: path_base64 too"
is "$("$CORRAL" results -s stu8 --signatures --json | jq -r .example_base64)" "$b64" \
	"results --signatures --json: example_base64"
echo longer > "$bad"
is "$("$CORRAL" status -s stu8 --changed --json | jq -r .path_base64)" "$b64" "status --changed --json: path_base64"

# Hostile input: one line, exit 2.
"$CORRAL" why -s st held/none 2> e1
is "$?" 2 "a file in no job: exit 2"
like "$(cat e1)" "^corral: why: held/none is in no job of st$" "... one line"
"$CORRAL" why -s st 2> e2
is "$?" 2 "no FILE: exit 2"
"$CORRAL" why -s nowhere held/b 2> e3
is "$?" 2 "no state: exit 2"
like "$(cat e3)" "^corral: no corral state in nowhere$" "... one line"
"$CORRAL" why -s st --job nosuch held/b 2> e4
is "$?" 2 "no such job: exit 2"
"$CORRAL" why -s st --bogus held/b 2> e5
is "$?" 2 "an unknown option: exit 2"
done_testing
