#!/bin/sh
# Prometheus metrics (supervisor/metrics.c, docs/metrics.md). A run of
# known files (4 ok, 2 failed, 1 timeout) writes --metrics-file whose
# series say exactly that: files by outcome, the job's record, one timeout
# kill, one commit-histogram observation per commit --stats counted, the
# histogram's outcomes summing to the files. `corral metrics -s DIR` gives
# the job records alone, `corral metrics` the service's, and another
# user's only its own jobs. A job name with a quote, a backslash, a
# newline and bytes that are not UTF-8 still gives valid output. Every
# output is checked by tests/promcheck.py (prometheus_client's parser and
# the format's rules) and by promtool when scripts/deps.sh found one. The
# file is replaced atomically: a reader reading it over and over while it
# is rewritten only ever sees whole, valid files. A file that cannot be
# written is logged once and changes no outcome.
. "$(dirname "$0")/lib-serve.sh"

unset CORRAL_SOCKET	# state directories are read first; the service's below
PROMTOOL=
if have promtool; then PROMTOOL=promtool
elif [ -x "$TOP/build/tools/promtool" ]; then PROMTOOL=$TOP/build/tools/promtool; fi

# valid FILE DESCRIPTION: by both validators.
valid() {
	_v=$(/usr/bin/python3 "$TOP/tests/promcheck.py" "$1" 2>&1)
	ok $? "$2: valid (prometheus_client, the format's rules)"
	[ -n "$_v" ] && echo "$_v"
	if [ -n "$PROMTOOL" ]; then
		_v=$("$PROMTOOL" check metrics < "$1" 2>&1)
		ok $? "$2: promtool check metrics"
		[ -n "$_v" ] && echo "$_v" | sed 's/^/#   /'
	else
		skip "no promtool (scripts/deps.sh fetches it)"
	fi
}

# value FILE SERIES: the value of the sample written exactly so.
value() {
	S=$2 awk 'substr($0, 1, length(ENVIRON["S"]) + 1) == ENVIRON["S"] " " { print $NF }' "$1"
}

# ---- a run of known files ----
mkdir in
for i in 1 2 3 4; do echo ok > in/ok$i; done
for i in 1 2; do echo bad > in/bad$i; done
echo slow > in/slow
cat > h.sh <<'SH'
read l < "$1"
case $l in ok) exit 0;; bad) exit 1;; esac
exec sleep 30
SH
"$CORRAL" run -q -j 2 -s st -r 0 --timeout 0.5s -x "sh $T/h.sh {}" --job J --stats stats.json \
    --metrics-file m.prom in 2> run.err
is "$?" 1 "a run with failed files exits 1"
valid m.prom "--metrics-file after a run"
for o in ok:4 failed:2 crashed:0 timeout:1 skipped:0; do
	is "$(value m.prom "corral_files_total{job=\"J\",outcome=\"${o%%:*}\"}")" "${o#*:}" \
	    "corral_files_total ${o%%:*}: ${o#*:}"
	is "$(value m.prom "corral_job_files{job=\"J\",outcome=\"${o%%:*}\"}")" "${o#*:}" \
	    "... corral_job_files ${o%%:*} the same"
done
is "$(value m.prom 'corral_job_files_known{job="J"}'):$(value m.prom 'corral_job_files_pending{job="J"}')" \
    "7:0" "7 files known, none pending"
is "$(value m.prom 'corral_jobs{state="done"}'):$(value m.prom 'corral_jobs{state="running"}')" "1:0" \
    "jobs by state: one done, none running (every state written)"
is "$(grep -c '^corral_jobs{' m.prom)" 7 "... each of the seven states has its series"
is "$(value m.prom corral_task_timeouts_total):$(value m.prom 'corral_child_kills_total{reason="timeout"}')" \
    "1:1" "one timeout kill"
commits=$(jq -r .commits stats.json)
is "$(value m.prom corral_commit_duration_seconds_count)" "$commits" \
    "commit duration histogram: one observation per commit (--stats: $commits)"
is "$(value m.prom corral_commit_outcomes_count):$(value m.prom corral_commit_outcomes_sum)" "$commits:7" \
    "outcomes per commit: as many observations, summing to the 7 files"
is "$(value m.prom 'corral_commit_outcomes_bucket{le="+Inf"}')" "$commits" "... +Inf bucket is the count"
is "$(value m.prom corral_check_duration_seconds_count)" 0 "no check in a run"
like "$(value m.prom process_resident_memory_bytes):$(value m.prom process_open_fds)" '^[1-9][0-9.e+]*:[1-9][0-9]*$' \
    "the process's resident memory and open descriptors"
like "$(value m.prom process_start_time_seconds)" '^1[0-9]{9}' "... and its start time, Unix seconds"
is "$(value m.prom 'corral_build_info{version="'"$("$CORRAL" --version | awk 'NR == 1 { print $2 }')"'"}')" 1 \
    "build info names the version"
is "$(ls | grep -c 'm.prom.tmp')" 0 "no temporary file left"

# ---- the state directory, read ----
"$CORRAL" metrics -s st > fromdir.prom
is "$?" 0 "corral metrics -s DIR"
valid fromdir.prom "corral metrics -s DIR"
is "$(value fromdir.prom 'corral_job_files{job="J",outcome="ok"}'):$(value fromdir.prom 'corral_jobs{state="done"}')" \
    "4:1" "... the job's record"
like "$(head -1 fromdir.prom)" '^# .*job records only' "... says in a comment that it knows the records alone"
is "$(grep -c '^corral_files_total\|^corral_children\|^process_' fromdir.prom)" 0 "... and nothing else"

# ---- a name of every hard kind, from a run (quote, backslash) ----
mkdir in2
echo x > in2/a
"$CORRAL" run -q -s st -H sha256 --job 'q"b\s' in2 --metrics-file m2.prom 2> /dev/null
valid m2.prom "a job named q\"b\\s"
is "$(value m2.prom 'corral_files_total{job="q\"b\\s",outcome="ok"}')" 1 "... its label escaped"

# ---- a file that cannot be written: logged once, no outcome changed ----
echo x > notadir
"$CORRAL" run -q -s st3 -H sha256 --metrics-file notadir/m.prom in2 2> bad.err
is "$?" 0 "--metrics-file under a file, not a directory: the run still exits 0"
is "$(grep -c 'unable to write --metrics-file' bad.err)" 1 "... one line logged, though written twice"
is "$(ls | grep -c '^notadir.*tmp')" 0 "... no temporary left"

# ---- what is not a regular file is never replaced: refused at once ----
mkdir mdir
mkfifo mfifo
ln -s m2.prom mlink
for p in mdir mfifo mlink; do
	"$CORRAL" run -q -s st5 -H sha256 --metrics-file "$p" in2 > /dev/null 2> refused.err
	is "$?" 2 "--metrics-file naming $p: a usage error"
	like "$(cat refused.err)" "--metrics-file: $p is a [a-zA-Z ]*, not a regular file" "... saying what is there"
done
ok "$([ -d mdir ] && [ -p mfifo ] && [ -L mlink ]; echo $?)" "... each left as it was"
"$CORRAL" jobs -s st5 > /dev/null 2>&1
ok "$([ $? -ne 0 ] || [ -z "$("$CORRAL" jobs -s st5 2>/dev/null)" ]; echo $?)" "... and no job was opened"
"$CORRAL" run -q -s st4 -H sha256 --metrics-file nodir/m.prom in2 2> bad2.err
is "$?:$("$CORRAL" status -s st4 --json | jq -r .ok)" "0:1" "a missing directory: exit 0, the file ok"

# ---- the service ----
start --metrics-file "$T/sm.prom" --socket-mode 0666 --allow-users 65534
ok $? "a service with --metrics-file"
export CORRAL_SOCKET=$SOCK
"$CORRAL" submit --wait -q -H sha256 --job K "$T/in" > /dev/null 2>&1
is "$?" 0 "a job of 7 files through the service"
"$CORRAL" check -H sha256 "$T/in/ok1" > /dev/null 2>&1
is "$?" 0 "one check"
"$CORRAL" metrics > svc.prom
is "$?" 0 "corral metrics --socket"
valid svc.prom "corral metrics from the service"
is "$(value svc.prom 'corral_files_total{job="K",outcome="ok"}')" 7 "... the job's files"
is "$(value svc.prom corral_check_duration_seconds_count)" 1 "... the check, in its histogram"
is "$(grep -c 'job="check-' svc.prom)" 0 "... no series of the check lane's profile"
# A name of any bytes, as only a raw client sends it.
/usr/bin/python3 "$TOP/tests/ctlclient.py" "$SOCK" named "$(printf 'w"\\\n\377\300z' | od -An -tx1 | tr -d ' \n')" in2
ok $? "a job named with a quote, a backslash, a newline and bytes not UTF-8"
named_done() { "$CORRAL" metrics | grep -qF 'corral_job_files{job="w\"\\\n'"$(printf '\357\277\275\357\277\275')"'z",outcome="ok"} 1'; }
wait_until named_done
ok $? "... its series: escaped, the bad bytes U+FFFD"
"$CORRAL" metrics > named.prom
valid named.prom "metrics with that name"
if [ "$(id -u)" -eq 0 ] && have setpriv; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CORRAL" metrics > nobody.prom
	is "$?" 0 "another user asks"
	valid nobody.prom "another user's metrics"
	is "$(grep -c 'job=' nobody.prom):$(grep -c '^corral_children_alive' nobody.prom)" "0:1" \
	    "... no job's series but its own (none), the pool's still"
else
	skip "not root: no other uid"; skip "not root"; skip "not root"; skip "not root"
fi

# The file, read over and over while the service rewrites it.
wait_until test -s sm.prom
mkdir snaps
/usr/bin/python3 "$TOP/tests/promcheck.py" --watch sm.prom 3 snaps
ok $? "--metrics-file: every read of it while it was replaced twice is whole and valid"
valid snaps/snap3 "the service's file"
is "$(value snaps/snap3 'corral_files_total{job="K",outcome="ok"}')" 7 "... with the job's files"
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops"
stop_notify
valid sm.prom "the service's file, written at its end"
is "$(ls | grep -c 'sm.prom.tmp')" 0 "no temporary file left"

done_testing
