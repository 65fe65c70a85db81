#!/bin/sh
# --reuse: a file whose content matches an earlier ok outcome of the same
# handler and spec in this state directory is recorded ok with "reused"
# naming that outcome, and its handler never runs (an exec command that
# appends to a log file per run counts them). A changed copy, another
# command, another --max-entries or a run without --reuse runs the handler.
# A deleted job's outcomes are never reused. kill -9 during a --reuse run
# and the same command again: every file once.
. "$(dirname "$0")/lib-serve.sh"
# The runs below read the state dirs, not a service.
export CORRAL_SOCKET=''

# The command: one line per run in runs.log; a file named *hold* waits
# for the file gate first.
cat > cmd.sh <<EOF
#!/bin/sh
printf '%s\n' "\$1" | tr '\n' ' ' >> "$T/runs.log"
echo >> "$T/runs.log"
case "\$1" in *hold*) while [ ! -e "$T/gate" ]; do sleep 0.05; done;; esac
wc -c < "\$1"
EOF
chmod +x cmd.sh
CMD="$T/cmd.sh {}"
runs() { if [ -e runs.log ]; then wc -l < runs.log | tr -d ' '; else echo 0; fi; }

# 4 contents, 3 copies each, one of them under a name with a newline.
mkdir in
for c in 0 1 2 3; do
	for k in a b c; do echo "content $c" > "in/$c-$k"; done
done
mv in/3-c "$(printf 'in/3-c\nnl')"
"$CORRAL" run -q -j 1 --no-sandbox -s st --reuse -x "$CMD" --job first in > /dev/null 2>&1
is "$?" 0 "a --reuse run: exit 0"
is "$(runs)" 4 "the handler ran once per content (4 of 12 files)"
"$CORRAL" results -s st --json first > r1.json
is "$(jq -r .status r1.json | sort | uniq -c | tr -s ' ')" " 12 ok" "12 ok"
is "$(jq -r 'select(.reused) | .seq' r1.json | wc -l | tr -d ' ')" 8 "8 reused"
is "$(jq -r 'select(.sha256 | test("^[0-9a-f]{64}$")) | .seq' r1.json | wc -l | tr -d ' ')" 12 \
    "each outcome keeps its content's sha256"
# Each reused outcome names an outcome of the same content that ran.
bad=$(jq -s -r 'INDEX(.seq|tostring) as $by | .[] | select(.reused) |
    $by[.reused.seq|tostring] as $o |
    select($o == null or $o.reused != null or $o.sha256 != .sha256 or $o.result != .result) | .path' r1.json)
is "$bad" "" "every reused outcome points at a run outcome of the same content, and carries its result"
is "$(jq -r 'select(.reused) | .result.stdout' r1.json | sort -u | tr -d ' \n')" 10 \
    "a reused outcome's result is its original's (the command's output)"

# Another job of the same spec: an exact copy is reused from the first job;
# a copy changed by one byte is not.
mkdir in2
cp in/0-a in2/copy
echo "content 0." > in2/changed
"$CORRAL" run -q -j 1 --no-sandbox -s st --reuse -x "$CMD" --job second in2 > /dev/null 2>&1
is "$(runs)" 5 "only the changed copy ran"
"$CORRAL" results -s st --json second > r2.json
is "$(jq -r 'select(.path == "in2/copy") | .reused.job_id' r2.json)" 1 \
    "the exact copy reuses the first job's outcome"
is "$(jq -r 'select(.path == "in2/changed") | .reused // "none"' r2.json)" none \
    "the changed copy is not reused"

# Another spec: another command, another --max-entries, no --reuse.
"$CORRAL" run -q -j 1 --no-sandbox -s st --reuse -x "$CMD x" --job other-cmd in2 > /dev/null 2>&1
is "$(runs)" 7 "another command: both run"
"$CORRAL" run -q -j 1 --no-sandbox -s st --reuse -x "$CMD" --max-entries 7 --job other-limit in2 \
    > /dev/null 2>&1
is "$(runs)" 9 "another --max-entries: both run"
"$CORRAL" run -q -j 1 --no-sandbox -s st -x "$CMD" --job no-reuse in2 > /dev/null 2>&1
is "$(runs)" 11 "without --reuse: both run"
"$CORRAL" run -q -j 1 --no-sandbox -s st --reuse -x "$CMD" --job again in2 > /dev/null 2>&1
is "$(runs)" 11 "the same spec again: neither runs"

# --reuse is the job's: the same job without it is another spec.
"$CORRAL" run -q -j 1 --no-sandbox -s st -x "$CMD" --job first in > /dev/null 2> spec.err
is "$?" 2 "the same job without --reuse is refused"
like "$(cat spec.err)" "--reuse on; this command has --reuse off" "... naming --reuse"
"$CORRAL" run -q -s st3 --reuse --extract out in > /dev/null 2> ext.err
is "$?" 2 "--reuse with --extract is refused"

# kill -9 during a --reuse run, then the same command: each file once.
mkdir in3
i=0
while [ $i -lt 40 ]; do echo "kill $((i % 4))" > "in3/f$i"; i=$((i + 1)); done
echo "held" > in3/hold
: > runs.log
"$CORRAL" run -q -j 1 --no-sandbox -s st4 --reuse -x "$CMD" in3 > /dev/null 2>&1 &
pid=$!
wait_until grep -q hold runs.log
ok $? "the run reached the held file"
kill -9 "$pid"
wait "$pid" 2>/dev/null
: > gate
"$CORRAL" run -q -j 1 --no-sandbox -s st4 --reuse -x "$CMD" in3 > /dev/null 2>&1
is "$?" 0 "the same command again finishes the job"
"$CORRAL" results -s st4 --json > r4.json
is "$(jq -r .path r4.json | sort -u | wc -l | tr -d ' ')" 41 "every file recorded"
is "$(wc -l < r4.json | tr -d ' ')" 41 "... once"
is "$(jq -r .status r4.json | sort -u)" ok "... all ok"
bad=$(jq -s -r 'INDEX(.seq|tostring) as $by | .[] | select(.reused) |
    $by[.reused.seq|tostring] as $o | select($o == null or $o.sha256 != .sha256) | .path' r4.json)
is "$bad" "" "each reused outcome points at a recorded outcome of its content"
ok "$([ "$(grep -vc hold runs.log)" -le 8 ]; echo $?)" \
    "the handler ran at most twice per content across the kill ($(grep -vc hold runs.log) runs)"

# A service: submit carries --reuse; a deleted job's outcomes are never
# reused, and nothing breaks for it.
export CORRAL_SOCKET="$SOCK"
start
ok $? "a service started"
sres() { CORRAL_SOCKET='' "$CORRAL" results -s "$S" --json "$1"; }
nreused() { sres "$1" | jq -r 'select(.reused) | .seq' | wc -l | tr -d ' '; }
"$CORRAL" submit --wait -q -H sha256 --reuse --job d1 in2 > /dev/null 2>&1
is "$?" 0 "submit --reuse --wait: exit 0"
is "$(nreused d1)" 0 "the first job reuses nothing"
"$CORRAL" submit --wait -q -H sha256 --reuse --job d2 in2 > /dev/null 2>&1
is "$(nreused d2)" 2 "the second job of the same spec reuses both"
d1=$("$CORRAL" status --json d1 | jq -r .id)
is "$(sres d2 | jq -r .reused.job_id | sort -u)" "$d1" "... from the first"
"$CORRAL" delete d1 2> /dev/null && "$CORRAL" delete d2 2> /dev/null
is "$?" 0 "both deleted"
"$CORRAL" submit --wait -q -H sha256 --reuse --job d3 in2 > /dev/null 2>&1
is "$?" 0 "a job after the deletion: exit 0"
is "$(sres d3 | jq -r .status | sort | uniq -c | tr -s ' ')" " 2 ok" "... both ok"
is "$(nreused d3)" 0 "... and neither reuses a deleted job's outcome"
"$CORRAL" submit --wait -q -H sha256 --reuse --job d4 in2 > /dev/null 2>&1
d3=$("$CORRAL" status --json d3 | jq -r .id)
is "$(sres d4 | jq -r .reused.job_id | sort -u)" "$d3" "the next one reuses the new outcomes"
kill -TERM "$DPID"
wait "$DPID"
stop_notify

done_testing
