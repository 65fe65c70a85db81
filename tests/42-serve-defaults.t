#!/bin/sh
# corral serve's [defaults]: a job submitted without one of its options gets
# the configuration file's value and keeps it in its spec, which its results
# show; a job that gives the option keeps its own. A SIGHUP with another
# default changes the jobs submitted after it only. A bad value is one line
# naming PATH:LINE: at start the service does not start, on SIGHUP it is
# logged and nothing changes. A key in the wrong section is refused naming
# the section; a default that an option of the client rules out is left
# out; flags win over the file after a SIGHUP too; and every key of
# systemd/corral.conf, uncommented, starts the service.
. "$(dirname "$0")/lib-serve.sh"

CONF=$T/corral.conf
mkdir slow tars d
echo x > slow/x-slow
for n in 1 2 3 4 5; do echo "$n" > "d/f$n"; done
tar cf tars/six.tar d	# six entries: d/ and five files
rm -r d

# error JOB: its one file's status and error, as results show them.
error() {
	"$CORRAL" results --json "$1" | jq -r '.status + ": " + (.error // "")'
}

# ---- the defaults, and the options given over them ----
cat > "$CONF" <<EOF
[serve]
workers = 3

[defaults]
handler = $PLUGIN
timeout = 100ms
max-entries = 2
max-strikes = 3
EOF
start --config "$CONF" --check-workers 0
ok $? "the service starts with [defaults]"

"$CORRAL" submit --wait -q --job a slow > /dev/null 2>&1
is "$(error a)" "timeout: timeout after 0.1s" \
    "a job without -H or -t gets the default handler and timeout (a 300 ms file times out)"
"$CORRAL" submit --wait -q --job b -t 5s slow > /dev/null 2>&1
is "$(error b)" "ok: " "one that gives -t keeps its own"
"$CORRAL" submit --wait -q --job c -H archive tars > /dev/null 2>&1
is "$(error c)" "failed: too_many_entries: over 2" "a job without --max-entries gets the default"
"$CORRAL" submit --wait -q --job d -H archive --max-entries 100 tars > /dev/null 2>&1
is "$(error d)" "ok: " "one that gives --max-entries keeps its own"
"$CORRAL" submit --wait -q --job s -H sha256 slow > /dev/null 2>&1
is "$(error s)" "ok: " "one that gives -H, no -t, gets the default timeout too (sha256 takes no 100 ms)"
is "$(CORRAL_SOCKET= "$CORRAL" status -s "$S" --json a | jq -r .handler)" "$PLUGIN" \
    "the job's record holds the default handler"
is "$("$CORRAL" workers --json | jq -r .slot | wc -l | tr -d ' ')" 2 "-j 2 wins over workers = 3"

# ---- SIGHUP: the jobs submitted after it ----
sed -i 's/^max-entries = 2$/max-entries = 3/' "$CONF"
kill -HUP "$DPID"
wait_until grep -q "SIGHUP: .* read again" serve.log
"$CORRAL" submit --wait -q --job e -H archive tars > /dev/null 2>&1
is "$(error e)" "failed: too_many_entries: over 3" "after SIGHUP a new job gets the new default"
is "$("$CORRAL" workers --json | jq -r .slot | wc -l | tr -d ' ')" 2 "... and -j 2 still wins over the file's workers"
"$CORRAL" retry c 2> /dev/null
wait_until sh -c '[ "$("$CORRAL" status --json c | jq -r .state)" = done ]'
is "$(error c)" "failed: too_many_entries: over 2" "a job submitted before keeps its own: retried, still over 2"
"$CORRAL" submit -q --job c -H archive tars > /dev/null 2> again.err
is "$?" 2 "the same submit again is refused: its spec changed with the defaults"
like "$(cat again.err)" "exists: job c was run with --max-entries 2; this command has --max-entries 3.*\[defaults\]" \
    "... naming the option, the kept and the new value, and the defaults"

# ---- a bad value on SIGHUP: logged, nothing changes ----
sed -i 's/^max-entries = 3$/max-entries = many/' "$CONF"
: > serve.log
kill -HUP "$DPID"
wait_until grep -q "SIGHUP" serve.log
# Only the reload's line: a job's own line may land in the log meanwhile.
is "$(grep SIGHUP serve.log)" "corral: SIGHUP: $CONF:7: max-entries: 'many' is not a whole number from 1 to 4294967295; the settings stay as they were" \
    "a bad default on SIGHUP: one line naming PATH:LINE"
"$CORRAL" submit --wait -q --job f -H archive tars > /dev/null 2>&1
is "$(error f)" "failed: too_many_entries: over 3" "... and the defaults stay as they were"
alive "$DPID"
ok $? "... the service runs on"

# ---- a default that an option of the client rules out ----
mkdir out
cat > "$CONF" <<EOF
[defaults]
extract = $T/out
fail-on = suspicious
EOF
kill -HUP "$DPID"
wait_until grep -q "SIGHUP: .* read again" serve.log
"$CORRAL" submit --wait -q --job x1 -H sha256 tars > /dev/null 2> x1.err
is "$? $(error x1)" "0 ok: " "a default extract is left out for -H sha256, not refused"
"$CORRAL" submit --wait -q --job x2 tars > /dev/null 2>&1
is "$(ls out/x2 2> /dev/null | wc -l | tr -d ' ')" 1 "... and taken by an archive job"
"$CORRAL" submit --wait -q --job x3 --extract "$T/out" --extract-suspicious tars > /dev/null 2> x3.err
is "$?" 0 "--extract-suspicious given: the default fail-on suspicious is left out"

kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops cleanly"
stop_notify

# ---- a bad value at start: one line naming PATH:LINE ----
# refused BODY: how `corral serve --config` takes a file of BODY's lines.
refused() {
	printf '%b\n' "$1" > bad.conf
	"$CORRAL" serve -s "$T/st2" --socket "$T/sock2" --config "$T/bad.conf" > /dev/null 2> bad.err
	echo "$? $(cat bad.err)"
}
is "$(refused '[serve]\nworkers = 2\n[defaults]\ntimeout = soon')" \
    "2 corral: $T/bad.conf:4: timeout: 'soon' is not a duration like 250ms, 30s, 2m, or a share of the median like 200%" \
    "a bad default at start: exit 2 and one line naming PATH:LINE"
is "$(refused '[defaults]\nmax-entries = 0')" \
    "2 corral: $T/bad.conf:2: max-entries: '0' is not a whole number from 1 to 4294967295" \
    "... the flag's own check and message"
is "$(refused '[defaults]\nentry-sha256 = maybe')" "2 corral: $T/bad.conf:2: entry-sha256: 'maybe' is not yes or no" \
    "a flag's value is yes or no"
is "$(refused '[serve]\ntimeout = 1s')" \
    "2 corral: $T/bad.conf:2: timeout: a job's option: it goes under [defaults], not [serve]" \
    "a job's option under [serve] is refused, naming the section"
is "$(refused '[defaults]\nworkers = 2')" \
    "2 corral: $T/bad.conf:2: workers: a setting of [serve], not of [defaults]" \
    "a setting of [serve] under [defaults] is refused, naming the section"
is "$(refused '[defaults]\nuser = nobody')" "2 corral: $T/bad.conf:2: user: a setting of [serve], not of [defaults]" \
    "... the children's user is the service's"
is "$(refused '[defaults]\nno-sandbox = yes')" \
    "2 corral: $T/bad.conf:2: no-sandbox: the service's jobs always run in the sandbox" \
    "... and so is the sandbox"
is "$(refused '[defaults]\njson = yes')" \
    "2 corral: $T/bad.conf:2: json: an option of run and submit, not of a job's spec: not one of [defaults]" \
    "an option of submit that is no job's is refused"
is "$(refused '[defaults]\nwrokers = 2')" "2 corral: $T/bad.conf:2: unknown key 'wrokers' in [defaults]" \
    "an unknown key, in its section"
is "$(refused '[defaults]\nextract = out')" "2 corral: $T/bad.conf:2: extract: 'out' is not an absolute path" \
    "a relative extract directory"
is "$(refused '[defaults]\nextract-suspicious = yes')" \
    "2 corral: $T/bad.conf: [defaults]: --extract-suspicious needs --extract DIR" \
    "the defaults go together as a command line's options must"
is "$(refused '[defaults]\nexec = cat {}\nhandler = sha256')" \
    "2 corral: $T/bad.conf: [defaults]: -x gives a command for -H exec, not for -H sha256" \
    "... exec with the exec handler only"
is "$(refused '[serve]\ndepth = 65')" "2 corral: $T/bad.conf:2: depth: '65' is not a whole number from 1 to 64" \
    "[serve] depth is checked"

# ---- every key of systemd/corral.conf, uncommented ----
# One at a time, each with its documented value, under its own section;
# the flags -s and --socket win over state and socket.
EXAMPLE=$TOP/systemd/corral.conf
keys=$(sed -n 's/^#\([a-z][a-z0-9-]*\) = .*/\1/p' "$EXAMPLE")
bad=""
n=0
want=0
for k in $keys; do
	if [ "$k" = user ] && [ "$(id -u)" -ne 0 ]; then
		continue	# only a service started as root changes user
	fi
	want=$((want + 1))
	sed "s/^#$k = /$k = /" "$EXAMPLE" > one.conf
	: > serve.log
	if start --config "$T/one.conf"; then
		kill -TERM "$DPID"
		wait "$DPID" || bad="$bad $k(stop)"
		n=$((n + 1))
	else
		wait "$DPID"
		bad="$bad $k($(cat serve.log))"
	fi
	stop_notify
done
is "$bad" "" "each key of the example corral.conf starts the service, uncommented alone"
ok "$([ "$n" -eq "$want" ] && [ "$n" -ge 20 ]; echo $?)" "... $n of them"
# All of them together but exec, which rules out extract.
sed -e 's/^#\([a-z][a-z0-9-]*\) = /\1 = /' -e '/^exec = /d' "$EXAMPLE" > all.conf
[ "$(id -u)" -eq 0 ] || sed -i '/^user = /d' all.conf
: > serve.log
start --config "$T/all.conf"
ok $? "all of them together (but exec) start it too"
alive "$DPID" && kill -TERM "$DPID"
wait "$DPID"
stop_notify
done_testing
