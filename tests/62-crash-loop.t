#!/bin/sh
# Crash-loop damping looks at where the crashes are. Spread: a command
# that kills its child on every file while a flag file exists (a broken
# library) makes the job pause once 12 different files have died in a row:
# the reason is logged and shown by `status` (from the state directory and
# from a service) and by the status page, far fewer files than the corpus
# are tried meanwhile, one probe at a time; once the flag is gone the next
# probe is answered, the pause ends, and every file first tried after that
# ends ok on its first attempt, charged nothing. A file that was in a child
# when the pause began and died in it is not charged either. Concentrated:
# 3 files that always crash among 200 good ones never pause the job: no log
# line, no reason, 200 ok, 3 crashed.
. "$(dirname "$0")/lib-serve.sh"

mkdir in pub
chmod 777 pub	# children run as another user when the test is root
i=0
while [ $i -lt 200 ]; do echo "$i" > "in/f$(printf %03d $i)"; i=$((i + 1)); done
# The first file dispatched holds its child, the first time, until the
# test opens the gate.
echo held > in/a-held
mkfifo pub/gate
chmod 666 pub/gate
# The command: each attempt logged; while pub/broken exists, its child's
# whole group dies of SIGSEGV, as a worker whose library is broken would;
# a name with "bad" in it always does.
cat > cmd.sh <<EOS
#!/bin/sh
echo "\$1" >> $T/pub/attempts
case "\$1" in *bad*) kill -SEGV 0 ;; *held*) [ -e $T/pub/held ] || { : > $T/pub/held; cat $T/pub/gate > /dev/null; } ;; esac
[ -e $T/pub/broken ] && kill -SEGV 0
cat > /dev/null
EOS
chmod 755 cmd.sh
# `status` of a state directory, not of the service the socket names.
local_status() { CORRAL_SOCKET= "$CORRAL" status "$@"; }

# ---- spread: a broken library ----
touch pub/broken
"$CORRAL" run -q -j 2 -r 1 -s st --http 0 -x "$T/cmd.sh {}" --json in > out.jsonl 2> err.txt &
RPID=$!
wait_until grep -q "crash loop: .* died on 12 different files" err.txt
ok $? "the pause is logged once 12 different files died in a row"
like "$(grep -m1 'crash loop: ' err.txt)" \
    "job in-[0-9a-f]+: crash loop: [0-9]+ children in a row died on 12 different files \\(the last: killed by signal 11 \\(SIGSEGV\\)\\); dispatch paused, one probe file at a time until one is answered; next probe in 0.5 s" \
    "... with its reason and the first back-off"
wait_until grep -q "crash loop: probe 1 (.*) died too; next probe in 1.0 s" err.txt
ok $? "a probe went, died, and the back-off doubled"
echo go > pub/gate	# the held file's command goes on, and its child dies in the pause
wait_until grep -q "killed by signal 11 (SIGSEGV) on in/a-held" err.txt
ok $? "the file held in a child since before the pause died in it"
like "$(local_status -s st)" "reason +crash loop: [0-9]+ children in a row died on 12 different files" \
    "status -s DIR shows the reason (stored with the job)"
like "$(local_status -s st --json | jq -r .reason)" "^crash loop: " "... and status --json"
if have curl; then
	URL=$(grep -o 'http://127.0.0.1:[0-9]*/' err.txt)
	like "$(curl -s "${URL}api/status" | jq -r '.jobs[0].reason')" \
	    "^crash loop: .*(next probe in [0-9.]+ s|probe [0-9]+ running)$" "the status page's API gives the live reason"
	like "$(curl -s "$URL")" "<tr class=\"reason\"><td [^>]*>crash loop: " "... and the page shows it"
else
	skip "no curl"
	skip "no curl"
fi
tries=$(wc -l < pub/attempts)
ok "$([ "$tries" -lt 50 ]; echo $?)" "far fewer attempts than the 200 files were made by then ($tries, on $(sort -u pub/attempts | wc -l) files)"
is "$(grep -c 'crash loop: probe [0-9]*: ' err.txt)" "$(grep -c 'crash loop: probe [0-9]* (.*) died too' err.txt)" \
    "one probe at a time: each sent probe died before the next"
rm pub/broken
cp pub/attempts tried.txt	# whatever is not here was first tried with the library fixed
wait "$RPID"
rc=$?
wait_until grep -q "crash loop over after" err.txt
ok $? "the pause ends by itself"
like "$(grep 'crash loop over' err.txt)" "crash loop over after [0-9.]+ s: in/[a-z0-9-]+ was answered \\(ok\\); full dispatch again" \
    "... logged with the probe that was answered"
is "$(grep -c 'crash loop: [0-9]* children' err.txt)" 1 "it paused once"
is "$(wc -l < out.jsonl)" 201 "every file has an outcome"
# Gone back to the front of the queue, it may have been a probe (charged)
# before the flag was gone.
is "$(jq -r 'select(.path == "in/a-held") | "\(.status) \(.attempts)"' out.jsonl)" \
    "ok $(($(grep -c 'probe [0-9]* (in/a-held) died too' err.txt) + 1))" \
    "... which was not charged for it: ok, its probes' deaths and its answer counted"
is "$(jq -r .path out.jsonl | sort | comm -23 - "$(sort -u tried.txt > t.s; echo t.s)" | wc -l)" \
    "$(jq -r 'select(.status == "ok" and .attempts == 1) | .path' out.jsonl | sort | comm -23 - t.s | wc -l)" \
    "every file first tried after the fix: ok on its first attempt, never charged"
ok "$([ "$(jq -r .path out.jsonl | sort | comm -23 - t.s | wc -l)" -gt 150 ]; echo $?)" "... most of the corpus"
is "$(jq -r 'select(.status != "ok") | .path' out.jsonl | sort | comm -23 - t.s)" "" \
    "only files tried in the broken spell may have ended crashed"
is "$rc" "$(jq -se 'all(.status == "ok")' out.jsonl > /dev/null && echo 0 || echo 1)" "the run's exit status says so"
is "$(local_status -s st | grep -c -e '^reason' -e '^state *done')" 1 "the job done: no reason left"

# ---- concentrated: poison files among good ones ----
mkdir mixed
i=0
while [ $i -lt 200 ]; do echo "$i" > "mixed/g$(printf %03d $i)"; i=$((i + 1)); done
for i in 1 2 3; do echo x > "mixed/g05$i-bad"; done
"$CORRAL" run -q -j 2 -r 1 -s st2 -x "$T/cmd.sh {}" --json mixed > out2.jsonl 2> err2.txt
is "$?" 1 "3 poison files among 200: exit 1"
is "$(jq -r 'select(.status == "ok") | .path' out2.jsonl | wc -l)" 200 "the 200 good files are ok"
is "$(jq -r 'select(.status == "quarantined") | "\(.path) \(.attempts) \(.strikes)"' out2.jsonl | sort | tr '\n' ' ')" \
    "mixed/g051-bad 2 2 mixed/g052-bad 2 2 mixed/g053-bad 2 2 " "the 3 poison files quarantined after 2 strikes each"
is "$(grep -c 'crash loop' err2.txt)" 0 "no pause: nothing logged"
is "$(local_status -s st2 | grep -c -e '^reason' -e '^state *done')" 1 "no reason"

# ---- the service's status says it too ----
touch pub/broken
start
ok $? "a service"
mkdir svc
i=0
while [ $i -lt 40 ]; do echo "$i" > "svc/s$i"; i=$((i + 1)); done
"$CORRAL" submit -q -r 0 -x "$T/cmd.sh {}" --job loop "$T/svc" > /dev/null
is "$?" 0 "a job of the broken command submitted"
damped() { "$CORRAL" status --json loop | jq -r .reason | grep -q '^crash loop: '; }
wait_until damped
ok $? "the service's status --json gives the reason"
like "$("$CORRAL" status loop)" "crash loop: [0-9]+ children in a row died on 12 different files.*(next probe in [0-9.]+ s|probe [0-9]+ running)" \
    "... its status too, with what it waits for"
like "$(cat serve.log)" "job loop: crash loop: " "the service logs it"
rm pub/broken
finished() { "$CORRAL" status --json loop | jq -e '.state == "done"'; }
wait_until finished
ok $? "the probe answered: the job runs to its end"
is "$("$CORRAL" status --json loop | jq -r '.reason')" "" "... and no reason is left"
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops"
stop_notify
done_testing
