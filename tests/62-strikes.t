#!/bin/sh
# Poison files: each crash or timeout charged to a file is a strike, kept
# durably; at --max-strikes (default 2) the file is quarantined and never
# dispatched again, by a resume or a plain retry, until `retry
# --quarantined` releases it. The handler's own log (poison.so appends each
# file it is called on to $POISON_LOG) counts its invocations; results
# --quarantined lists exactly the poison files; --signatures groups them as
# one bug; -r 0 then a retry quarantines at the second crash; a timeout's
# signature has its limit and where /proc says the child was stuck.
. "$(dirname "$0")/lib.sh"
POISON=$BUILD/tests/plugins/poison.so
POISON_LOG=$T/calls.log
export POISON_LOG

# calls WHAT: how many times the handler was called on files named WHAT
# since the log was last emptied.
calls() { grep -c "^$1" "$POISON_LOG" 2>/dev/null || :; }

mkdir in
i=0; while [ $i -lt 40 ]; do echo "$i" > "in/good-$i"; i=$((i + 1)); done
for i in 1 2 3 4 5; do echo p > "in/poison-$i"; done

: > "$POISON_LOG"
"$CORRAL" run -q -j 2 -s st --no-sandbox -H "$POISON" in > /dev/null 2> run1.err
is "$?" 1 "a run with quarantined files exits 1"
is "$(count_status st ok)" 40 "the 40 good files are ok"
is "$(count_status st quarantined)" 5 "the 5 poison files are quarantined"
is "$(count_status st crashed)" 0 "none is left crashed"
is "$(calls 'poison-')" 10 "each poison file ran twice (two strikes), no more"
is "$("$CORRAL" results -s st --json --status quarantined | jq -r '.strikes' | sort -u)" 2 \
	"each has 2 strikes"
is "$("$CORRAL" results -s st --json --status quarantined | jq -r '.signature.signal, .signature.code' | sort -u | tr '\n' ' ')" \
	"11 killed " "the signature: SIGSEGV, killed (no core)"
like "$(tail -2 run1.err)" "5 quarantined" "the run's summary counts them"
is "$("$CORRAL" status -s st --json | jq -r .quarantined)" 5 "status --json counts them"
job=$("$CORRAL" status -s st --json | jq -r .job)

# results --quarantined: exactly them, as --status quarantined.
is "$("$CORRAL" results -s st --quarantined --format '{path}' | sort | tr '\n' ' ')" \
	"in/poison-1 in/poison-2 in/poison-3 in/poison-4 in/poison-5 " "results --quarantined lists exactly them"
is "$("$CORRAL" results -s st --quarantined --csv | tail -n +2 | wc -l)" 5 "... also as CSV"

# One bug, one line.
sigs=$("$CORRAL" results -s st --signatures)
is "$(printf '%s\n' "$sigs" | wc -l)" 1 "results --signatures: one line"
like "$sigs" "^ +5 +signal=11 code=killed exit=-1  e\.g\. in/poison-" "... with the count and an example"
is "$("$CORRAL" results -s st --signatures --json | jq -r '.count, .signature.signal' | tr '\n' ' ')" \
	"5 11 " "... and in JSON"
"$CORRAL" retry -s nost --quarantined "$job" 2> nost.err
is "$?:$(cat nost.err)" "2:corral: no corral state in nost" "retry -s DIR with no state there: exit 2, one line"
ok "$([ ! -e nost ]; echo $?)" "... and no state directory made"
"$CORRAL" results -s st --signatures --status ok > sig-ok.out 2> sig-ok.err
is "$?" 2 "--signatures --status ok: refused, exit 2"
like "$(cat sig-ok.err)" "^corral: results: --signatures takes --json alone.*--status" "... in one line"
is "$(cat sig-ok.out)" "" "... not the quarantined groups as if ok"
"$CORRAL" results -s st --signatures --failed > /dev/null 2>&1
is "$?" 2 "--signatures --failed: refused too"
is "$("$CORRAL" results -s st --signatures --quarantined | wc -l)" 1 "--signatures --quarantined: what it shows"

# A resume and a plain retry dispatch none of them again.
: > "$POISON_LOG"
"$CORRAL" run -q -j 2 -s st --no-sandbox -H "$POISON" in > /dev/null 2> run2.err
is "$(calls '')" 0 "the same command again runs nothing"
"$CORRAL" retry -s st "$job" 2> retry.err
like "$(cat retry.err)" "0 files pending again" "a plain retry leaves the quarantined alone"
: > "$POISON_LOG"
"$CORRAL" run -q -j 2 -s st --no-sandbox -H "$POISON" in > /dev/null 2> run3.err
is "$(calls '')" 0 "and after it nothing runs"
is "$(count_status st quarantined)" 5 "still 5 quarantined"

# Released, they run again: the strikes start again from 0.
"$CORRAL" retry -s st --quarantined "$job" 2> release.err
like "$(cat release.err)" "5 files pending again" "retry --quarantined releases the 5"
is "$(count_status st quarantined)" 0 "none is quarantined after the release"
: > "$POISON_LOG"
"$CORRAL" run -q -j 2 -s st --no-sandbox -H "$POISON" in > /dev/null 2> run4.err
is "$(calls 'poison-')" 10 "released, each ran twice again"
is "$(calls 'good-')" 0 "the good ones did not run again"
is "$(count_status st quarantined)" 5 "quarantined again"
is "$("$CORRAL" why -s st --json in/poison-3 | jq -r '.attempts | length')" 4 \
	"why: four attempts, all kept"

# -r 0: one crash records crashed (1 strike of 2); a retry that crashes it
# again quarantines it.
mkdir one
echo p > one/poison-x
echo g > one/good-x
: > "$POISON_LOG"
"$CORRAL" run -q -r 0 -s st1 --no-sandbox -H "$POISON" one > /dev/null 2> one1.err
is "$("$CORRAL" results -s st1 --json --status crashed | jq -r '.path, .strikes' | tr '\n' ' ')" \
	"one/poison-x 1 " "-r 0: crashed after one crash, 1 strike"
j1=$("$CORRAL" status -s st1 --json | jq -r .job)
"$CORRAL" retry -s st1 "$j1" 2> /dev/null
is "$("$CORRAL" why -s st1 --json one/poison-x | jq -r '.status, .strikes' | tr '\n' ' ')" \
	"pending 1 " "retried: pending, its strike kept"
: > "$POISON_LOG"
"$CORRAL" run -q -r 0 -s st1 --no-sandbox -H "$POISON" one > /dev/null 2> one2.err
is "$(calls poison-x)" 1 "the retry ran it once"
is "$("$CORRAL" results -s st1 --json --status quarantined | jq -r '.path, .strikes' | tr '\n' ' ')" \
	"one/poison-x 2 " "its second crash quarantines it"

# --max-strikes 1: the first crash quarantines, whatever --retries says.
: > "$POISON_LOG"
"$CORRAL" run -q -r 3 --max-strikes 1 -s st2 --no-sandbox -H "$POISON" one > /dev/null 2> two.err
is "$(calls poison-x)" 1 "--max-strikes 1 -r 3: one run, no retry"
is "$(count_status st2 quarantined)" 1 "quarantined at once"

# A hang killed at its timeout: limit total, and where it hung as /proc
# tells (root reads it; where the kernel refuses, "unavailable").
mkdir h
echo x > h/hang-1
: > "$POISON_LOG"
"$CORRAL" run -q -t 1s -r 0 --max-strikes 1 -s sth -H "$PLUGIN" h > /dev/null 2>&1
sig=$("$CORRAL" results -s sth --json | jq -c .signature)
is "$(printf '%s' "$sig" | jq -r '.limit, .signal, .code' | tr '\n' ' ')" "total 9 killed " \
	"a timeout's signature: limit total, killed by our SIGKILL"
if [ -r "/proc/$$/syscall" ]; then
	# pause() in the plugin: the kernel's pause system call.
	like "$(printf '%s' "$sig" | jq -r '"\(.syscall) \(.wchan)"')" "^[0-9]+ .*pause" \
		"its system call and wait channel, read before the kill ($sig)"
else
	is "$(printf '%s' "$sig" | jq -r .proc)" unavailable "/proc refused: said so"
fi
like "$("$CORRAL" why -s sth h/hang-1)" "quarantined signal=9 code=killed exit=-1 limit=total" \
	"why shows the signature"
# A stall: the last progress frame is in the signature (pulse.so's fade:
# frames for 400 ms, then silence).
mkdir f
echo "fade 400 20000" > f/fades
"$CORRAL" run -q --stall 300ms -t 10s -r 0 --max-strikes 1 -s stf -H "$BUILD/tests/plugins/pulse.so" f \
	> /dev/null 2>&1
sig=$("$CORRAL" results -s stf --json | jq -c .signature)
is "$(printf '%s' "$sig" | jq -r '"\(.limit) \(.progress.done > 0) \(.progress.what)"')" "stall true " \
	"a stall's signature: limit stall, its last progress frame ($sig)"

# docs/results.md lists every field printed here, and every key of a
# signature (its Signatures table).
doc_keys() {	# doc_keys HEADING: the first column's keys of the table under it
	awk -v h="$1" '/^#/ { on = ($0 ~ "^#+ " h "$"); next }
		on && /^\| `/ { split($0, c, "`"); print c[2] }' "$TOP/docs/results.md" | sort -u
}
doc_keys "Results: every field of one file's outcome" > fields.doc
doc_keys Signatures > sig.doc
for d in st sth stf; do "$CORRAL" results -s $d --json; done > all.jsonl
jq -r 'keys[]' all.jsonl | sort -u > fields.out
jq -r '.signature // empty | keys[]' all.jsonl | sort -u > sig.out
is "$(comm -23 fields.out fields.doc | tr '\n' ' ')" "" "every field of results --json is in docs/results.md"
is "$(comm -23 sig.out sig.doc | tr '\n' ' ')" "" "every key of a signature is in its table"
# Where /proc is read, no signature says "unavailable"; where it is not,
# none has a system call or a wait channel.
if [ -r "/proc/$$/syscall" ]; then unseen="proc "; else unseen="syscall wchan "; fi
is "$(comm -13 sig.out sig.doc | tr '\n' ' ')" "$unseen" \
	"and the table's others are those /proc did not give here"

# Bad values: one line, exit 2.
: > "$POISON_LOG"
"$CORRAL" run -q --max-strikes 0 -s stx in > /dev/null 2> bad.err
is "$?" 2 "--max-strikes 0: exit 2"
like "$(cat bad.err)" "^corral: --max-strikes: '0' is not a whole number from 1 to 100$" "... one clear line"
: > "$POISON_LOG"
"$CORRAL" run -q --max-strikes 101 -s stx in > /dev/null 2>&1
is "$?" 2 "--max-strikes 101: exit 2"
# Another --max-strikes is another spec.
: > "$POISON_LOG"
"$CORRAL" run -q --max-strikes 3 -s st --no-sandbox -H "$POISON" in > /dev/null 2> spec.err
is "$?" 2 "the job with another --max-strikes is refused"
like "$(cat spec.err)" "--max-strikes 2; this command has --max-strikes 3" "... naming it"
done_testing
