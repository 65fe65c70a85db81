#!/bin/sh
# Bytes from a child are hostile. A worker that breaks the protocol (garbage,
# an oversize frame, a result for an unknown task, a second result, end of
# stream mid-frame, a wrong message type, a closed socket) is killed, the
# file recorded as crashed with a protocol error, a replacement started; the
# supervisor never crashes or hangs. A worker program that cannot start
# fails the run with exit 2, without spinning.
. "$(dirname "$0")/lib.sh"

mkdir in
for m in garbage oversize unknownid dup cut badtype closesock silent-exit lastwords sigsys liar readyagain; do
	echo x > "in/$m"
done
for i in 1 2 3 4 5 6; do echo x > "in/fine$i"; done
start=$(now_ms)
# in/fine1 is named twice: once in the directory, once on its own.
CORRAL_WORKER=$FAKEWORKER timeout 60 "$CORRAL" run -q -j 2 -r 1 --max-strikes 3 -s st --json in in/fine1 > out.jsonl 2> err.txt
rc=$?
took=$(( $(now_ms) - start ))
is "$rc" 1 "the job finishes (exit 1)"
ok "$([ "$took" -lt 15000 ]; echo $?)" "promptly (${took} ms)"
is "$(wc -l < out.jsonl)" 18 "every file has one outcome"
st() { jq -r --arg p "in/$1" 'select(.path==$p) | .status + ": " + (.error // "")' out.jsonl; }
like "$(st garbage)" "^crashed: protocol error: " "garbage bytes: crashed, protocol error"
like "$(st oversize)" "^crashed: protocol error: frame length out of bounds" "oversize frame"
like "$(st unknownid)" "^crashed: protocol error: result for a task not running" "result for an unknown task"
like "$(st badtype)" "^crashed: protocol error: " "unknown message type"
like "$(st cut)" "^crashed: protocol error: end of stream in the middle of a frame" "EOF mid-frame"
like "$(st closesock)" "^crashed: protocol error: closed its socket without exiting" "closed socket, still alive"
like "$(st silent-exit)" "^crashed: exited with status 0" "exit without answering"
is "$(st lastwords)" "crashed: sandbox: openat" "last words after READY name the refused system call"
is "$(jq -r 'select(.path=="in/lastwords") | .attempts' out.jsonl)" 2 "... charged and retried like any crash"
is "$(st sigsys)" "crashed: sandbox: a refused system call (killed by signal 31 (SIGSYS))" "death by SIGSYS without a word"
is "$(st liar)" "crashed: no such handler: x" "a FATAL after READY ends that child only, not the run"
is "$(st readyagain)" "crashed: protocol error: unexpected message" "a second READY"
is "$(st fine1)" "ok: " "well-behaved files are ok"
# "dup": its first result is fine; the second one arrives for a task that is
# no longer running, and the next file in that child pays for it — unless
# there is none, when it is killed idle; with a retry that file recovers.
# Either way nothing is counted twice. `corral results` shows one row per
# record, so the store itself is counted: one task and one outcome record
# per file (a file named twice, or given a second sequence number, would
# make two), and the job's counters equal the records (an outcome put again
# over its first would be counted twice, yet leave one record).
is "$(jq -r 'select(.path=="in/dup") | .status' out.jsonl)" ok "a second result is never recorded twice"
entries() { mdb_stat -s "$1" st | sed -n 's/^ *Entries: //p'; }
is "$(entries tasks) $(entries paths) $(entries results)" "18 18 18" "the store: 18 tasks, 18 paths, 18 outcome records"
counted=$("$CORRAL" status -s st --json | jq -r '[.total, .done, .ok, .failed, .crashed, .timeout, .skipped] | join(" ")')
recorded=$("$CORRAL" results -s st --json | jq -rs '[length, length] + ([("ok", "failed", "crashed", "timeout", "skipped") as $s | map(select(.status == $s)) | length]) | join(" ")')
is "$counted" "$recorded" "the job's counters (total, done, each status) equal its records"

# Worker programs that cannot start.
out=$(CORRAL_WORKER=/nonexistent/worker timeout 20 "$CORRAL" run -q -s st2 in 2>&1); rc=$?
is "$rc" 2 "a missing worker program: exit 2"
like "$out" "unable to start worker program /nonexistent/worker: No such file or directory" "named"
start=$(now_ms)
out=$(FAKEWORKER_NOHELLO=1 CORRAL_WORKER=$FAKEWORKER timeout 20 "$CORRAL" run -q -s st3 in 2>&1); rc=$?
took=$(( $(now_ms) - start ))
is "$rc" 2 "a worker that dies at start: exit 2"
like "$out" "cannot start: 3 children in a row died before saying hello" "named"
ok "$([ "$took" -lt 5000 ]; echo $?)" "after a short back-off, not a spin (${took} ms)"
is "$("$CORRAL" status -s st3 --json | jq -r .done)" 0 "no file charged for it"
done_testing
