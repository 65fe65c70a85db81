#!/bin/sh
# Recycling children: --max-tasks-per-child and --max-child-rss. leak.so
# leaks 4 MiB a file and says which child did each file (its pid, how many
# files that child has done, its peak RSS). With --max-tasks-per-child 3 a
# child does 3 files and is replaced; with --max-child-rss one is replaced
# once its RSS after a file is above the limit, so none grows much past it;
# without either, one child does them all. Nothing is lost or charged
# (attempts 1). A file that takes memory past the hard cap (twice the
# limit) while it runs is killed and recorded crashed, naming the cap. The
# options are the job's: stored in its spec (another value on resume is
# refused, naming the option), sent by submit, and taken by a service from
# corral.conf's [defaults].
. "$(dirname "$0")/lib-serve.sh"

LEAK=$BUILD/tests/plugins/leak.so
MIB=1048576
mkdir in
for i in 0 1 2 3 4 5 6 7 8 9; do echo "file $i" > "in/f$i"; done

# summary FILE: "files ok attempts-above-1" of a --json stream.
summary() {
	jq -rs '"\(length) \(map(select(.status == "ok")) | length) \(map(select(.attempts != 1)) | length)"' "$1"
}
# pids FILE: how many children did the files; most: the most one child did.
pids() { jq -r .result.pid "$1" | sort -u | wc -l | tr -d ' '; }
most() { jq -r .result.pid "$1" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }'; }

# ---- without the options: one child does every file ----
"$CORRAL" run -q -j 1 -s st0 -H "$LEAK" --json in > none.jsonl 2> none.err
is "$?" 0 "without recycling: exit 0"
is "$(summary none.jsonl)" "10 10 0" "... 10 files ok, each at its first attempt"
is "$(pids none.jsonl)" 1 "... one child did them all"
is "$(jq -s 'map(.result.served) | max' none.jsonl)" 10 "... its tenth file was its tenth"
# The child's RSS after its first file: what it costs here (a sanitizer's
# build costs more), the base for the limit below.
BASE=$(jq -s 'map(select(.result.served == 1)) | .[0].result.rss' none.jsonl)
GREW=$(jq -s 'map(.result.rss) | max' none.jsonl)
ok "$([ $((GREW - BASE)) -ge $((30 * MIB)) ]; echo $?)" "... and it grew by the leak, 4 MiB a file ($BASE to $GREW)"

# ---- --max-tasks-per-child 3 ----
"$CORRAL" run -q -v -j 1 -s st1 -H "$LEAK" --max-tasks-per-child 3 --json --stats st1.json \
    --metrics-file m1.prom in > tasks.jsonl 2> tasks.err
is "$?" 0 "--max-tasks-per-child 3: exit 0"
is "$(summary tasks.jsonl)" "10 10 0" "... 10 files ok, none lost, none charged (attempts 1)"
is "$(most tasks.jsonl)" 3 "... no child did more than 3 files"
is "$(pids tasks.jsonl)" 4 "... 4 children did the 10 files"
is "$(jq -s 'map(.result.served) | max' tasks.jsonl)" 3 "... each child's count started again at 1"
is "$(jq -r .recycled st1.json)" 3 "... --stats: recycled 3"
is "$(grep -c 'recycled: 3 files done, --max-tasks-per-child 3' tasks.err)" 3 "... one line each at -v"
like "$(cat m1.prom)" 'corral_child_recycles_total\{reason="tasks"\} 3' "... metrics: 3 by tasks"
like "$(cat m1.prom)" 'corral_child_recycles_total\{reason="rss"\} 0' "... none by rss"
"$CORRAL" run -q -j 1 -s st1q -H "$LEAK" --max-tasks-per-child 3 in 2> quiet.err
is "$(grep -c recycled quiet.err)" 0 "without -v, no line for a recycle"

# A queue per child deeper than the limit: still no more than N each.
"$CORRAL" run -q -j 2 --depth 8 -s st2 -H "$LEAK" --max-tasks-per-child 2 --json in > deep.jsonl 2> deep.err
is "$(summary deep.jsonl)" "10 10 0" "-j 2 --depth 8 --max-tasks-per-child 2: 10 ok, attempts 1"
ok "$([ "$(most deep.jsonl)" -le 2 ]; echo $?)" "... no child did more than 2"

# ---- --max-child-rss ----
# A limit 10 MiB above the first file's RSS: a child may start a file while
# at or below it, and a file adds 4 MiB (and its result map, some KiB).
LIMIT=$(((BASE + 10 * MIB) / 1024))K
BOUND=$((BASE + 10 * MIB + 5 * MIB))
"$CORRAL" run -q -v -j 1 -s st3 -H "$LEAK" --max-child-rss "$LIMIT" --json --stats st3.json \
    in > rss.jsonl 2> rss.err
is "$?" 0 "--max-child-rss $LIMIT: exit 0"
is "$(summary rss.jsonl)" "10 10 0" "... 10 files ok, none lost, none charged"
TOP=$(jq -s 'map(.result.rss) | max' rss.jsonl)
ok "$([ "$TOP" -le "$BOUND" ]; echo $?)" "... no child grew past the limit and one file's leak ($TOP <= $BOUND)"
ok "$([ "$(pids rss.jsonl)" -ge 3 ]; echo $?)" "... several children did the files ($(pids rss.jsonl))"
ok "$([ "$(jq -r .recycled st3.json)" -ge 2 ]; echo $?)" "... --stats counts the recycles"
like "$(cat rss.err)" "recycled: resident memory [0-9]+ bytes above --max-child-rss $((BASE / 1024 * 1024 + 10 * MIB))" \
    "... the line at -v says why"

# ---- the hard cap: twice the limit ----
mkdir hog
echo hog > hog/a-hog
echo x > hog/b
"$CORRAL" run -q -j 1 -r 0 -t 30s -s st4 -H "$LEAK" --max-child-rss "$LIMIT" --json hog > hog.jsonl 2> hog.err
is "$?" 1 "a file past the hard cap: exit 1 (not every file ok)"
is "$(jq -r 'select(.path == "hog/a-hog") | .status' hog.jsonl)" crashed "... it is recorded crashed"
like "$(jq -r 'select(.path == "hog/a-hog") | .error' hog.jsonl)" \
    "^resident memory [0-9]+ bytes above the hard cap $((2 * (BASE / 1024 * 1024 + 10 * MIB))) \(twice --max-child-rss\)" \
    "... the error names the cap"
is "$(jq -r 'select(.path == "hog/b") | .status' hog.jsonl)" ok "... the other file is ok"
like "$(cat hog.err)" "killed: resident memory" "... the kill is logged"
# A crash like any: retried under -r, once, and a strike each time: two
# strikes quarantine it (--max-strikes 2).
"$CORRAL" run -q -j 1 -r 1 -t 30s -s st5 -H "$LEAK" --max-child-rss "$LIMIT" --json hog > hog5.jsonl 2> /dev/null
is "$(jq -r 'select(.path == "hog/a-hog") | "\(.status) \(.attempts) \(.strikes)"' hog5.jsonl)" \
    "quarantined 2 2" "... with -r 1 it is tried twice, as any crash, then quarantined"

# ---- the job's spec ----
"$CORRAL" run -q -j 1 -s st1 -H "$LEAK" --max-tasks-per-child 4 in > /dev/null 2> again.err
is "$?" 2 "resumed with another --max-tasks-per-child: refused"
like "$(cat again.err)" "was run with --max-tasks-per-child 3; this command has --max-tasks-per-child 4" \
    "... naming the option and both values"
"$CORRAL" run -q -j 1 -s st3 -H "$LEAK" in > /dev/null 2> again3.err
is "$?" 2 "resumed without --max-child-rss: refused"
like "$(cat again3.err)" "was run with --max-child-rss [0-9]+K; this command has --max-child-rss 0" \
    "... naming the option"
"$CORRAL" run -q -j 1 -s st1 -H "$LEAK" --max-tasks-per-child 3 in > /dev/null 2>&1
is "$?" 0 "resumed with the same value: accepted"
"$CORRAL" run -q -s st6 --max-tasks-per-child x in > /dev/null 2> bad.err
is "$?" 2 "--max-tasks-per-child x: refused"
"$CORRAL" run -q -s st6 --max-child-rss 1000 in > /dev/null 2> bad.err
like "$(cat bad.err)" "max-child-rss: at least 1M" "--max-child-rss below 1M: refused, saying so"

# ---- the service: submit, and [defaults] ----
CONF=$T/corral.conf
printf '[defaults]\nmax-tasks-per-child = 2\n' > "$CONF"
start --config "$CONF" --check-workers 0 -j 1
ok $? "a service with max-tasks-per-child = 2 in [defaults] starts"
"$CORRAL" submit --wait -q --json -H "$LEAK" --job dflt "$T/in" > dflt.jsonl 2> /dev/null
is "$(summary dflt.jsonl)" "10 10 0" "a job submitted without the option: 10 ok, attempts 1"
is "$(most dflt.jsonl) $(pids dflt.jsonl)" "2 5" "... the default: 2 files a child, 5 children"
"$CORRAL" submit --wait -q --json -H "$LEAK" --max-tasks-per-child 5 --job own "$T/in" > own.jsonl 2> /dev/null
is "$(summary own.jsonl)" "10 10 0" "a job submitted with --max-tasks-per-child 5: 10 ok"
is "$(most own.jsonl) $(pids own.jsonl)" "5 2" "... its own value: 5 files a child, 2 children"
"$CORRAL" submit -q -H "$LEAK" --max-tasks-per-child 4 --job own "$T/in" > /dev/null 2> own.err
is "$?" 2 "the same job submitted with another value: refused"
like "$(cat own.err)" "job own was run with --max-tasks-per-child 5; this command has --max-tasks-per-child 4" \
    "... naming the option: the job's record keeps it"
like "$(cat "$T/serve.log")" "recycled: 5 files done, --max-tasks-per-child 5" "the service logs its recycles at -v"
kill "$DPID"
wait "$DPID"
stop_notify

done_testing
