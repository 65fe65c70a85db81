#!/bin/sh
# corral serve against its clients and its jobs, end to end. Hostile
# clients (malformed requests, broken frames, a stalled half frame, a
# client that never reads) get errors or are cut off while everyone else is
# served; jobs share the pool fairly and by priority; a child serves one
# job's profile for life; one job halting, failing to set up or losing its
# waiting client leaves the others running; SIGHUP resizes the pool,
# RELOADING=1/READY=1 and WATCHDOG=1 reach systemd, and a socket-activated
# service takes its listener. Raw clients: tests/ctlclient.py.
. "$(dirname "$0")/lib-serve.sh"

CTL="python3 $TOP/tests/ctlclient.py"

# section NAME: a state dir, socket and log of its own for what follows.
section() {
	S=$T/st-$1
	SOCK=$T/sock-$1
	LOG=$T/serve-$1.log
	CORRAL_SOCKET=$SOCK
	export S SOCK LOG CORRAL_SOCKET
}

# start [ARGS]: a service on $S and $SOCK, its systemd messages in notify.log.
start() {
	rm -f "$T/notify.sock"
	: > "$T/notify.log"
	"$NOTIFYSOCK" "$T/notify.sock" >> "$T/notify.log" &
	NPID=$!
	wait_until test -S "$T/notify.sock"
	NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=${WATCHDOG_USEC:-} \
	    "$CORRAL" serve -v -s "$S" --socket "$SOCK" "$@" 2>> "$LOG" &
	DPID=$!
	wait_until grep -q "READY=1" "$T/notify.log"
}

# stop DESCRIPTION: SIGTERM, and the service must exit 0.
stop() {
	kill -TERM "$DPID"
	wait "$DPID"
	is "$?" 0 "$1"
	kill "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
}

# field JOB KEY: one field of the job's status.
field() { "$CORRAL" status --json "$1" | jq -r ".$2"; }
# held JOB: children serving JOB now.
held() { "$CORRAL" workers --json | jq -r .job | grep -cx "$1"; }
# outcomes JOB: its files counted by outcome, " 5 ok"
outcomes() { "$CORRAL" results --json "$1" | jq -r .status | sort | uniq -c | tr -s ' '; }
# nworkers: child slots of the pool.
nworkers() { "$CORRAL" workers --json | jq -s length; }
# Conditions to wait for.
holds() { [ "$(held "$1")" "$2" "$3" ]; }		# holds JOB OP N
state_is() { [ "$(field "$1" state)" = "$2" ]; }	# state_is JOB STATE
twice_as_far() { [ "$(field "$1" done)" -gt $((2 * $(field "$2" done))) ]; }	# JOB1 JOB2
nworkers_is() { [ "$(nworkers)" -eq "$1" ]; }
gone() { ! kill -0 "$1"; }				# gone PID
told_at_least() { [ "$(grep -cx "$2" "$T/notify.log")" -ge "$1" ]; }	# told_at_least N LINE
# kib PID KEY: VmRSS or VmHWM of a process, KiB.
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# files DIR N [SUFFIX]: N small files in DIR, in name order.
files() {
	python3 -c 'import os, sys
d, n, suf = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open("%s/f%05d%s" % (d, i, suf), "w") as f:
        f.write("file %d\n" % i)' "$1" "$2" "${3:-}"
}

# ---- hostile clients ----
section hostile
files many 20000
files small 10
start -j 2
"$CORRAL" submit --wait -q -H sha256 --job many many > /dev/null 2>&1
is "$?" 0 "a 20,000-file job to read results of"

out=$($CTL "$SOCK" malformed small)
ok $? "malformed requests: each answered by one ERROR, alone or pipelined; the connection stays usable"
printf '%s\n' "$out"
$CTL "$SOCK" prehello
ok $? "a request before HELLO: ERROR unsupported; HELLO and JOBS work after it"
$CTL "$SOCK" version
ok $? "HELLO of another version: ERROR unsupported, then closed"
$CTL "$SOCK" badlen 0
ok $? "a length prefix of 0: closed"
$CTL "$SOCK" badlen 1048577
ok $? "a length prefix above 1 MiB: closed"
is "$(grep -c 'sent a frame of a bad length: closed' "$LOG")" 2 "... each logged"
$CTL "$SOCK" twoclose "$DPID"
ok $? "a bad length from one client and another's hang-up in one turn: both connections closed"

$CTL "$SOCK" stall "$T/stalled-1" &
SP1=$!
$CTL "$SOCK" stall "$T/stalled-2" nohello &
SP2=$!
$CTL "$SOCK" noread many "$T/noread-ready" "$T/noread-go" > noread.out &
NR=$!
wait_until test -e "$T/stalled-1" -a -e "$T/stalled-2" -a -e "$T/noread-ready"
out=$("$CORRAL" jobs)
is "$?" 0 "jobs is served while a client stalls in a half frame, one before its HELLO, and one leaves RESULTS unread"
like "$out" "^many +done" "... and says what it should"
"$CORRAL" submit --wait -q -H sha256 --job small small > /dev/null 2>&1
is "$?" 0 "... and so is submit --wait"
before=$(kib "$DPID" VmRSS)
echo 5 > "/proc/$DPID/clear_refs" 2>/dev/null	# VmHWM from now
touch "$T/noread-go"
wait "$NR"
ok $? "a client sending requests and reading no answer is disconnected"
cat noread.out
like "$(cat "$LOG")" "client $NR \(uid [0-9]+\) left its answers unread: closed" "... and logged"
grow=$(( $(kib "$DPID" VmHWM) - before ))
ok "$([ "$grow" -lt 131072 ]; echo $?)" "... the service's memory grew by ${grow} KiB for it, not by what it left unread"
out=$("$CORRAL" status --json many | jq -r .state)
is "$out" done "the stalled clients still there, status is served"
kill "$SP1" "$SP2"
wait "$SP1" "$SP2" 2>/dev/null
stop "the service stops cleanly after all that"

# ---- fairness: a small job behind a big one ----
section fair
files big 10000
files little 10
start -j 2
"$CORRAL" submit -q -H exec -x 'sleep 0.01; cat {}' --job big big > /dev/null
wait_until holds big -eq 2
"$CORRAL" submit --wait -q -H exec -x 'sleep 0.01; cat {}' --job little little > /dev/null 2>&1
is "$?" 0 "a 10-file job submitted behind a 10,000-file one is done"
n=$(field big done)
ok "$([ "$n" -lt 5000 ]; echo $?)" "... while the big one has most of its files pending ($n of 10000 done)"
"$CORRAL" cancel big 2> /dev/null
stop "stopped"

# ---- priority: a heavier job gets more of the pool ----
section prio
files light 4000
files heavy 4000
start -j 4
"$CORRAL" submit -q -H exec -x 'sleep 0.02; cat {}' --priority 10 --job light light > /dev/null
wait_until holds light -eq 4
"$CORRAL" submit -q -H exec -x 'sleep 0.02; cat {}' --priority 40 --job heavy heavy > /dev/null
wait_until holds heavy -ge 3
ok $? "priority 40 against 10 on 4 children: the heavier job holds 3 or more"
wait_until twice_as_far heavy light
ok $? "... and, started later, has done more than twice as many files ($(field heavy done) against $(field light done))"
"$CORRAL" cancel light 2> /dev/null
"$CORRAL" cancel heavy 2> /dev/null
stop "stopped"

# ---- a child serves one job's profile for life ----
section profile
files p 5
files slow 6 -slow
start -j 1
# sub ARGS: submit --wait of p
sub() { "$CORRAL" submit --wait -q "$@" p > /dev/null 2>&1; }
sub -H sha256 --job sha-1
sub -H "$PLUGIN" --job plug-1
is "$?" 0 "-j 1: a plugin job after a sha256 job: exit 0"
is "$(outcomes plug-1)" " 5 ok" "... its files ok, the first not crashed in the sha256 job's child"
sub -H "$PLUGIN" --job plug-2
sub -H sha256 --job sha-2
is "$?" 0 "a sha256 job after a plugin job: exit 0"
is "$(outcomes sha-2)" " 5 ok" "... its files ok"
sub -H archive --job arc-3
sub -H exec -x 'cat {}' --job exec-3
is "$?" 0 "an exec job after an archive job: exit 0"
is "$(outcomes exec-3)" " 5 ok" "... its files ok"
"$CORRAL" submit -q -H "$PLUGIN" --job slow-4 slow > /dev/null
"$CORRAL" submit --wait -q -H sha256 --job sha-4 slow > /dev/null 2>&1
is "$?" 0 "a sha256 job beside a running plugin job, one child between them: exit 0"
wait_until state_is slow-4 done
is "$(outcomes slow-4)" " 6 ok" "... the plugin job's files ok too"
stop "stopped"

# ---- one job's end is not the others' ----
section jobs
files clean 20 -slow
mkdir halt
i=0
while [ $i -lt 40 ]; do
	if [ $((i % 5)) -eq 0 ]; then echo x > "halt/h$i"; else echo x > "halt/h$i-fail"; fi
	i=$((i + 1))
done
start -j 2
"$CORRAL" submit --wait -q -H "$PLUGIN" --job clean clean > /dev/null 2>&1 &
CW=$!
wait_until holds clean -ge 1
"$CORRAL" submit --wait -q -H "$PLUGIN" --halt-on-error 20% --job halty halt > /dev/null 2>&1
is "$?" 3 "a job whose files mostly fail halts: submit --wait exit 3"
is "$(field halty state)" halted "... state halted"
wait "$CW"
is "$?" 0 "the job beside it runs on to its end: exit 0"
is "$(field clean state)" done "... state done"
is "$(outcomes clean)" " 20 ok" "... every file ok"

printf 'not a shared object\n' > notso.so
"$CORRAL" submit --wait -q -H "$T/notso.so" --job badplug small > /dev/null 2> badplug.err
is "$?" 2 "a plugin that cannot load: submit --wait exit 2"
is "$(field badplug state)" failed "... the job failed"
like "$(field badplug reason)" "set-up failed" "... its reason says the set-up failed"
"$CORRAL" submit --wait -q -H sha256 --job after-bad small > /dev/null 2>&1
is "$?" 0 "the service serves the next job"

# What only a run does is refused, not a job run without it.
for o in --dry-run "--results $T/rr -x cat" "--tag -x cat" "-k -x cat" "--no-output -x cat"; do
	# shellcheck disable=SC2086 # $o is words
	"$CORRAL" submit -q $o --job "dry${o%% *}" small > /dev/null 2> dry.err
	is "$?:$(cat dry.err)" "2:corral: submit: ${o%% *} is for 'corral run'" "submit ${o%% *}: refused"
	"$CORRAL" status "dry${o%% *}" > /dev/null 2>&1
	is "$?" 2 "... and no job submitted"
done

mkdir hang
echo x > hang/h-hang
"$CORRAL" submit --wait -q -H "$PLUGIN" -t 10m --job hang hang > /dev/null 2>&1 &
CP=$!
wait_until sh -c '"$CORRAL" workers --json | jq -r .path | grep -q h-hang'
wpid=$("$CORRAL" workers --json | jq -r 'select(.job == "hang") | .pid')
kill -9 "$CP"
wait "$CP" 2> /dev/null
wait_until gone "$wpid"
ok $? "submit --wait killed: the child running its job's file is killed"
wait_until state_is hang cancelled
ok $? "... and the job cancelled"
like "$(field hang reason)" "client went away" "... because its client went away"
stop "stopped"

# ---- SIGHUP, the watchdog ----
section hup
printf '[serve]\nworkers = 2\n' > serve.conf
WATCHDOG_USEC=200000 start --config "$T/serve.conf" --check-workers 0
is "$(nworkers)" 2 "workers = 2 from the configuration file"
wait_until told_at_least 3 WATCHDOG=1
ok $? "WATCHDOG_USEC=200000: WATCHDOG=1 on the notify socket, again and again"
printf '[serve]\nworkers = 3\n' > serve.conf
kill -HUP "$DPID"
wait_until nworkers_is 3
ok $? "workers = 3 and SIGHUP: 3 children"
# reload_told: RELOADING=1 came, and READY=1 after it
reload_told() {
	awk '/^RELOADING=1/ { r = NR } /^READY=1$/ && r && NR > r { ok = 1 } END { exit !ok }' \
	    "$T/notify.log"
}
wait_until reload_told
ok $? "... RELOADING=1, then READY=1"
printf '[serve]\nworkers = lots\n' > serve.conf
kill -HUP "$DPID"
wait_until grep -q "SIGHUP: .*stay as they were" "$LOG"
ok $? "a broken configuration on SIGHUP is logged"
is "$(nworkers)" 3 "... and changes nothing"
files slowh 12 -slow
"$CORRAL" submit -q -H "$PLUGIN" --job slowh slowh > /dev/null
wait_until holds slowh -eq 3
printf '[serve]\nworkers = 1\n' > serve.conf
kill -HUP "$DPID"
wait_until nworkers_is 1
ok $? "workers = 1 and SIGHUP while every child runs a job: the pool shrinks"
wait_until state_is slowh done
ok $? "... the files of the children stopped run again, and the job ends done"
is "$(outcomes slowh)" " 12 ok" "... each file recorded once, ok"
stop "stopped"

# ---- socket activation ----
section act
if have systemd-socket-activate; then
	systemd-socket-activate -l "$SOCK" -E ASAN_OPTIONS -E UBSAN_OPTIONS -E CORRAL_WORKER \
	    "$CORRAL" serve -s "$S" --socket "$SOCK" -j 1 2>> "$LOG" &
	DPID=$!
	wait_until test -S "$SOCK"
	"$CORRAL" submit --wait -q -H sha256 --job act small > /dev/null 2>&1
	is "$?" 0 "socket activation: the service takes the listener it is given and serves on it"
	like "$(cat "$LOG")" "serving .* on $SOCK" "... logged"
	kill -TERM "$DPID"
	wait "$DPID"
	is "$?" 0 "... and stops cleanly"
else
	skip "no systemd-socket-activate"
	skip "no systemd-socket-activate"
	skip "no systemd-socket-activate"
fi

done_testing
