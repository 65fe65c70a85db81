#!/bin/sh
# corral serve: one pool for many jobs behind a control socket. Start,
# submit, watch, pause/resume, cancel, delete, retry; READY/STATUS/STOPPING
# to systemd; SIGTERM with jobs resumable; kill -9 and restart with every
# file recorded once and paused jobs still paused; `run` refused on a
# service's state dir and its interrupted job taken up by the service.
. "$(dirname "$0")/lib-serve.sh"

mkdir small big slow
i=0
while [ $i -lt 10 ]; do echo "small $i" > "small/s$i"; i=$((i + 1)); done
i=0
while [ $i -lt 400 ]; do echo "big $i" > "big/b$(printf %04d $i)"; i=$((i + 1)); done
i=0
while [ $i -lt 40 ]; do echo x > "slow/f$(printf %02d $i)-slow"; i=$((i + 1)); done

# ---- start, submit --wait, the readers ----
start
ok $? "the service says READY=1 once its socket listens"
test -S "$SOCK"
ok $? "... the socket is there"
"$CORRAL" submit --wait -q -H sha256 --job small small > sub.out 2> sub.err
is "$?" 0 "submit --wait: exit 0 when every file is ok"
is "$(head -1 sub.out)" small "... the job's name printed first"
is "$("$CORRAL" results --json small | jq -r .status | sort | uniq -c | tr -s ' ')" " 10 ok" \
    "results over the socket: 10 ok"
is "$("$CORRAL" status --json small | jq -r .state)" done "status over the socket: done"
is "$(CORRAL_SOCKET= "$CORRAL" status -s "$S" --json small | jq -r .state)" done \
    "status without the socket reads the state dir, read-only, while the service runs"
"$CORRAL" run -q -s "$S" -H sha256 small > /dev/null 2> run.err
is "$?" 2 "run on a service's state dir is refused"
like "$(cat run.err)" "submit --wait" "... pointing to corral submit --wait"

# ---- pause, resume, cancel, delete ----
"$CORRAL" submit -q -H "$PLUGIN" --job slow slow > /dev/null
"$CORRAL" pause slow 2> /dev/null
is "$?" 0 "pause"
wait_until sh -c '[ "$("$CORRAL" status --json slow | jq -r .state)" = paused ]'
ok $? "... status says paused"
is "$("$CORRAL" delete slow 2> /dev/null; echo $?)" 2 "delete of a paused job is refused"
n1=$("$CORRAL" status --json slow | jq -r .done)
wait_until sh -c '! "$CORRAL" workers --json | jq -r .path | grep -q slow'
n2=$("$CORRAL" status --json slow | jq -r .done)
ok "$([ "$n2" -lt 40 ]; echo $?)" "a paused job takes no new files ($n1 then $n2 of 40)"

# ---- SIGTERM: a clean stop; paused stays paused after the restart ----
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "SIGTERM: exit 0"
like "$(cat notify.log)" "STOPPING=1" "STOPPING=1 sent"
like "$(cat notify.log)" "STATUS=[0-9]+ jobs? running" "STATUS= lines sent"
stop_notify
test -S "$SOCK"
ok "$([ $? -ne 0 ]; echo $?)" "the socket is gone"
start
is "$("$CORRAL" status --json slow | jq -r .state)" paused "a paused job is paused after a restart"
"$CORRAL" resume slow 2> /dev/null
is "$?" 0 "resume"
wait_until sh -c '[ "$("$CORRAL" status --json slow | jq -r .state)" = done ]'
ok $? "... it runs to its end"
is "$("$CORRAL" results --json slow | jq -r .path | sort | uniq | wc -l | tr -d ' ')" 40 \
    "each of its 40 files recorded"
is "$("$CORRAL" results --json slow | wc -l | tr -d ' ')" 40 "... once"

"$CORRAL" delete slow 2> /dev/null
is "$?" 0 "delete a done job"
"$CORRAL" status slow > /dev/null 2> del.err
is "$?" 2 "... it is gone"
like "$(cat del.err)" "no_such_job" "... named so"

# ---- cancel reaches the work ----
mkdir hang
echo x > hang/h-hang
"$CORRAL" submit -q -H "$PLUGIN" --job hang -t 10m hang > /dev/null
wait_until sh -c '"$CORRAL" workers --json | jq -r .path | grep -q h-hang'
wpid=$("$CORRAL" workers --json | jq -r 'select(.job == "hang") | .pid')
"$CORRAL" cancel hang 2> /dev/null
is "$?" 0 "cancel"
wait_until sh -c "! kill -0 $wpid"
ok $? "... the child running its file is killed"
is "$("$CORRAL" status --json hang | jq -r .state)" cancelled "... state cancelled"
is "$("$CORRAL" status --json hang | jq -r .done)" 0 "... its file not recorded: it stays pending"

# ---- retry ----
mkdir mixed
for n in a b c; do echo x > "mixed/$n-fail"; echo x > "mixed/$n"; done
"$CORRAL" submit --wait -q -H "$PLUGIN" --job mixed mixed > /dev/null 2>&1
is "$?" 1 "submit --wait: exit 1 when files fail"
for n in a b c; do mv "mixed/$n-fail" "mixed/$n-fine"; ln -s "$n-fine" "mixed/$n-fail"; done
"$CORRAL" retry mixed 2> /dev/null
is "$?" 0 "retry"
wait_until sh -c '[ "$("$CORRAL" status --json mixed | jq -r .state)" = done ]'
is "$("$CORRAL" results --json mixed | jq -r .status | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
    " 3 ok, 3 skipped," "the failed files ran again (now links: skipped), the ok ones did not"

# ---- watch: a job's events to its end ----
"$CORRAL" submit -q -H "$PLUGIN" --job watched slow > /dev/null
"$CORRAL" watch --json watched > watch.out 2> /dev/null
is "$?" 0 "watch: exit 0 when the job ends done"
is "$(jq -r .status watch.out 2>/dev/null | sort -u)" ok \
    "... each file's outcome in JSON as it was recorded"
ok "$([ "$(wc -l < watch.out)" -gt 0 ]; echo $?)" "... $(wc -l < watch.out | tr -d ' ') of them"

# ---- kill -9 mid-job: every file once after the restart; paused stays paused ----
"$CORRAL" submit -q -H "$PLUGIN" --job stilled slow > /dev/null
"$CORRAL" pause stilled 2> /dev/null
"$CORRAL" submit -q -H exec -x 'sleep 0.01; cat {}' --job big big > /dev/null
wait_until sh -c '[ "$("$CORRAL" status --json big | jq -r .done)" -gt 0 ]'
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
stop_notify
start
like "$(cat serve.log)" "job big taken up" "the restarted service takes up the job"
"$CORRAL" watch mixed > /dev/null 2>&1
is "$?" 1 "watch of a job that ended before the restart: exit by its record (files not ok: 1)"
wait_until sh -c '[ "$("$CORRAL" status --json big | jq -r .state)" = done ]'
ok $? "... and finishes it"
is "$("$CORRAL" results --json big | jq -r .path | sort | uniq -d | wc -l | tr -d ' ')" 0 \
    "no file recorded twice"
is "$("$CORRAL" results --json big | jq -r .path | wc -l | tr -d ' ')" 400 "all 400 recorded"
is "$("$CORRAL" status --json stilled | jq -r .state)" paused "a paused job is paused after kill -9 and a restart"

# ---- a run's interrupted job, taken up by the service ----
kill -TERM "$DPID"
wait "$DPID"
stop_notify
mkdir runin
i=0
while [ $i -lt 30 ]; do echo x > "runin/r$i-slow"; i=$((i + 1)); done
"$CORRAL" run -q -j 1 -s "$S" -H "$PLUGIN" --job fromrun runin > /dev/null 2>&1 &
RPID=$!
wait_until sh -c '[ "$(CORRAL_SOCKET= "$CORRAL" status -s "$S" --json fromrun | jq -r .done)" -gt 0 ]'
kill -INT $RPID
wait $RPID
is "$(CORRAL_SOCKET= "$CORRAL" status -s "$S" --json fromrun | jq -r .state)" interrupted \
    "a run stopped: interrupted"
cd /
start --socket-mode 0666
cd "$T"
wait_until sh -c '[ "$("$CORRAL" status --json fromrun | jq -r .state)" = done ]'
ok $? "the service takes up the run's job (its relative paths too) and finishes it"
is "$("$CORRAL" results --json fromrun | jq -r .status | sort | uniq -c | tr -s ' ')" " 30 ok" \
    "... every file ok, none skipped as missing"

# ---- a stranger is refused ----
if [ "$(id -u)" -eq 0 ] && have setpriv; then
	chmod 755 "$T"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CORRAL" jobs --socket "$SOCK" 2>&1)
	like "$out" "denied|Permission denied" "another uid is refused"
	like "$(cat serve.log)" "refused" "... and logged"
else
	skip "not root: no other uid to try"
	skip "not root"
fi

# ---- an allowed user reads only what it may; others' jobs are not its ----
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
if [ "$(id -u)" -eq 0 ] && have setpriv; then
	kill -TERM "$DPID"
	wait "$DPID"
	stop_notify
	start --socket-mode 0666 --allow-users 65534
	mkdir -p pub/shut
	echo "public" > pub/open.txt
	echo "top secret" > pub/secret.txt
	chmod 600 pub/secret.txt
	echo "hidden" > pub/shut/inner.txt
	chmod 700 pub/shut
	chmod 755 pub
	$AS_NOBODY "$CORRAL" submit --wait -q --job peek -x 'cat {}' "$T/pub" > /dev/null 2> peek.err
	$AS_NOBODY "$CORRAL" results --json peek > peek.json
	is "$(jq -r 'select(.status == "ok") | .path' peek.json | sed 's|.*/||')" open.txt \
	    "another user's job: only the file it may read is read"
	ok "$(grep -q 'top secret\|hidden' peek.json; [ $? -ne 0 ]; echo $?)" "... nothing it may not read reaches it"
	like "$(jq -r 'select(.path | endswith("secret.txt")) | .error' peek.json)" "Permission denied" \
	    "... a file it may not read is skipped: Permission denied"
	like "$(jq -r 'select(.path | endswith("shut")) | .error' peek.json)" "Permission denied" \
	    "... a directory it may not enter is not walked"
	$AS_NOBODY "$CORRAL" status small > /dev/null 2> deny.err
	is "$?" 2 "a user may not look at another's job"
	like "$(cat deny.err)" "denied" "... denied"
	$AS_NOBODY "$CORRAL" delete big > /dev/null 2>&1
	is "$("$CORRAL" status --json big | jq -r .state)" done "... nor delete it"
	is "$($AS_NOBODY "$CORRAL" jobs --json | jq -r .job)" peek "jobs lists only its own"
	"$CORRAL" submit --wait -q -H sha256 --job rootjob "$T/pub" > /dev/null 2>&1
	$AS_NOBODY "$CORRAL" submit --wait -q -H sha256 --job rootjob "$T/pub" > /dev/null 2> take.err
	is "$?" 2 "another user's finished job cannot be taken over by submitting it again"
	like "$(cat take.err)" "denied: job rootjob is another user's" "... denied"
else
	for n in 1 2 3 4 5 6 7 8 9 10; do skip "not root: no other uid to try"; done
fi

# ---- a running job is not started twice ----
"$CORRAL" submit -q -H "$PLUGIN" --job twice slow > /dev/null
"$CORRAL" submit -q -H "$PLUGIN" --job twice slow > /dev/null 2> twice.err
is "$?" 2 "submitting a running job again is refused"
like "$(cat twice.err)" "bad_state: job twice is running already" "... it runs already"
"$CORRAL" cancel twice 2> /dev/null

kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops cleanly"
stop_notify

# ---- --keep: finished jobs go, logged; running ones stay ----
S=$T/st2
start --keep 2s
"$CORRAL" submit --wait -q -H sha256 --job kept small > /dev/null 2>&1
is "$("$CORRAL" jobs --json | jq -r .job)" kept "a finished job is listed"
wait_until sh -c '! "$CORRAL" jobs --json | grep -q kept'
ok $? "--keep 2s: it is deleted once it has been finished that long"
like "$(cat serve.log)" "job kept deleted: done [0-9]+ s ago, past --keep" "... and the deletion is logged"
kill -TERM "$DPID"
wait "$DPID"
stop_notify
done_testing
