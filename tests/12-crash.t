#!/bin/sh
# Children that die on a file: SIGSEGV, abort(), exit(). Each file is
# recorded as crashed with the signal or exit code, the child replaced, and
# the job finishes with every other file done. A file is retried --retries
# times and then left recorded, never retried forever, also across runs.
# (--max-strikes 3 keeps these below quarantine, which tests/62-strikes.t
# covers: here --retries runs out first.)
. "$(dirname "$0")/lib.sh"

mkdir in
for i in 1 2 3 4 5 6 7 8 9 10; do echo "$i" > "in/ok$i"; done
echo x > in/segv-1
echo x > in/abort-1
echo x > in/exit-1
"$CORRAL" run -q -j 2 -r 1 --max-strikes 3 -s st -H "$PLUGIN" --json in > out.jsonl 2> err.txt
is "$?" 1 "exit 1"
is "$(wc -l < out.jsonl)" 13 "every file once"
is "$(jq -r 'select(.path=="in/segv-1") | [.status, .signal, .attempts] | join(" ")' out.jsonl)" "crashed 11 2" "SIGSEGV: crashed, signal 11, two attempts"
like "$(jq -r 'select(.path=="in/segv-1") | .error' out.jsonl)" "killed by signal 11 \\(SIGSEGV\\)" "error names the signal"
is "$(jq -r 'select(.path=="in/abort-1") | [.status, .signal] | join(" ")' out.jsonl)" "crashed 6" "abort: signal 6"
is "$(jq -r 'select(.path=="in/exit-1") | [.status, .exit_code] | join(" ")' out.jsonl)" "crashed 3" "exit(3): exit code 3"
is "$(jq -r 'select(.status=="ok") | .path' out.jsonl | wc -l)" 10 "the other files are ok"
like "$(cat err.txt)" "worker [0-9]+ \\(slot [0-9], job [^)]+\\) killed by signal 11 \\(SIGSEGV\\) on in/segv-1" "the crash is logged with pid and file"

# Many crashes in a row on a few files: each replacement is immediate,
# nothing spins. (Crashes spread over many different files pause the job
# instead: tests/62-crash-loop.t.)
mkdir many
i=0; while [ $i -lt 4 ]; do echo x > "many/segv-$i"; i=$((i+1)); done
"$CORRAL" run -q -j 2 -r 9 --max-strikes 11 -s st2 -H "$PLUGIN" many > /dev/null 2> err2.txt
is "$?" 1 "40 crashes on 4 files: the job finishes"
is "$(grep -c 'died unused; next start in' err2.txt)" 0 "without back-off on crashes charged to files"
is "$(count_status st2 crashed)" 4 "all 4 recorded as crashed"
is "$(grep -c 'killed by signal 11' err2.txt) $(grep -c 'crash loop' err2.txt)" "40 0" "after 40 crashes, no pause"
done_testing
