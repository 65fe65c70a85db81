#!/bin/sh
# A job's identity is its spec. The same command with another option that
# decides outcomes (--extract, --timeout, --fail-on, ...) is refused with
# one line naming the option, its old and new value, and --job as the way
# out, never silently run as the old job; options that only change the
# pace or what is shown (-j, --depth, -q, --json) resume the job. A stdin
# list is part of the identity: another list is another job with its own
# exit status, the same list again resumes its job.
. "$(dirname "$0")/lib.sh"

mkdir in src
echo hello > src/a.txt
(cd src && tar cf ../in/a.tar a.txt)

"$CORRAL" run -q -s st --json in > plain.jsonl 2>/dev/null
is "$?" 0 "a plain run"
is "$(jq -r .result.verdict plain.jsonl)" clean "its archive is clean"
J=$(jq -r .job plain.jsonl)

"$CORRAL" run -q -s st --extract out in > /dev/null 2> err.txt
is "$?" 2 "the same command with --extract is refused (exit 2)"
like "$(cat err.txt)" "was run with --extract off; this command has --extract $T/out" \
    "the message names --extract, its old and its new value"
like "$(cat err.txt)" "give --job NEWNAME" "and the way out"
is "$(wc -l < err.txt)" 1 "in one line"
ok "$([ ! -e out/*/in/a.tar/a.txt ]; echo $?)" "nothing was extracted"
is "$("$CORRAL" status -s st --json "$J" | jq -r '.runs, .state' | tr '\n' ' ')" "1 done " \
    "the job is untouched"

"$CORRAL" run -q -s st --extract out --job extracted in > /dev/null 2>&1
is "$?" 0 "as a new job (--job) it runs"
is "$(cat out/extracted/in/a.tar/a.txt 2>/dev/null)" hello "and extracts"

"$CORRAL" run -q -s st --timeout 5s in > /dev/null 2> err.txt
is "$?" 2 "another --timeout is refused"
like "$(cat err.txt)" "with --timeout 1m; this command has --timeout 5s" "naming --timeout"
"$CORRAL" run -q -s st --fail-on suspicious in > /dev/null 2> err.txt
like "$(cat err.txt)" "with --fail-on suspicious off; this command has --fail-on suspicious on" \
    "another --fail-on is refused, named"
"$CORRAL" run -q -s st --max-bytes 1M in > /dev/null 2> err.txt
like "$(cat err.txt)" "with --max-bytes 4G; this command has --max-bytes 1M" "so is a limit"
"$CORRAL" run -q -s st --halt-on-error 10% in > /dev/null 2> err.txt
like "$(cat err.txt)" "with --halt-on-error off; this command has --halt-on-error 10%" \
    "and a halt rule"
"$CORRAL" run -q -s st --job extracted --extract out2 in > /dev/null 2> err.txt
like "$(cat err.txt)" "job extracted was run with --extract $T/out; this command has --extract $T/out2" \
    "another extraction directory too"
"$CORRAL" run -q -s st --job extracted --extract out in/a.tar > /dev/null 2> err.txt
like "$(cat err.txt)" "job extracted was run with inputs in; this command has inputs in/a.tar" \
    "and, under the same --job, other inputs"

"$CORRAL" run -s st -j 1 --depth 1 --json in > again.jsonl 2> err.txt
is "$?" 0 "-j, --depth, --json and progress do not change the job: it resumes"
like "$(cat err.txt)" "nothing left to do" "with nothing left to do"
is "$("$CORRAL" status -s st --json "$J" | jq -r .runs)" 2 "as the same job"

# Stdin lists: two lists are two jobs, each with its own exit status.
mkdir lin
echo x > lin/one
echo x > lin/two
echo x > lin/three-fail
printf 'lin/one\nlin/two\n' > good.list
printf 'lin/one\nlin/three-fail\n' > bad.list
"$CORRAL" run -q -s sl -H "$PLUGIN" - < good.list > /dev/null 2>&1
is "$?" 0 "a list of good files: exit 0"
"$CORRAL" run -q -s sl -H "$PLUGIN" - < bad.list > /dev/null 2>&1
is "$?" 1 "another list, with a failing file: exit 1"
is "$("$CORRAL" jobs -s sl | wc -l)" 2 "two lists, two jobs"
"$CORRAL" run -q -s sl -H "$PLUGIN" - < good.list > /dev/null 2> err.txt
is "$?" 0 "the good list again: exit 0, not the other list's failure"
like "$(cat err.txt)" "nothing left to do" "it resumed its own job"
is "$("$CORRAL" jobs -s sl | wc -l)" 2 "still two jobs"
is "$("$CORRAL" results -s sl --json | jq -r .path | sort | tr '\n' ' ')" "lin/one lin/three-fail " \
    "the latest job holds its own list only"
"$CORRAL" run -q -s sl -H "$PLUGIN" --job named - < good.list > /dev/null 2>&1
"$CORRAL" run -q -s sl -H "$PLUGIN" --job named - < bad.list > /dev/null 2> err.txt
is "$?" 2 "another list under the same --job is refused"
like "$(cat err.txt)" "job named was run with the stdin list sha256:[0-9a-f]{8}" "naming the list"
done_testing
