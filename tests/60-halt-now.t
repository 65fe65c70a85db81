#!/bin/sh
# --halt in GNU parallel's form. now,fail=1: the first crash ends the job
# at once, the files held in children (by a handler that waits for ever
# on files the test leaves empty, so only a kill ends them) are stopped
# and stay pending, uncharged, exit status 3; run again, they are done.
# soon,fail=1: no new file goes out, but the file in a child finishes
# before the job ends halted. soon,fail=N counts exactly N files failed,
# crashed or timed out, in this run only; skipped files do not count;
# fail=P% is --halt-on-error P%. The rule is the job's spec, and goes
# through submit.
. "$(dirname "$0")/lib-serve.sh"
unset CORRAL_SOCKET

# status DIR: "STATE ok failed crashed pending" of the job in DIR.
status() {
	"$CORRAL" status -s "$1" --json | jq -r '"\(.state) \(.ok) \(.failed) \(.crashed) \(.pending)"'
}

# gone PID: the process has ended.
gone() { ! alive "$1"; }

# status_is DIR WANT: the job's status, as committed, is WANT.
status_is() { [ "$(status "$1")" = "$2" ]; }

# ---- now,fail=1: files in children are killed, not charged ----
mkdir now
: > now/a-await
: > now/b-await
: > now/c-await-segv
echo x > now/d-ok
echo x > now/e-ok
set -- -s stn -j 3 --depth 1 -r 0 -t 1h -H "$PLUGIN" --halt now,fail=1 now
"$CORRAL" run "$@" > /dev/null 2> now.err &
RPID=$!
# All three in children, then the third crashes.
wait_until sh -c '[ "$(grep -c "await: waiting" now.err)" -ge 3 ]'
echo x > now/c-await-segv
wait_until gone "$RPID"
if alive "$RPID"; then kill -9 "$RPID"; fi
wait "$RPID"
is "$?" 3 "--halt now,fail=1: the run ends at the crash, exit status 3"
like "$(cat now.err)" "halted: 1 file failed, crashed or timed out in this run, --halt now,fail=1" \
    "... the reason said"
is "$(grep -c 'halted: 1 file failed' now.err)" 1 "... once"
is "$(grep -c 'await: waiting' now.err)" 3 "... while two other files were held in children"
is "$(status stn)" "halted 0 0 1 4" "... the job halted: the crash recorded, four files pending"
is "$("$CORRAL" results -s stn --json | jq -r '"\(.path) \(.status)"')" "now/c-await-segv crashed" \
    "... the held files recorded as nothing, not as failures"
echo released > now/a-await
echo released > now/b-await
"$CORRAL" run "$@" > /dev/null 2> now2.err
is "$?" 1 "run again: the job ends, status 1 (the crash stays)"
is "$(status stn)" "done 4 0 1 0" "... every file done"
is "$("$CORRAL" results -s stn --json | jq -r 'select(.path | test("a-await|b-await")) | "\(.status) \(.attempts)"' |
    tr '\n' ' ')" "ok 1 ok 1 " "... the held files ok at their first charged attempt"

# ---- soon,fail=1: the file in a child finishes first ----
mkdir soon
: > soon/a-await
echo x > soon/b-fail
echo x > soon/c-ok
echo x > soon/d-ok
"$CORRAL" run -s sts -j 2 --depth 1 -r 0 -t 1h -H "$PLUGIN" --halt soon,fail=1 soon \
    > /dev/null 2> soon.err &
RPID=$!
wait_until grep -q 'halting: 1 file failed' soon.err
wait_until status_is sts "running 0 1 0 3"
is "$(status sts)" "running 0 1 0 3" "--halt soon,fail=1: after the failure (committed) the job waits"
ok "$(alive "$RPID"; echo $?)" "... and the run with it, for the file still in a child"
echo released > soon/a-await
wait_until gone "$RPID"
if alive "$RPID"; then kill -9 "$RPID"; fi
wait "$RPID"
is "$?" 3 "... which finishes: the run ends, status 3"
is "$(status sts)" "halted 1 1 0 2" "... that file ok, nothing else sent"
like "$(cat soon.err)" "halted: 1 file failed, crashed or timed out in this run, --halt soon,fail=1" \
    "... the reason said"
is "$(grep -c 'halted: 1 file failed' soon.err)" 1 "... once"

# ---- soon,fail=1: the files queued behind the running one never run ----
# One child, four files sent to it at once: the failure is answered; the
# files queued behind it (each would wait for ever) go back pending.
mkdir queued
echo x > queued/a-fail
: > queued/b-await
: > queued/c-await
: > queued/d-await
"$CORRAL" run -s stq -j 1 --depth 4 -r 0 -t 1h -H "$PLUGIN" --halt soon,fail=1 queued \
    > /dev/null 2> queued.err &
QPID=$!
wait_until gone "$QPID"
if alive "$QPID"; then kill -9 "$QPID"; fi
wait "$QPID"
is "$?" 3 "--halt soon,fail=1 with files queued at the child: halted, exit status 3"
is "$(status stq)" "halted 0 1 0 3" "... the failure recorded, the three queued files pending"

# ---- soon,fail=N counts exactly, in this run ----
mkdir count
for f in 1-ok 2-fail 3-ok 4-fail 5-ok 6-ok 7-fail 8-ok; do echo x > "count/$f"; done
"$CORRAL" run -q -s stc -j 1 --depth 1 -r 0 -H "$PLUGIN" --halt soon,fail=2 count 2> /dev/null
is "$?" 3 "--halt soon,fail=2 over ok, fail, ok, fail, ...: halted"
is "$(status stc)" "halted 2 2 0 4" "... at the second failure, not the first"
"$CORRAL" run -q -s stc -j 1 --depth 1 -r 0 -H "$PLUGIN" --halt soon,fail=2 count 2> /dev/null
is "$?" 1 "run again: the two of the first run do not count"
is "$(status stc)" "done 5 3 0 0" "... one more failure is not two: the job done"
"$CORRAL" run -q -s stc3 -j 1 --depth 1 -r 0 -H "$PLUGIN" --halt now,fail=4 count 2> /dev/null
is "$?:$(status stc3)" "1:done 5 3 0 0" "--halt now,fail=4 with three failures: never halts"
mkdir skip
ln -s nowhere skip/1-link
ln -s nowhere skip/2-link
echo x > skip/3-ok
"$CORRAL" run -q -s stk -H "$PLUGIN" --halt now,fail=1 skip 2> /dev/null
is "$?:$("$CORRAL" status -s stk --json | jq -r '"\(.state) \(.skipped)"')" "1:done 2" \
    "skipped files do not count as failed"
"$CORRAL" run -q -s stp -j 1 --depth 1 -r 0 -H "$PLUGIN" --halt now,fail=25% \
    --halt-min-sample 4 count 2> pct.err
is "$?:$(status stp)" "3:halted 2 2 0 4" "--halt now,fail=25%: --halt-on-error 25% after 4 files"
like "$(cat pct.err)" "over --halt-on-error 25.0%" "... and says so"

# ---- the rule is the job's ----
name=$("$CORRAL" status -s stc --json | jq -r .job)
out=$("$CORRAL" run -q -s stc --job "$name" -j 1 -r 0 -H "$PLUGIN" --halt now,fail=2 count 2>&1)
is "$?" 2 "the same job with another --halt is refused"
like "$out" "was run with --halt soon,fail=2; this command has --halt now,fail=2" "... naming both"

# ---- through a service ----
start --check-workers 0
ok $? "the service starts"
export CORRAL_SOCKET=$SOCK
"$CORRAL" submit --wait -q --job sub -r 0 -H "$PLUGIN" --halt now,fail=2 "$T/count" \
    > /dev/null 2>&1
is "$?" 3 "submit --wait --halt now,fail=2: halted, status 3"
is "$("$CORRAL" status --json sub | jq -r '"\(.state) \(.failed)"')" "halted 2" \
    "... at the second failure"
alive "$DPID" && kill -TERM "$DPID"
wait "$DPID"
stop_notify
done_testing
