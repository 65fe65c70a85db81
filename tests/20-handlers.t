#!/bin/sh
# The handlers other than archive: sha256 matches sha256sum; exec captures
# the exit status and stdout and fails on non-zero; the example plugin and a
# plugin that leaks or fails; a plugin that cannot load ends the run with 2.
. "$(dirname "$0")/lib.sh"

mkdir in
printf 'hello\n' > in/a
printf 'two\nlines\n' > "in/b c"
head -c 100000 /dev/zero > in/zeros
"$CORRAL" run -q -H sha256 -s st --json in > out.jsonl 2>/dev/null
is "$?" 0 "sha256: exit 0"
for f in in/a "in/b c" in/zeros; do
	is "$(jq -r --arg p "$f" 'select(.path==$p) | .result.sha256' out.jsonl)" "$(sha256sum "$f" | cut -d' ' -f1)" "sha256 of $f"
done
is "$(jq -r 'select(.path=="in/zeros") | .result.bytes' out.jsonl)" 100000 "sha256: bytes"

"$CORRAL" run -q -s st2 -x 'wc -l < {}' --json in > out2.jsonl 2>/dev/null
is "$?" 0 "exec: exit 0 when every command succeeded"
is "$(jq -r 'select(.path=="in/a") | .status + " " + (.result.exit|tostring) + " " + .result.stdout' out2.jsonl)" "ok 0 1" "exec: ok, exit 0, stdout captured"
is "$(jq -r 'select(.path=="in/b c") | .status + " " + .error' out2.jsonl)" "ok " "exec: a path with a space is quoted"
"$CORRAL" run -q -s st3 -x 'cat; exit 3; : {}' --json in > out3.jsonl 2>/dev/null
is "$?" 1 "exec: exit 1 when a command failed"
is "$(jq -r 'select(.path=="in/a") | .status + ": " + .error' out3.jsonl)" "failed: exit status 3" "exec: non-zero exit is failed"
is "$(jq -r 'select(.path=="in/a") | .result.stdout' out3.jsonl)" "hello" "exec: stdin is the file"
"$CORRAL" run -q -s st4 -x 'head -c 200000 /dev/zero | tr "\0" x; : {}' --json in > out4.jsonl 2>/dev/null
is "$(jq -r 'select(.path=="in/a") | (.result.stdout|length|tostring) + " " + (.result.stdout_truncated|tostring)' out4.jsonl)" "65536 true" "exec: stdout bounded at 64 KiB"

"$CORRAL" run -q -s st4b -x 'ls /proc/self/fd | wc -l; : {}' --json in > out4b.jsonl 2>/dev/null
is "$(jq -r 'select(.path=="in/a") | .result.stdout' out4b.jsonl | tr -d ' \n')" 4 "exec: the command inherits stdio only (0-2, and ls's own)"

"$CORRAL" run -q -s st5 -H "$EXAMPLE" --json in > out5.jsonl 2>/dev/null
is "$(jq -r 'select(.path=="in/b c") | .status + " " + (.result.lines|tostring) + " " + (.result.bytes|tostring)' out5.jsonl)" "ok 2 10" "example plugin: lines and bytes"

mkdir leaky
i=0; while [ $i -lt 50 ]; do echo x > "leaky/leak-$i"; i=$((i + 1)); done
echo x > leaky/x-fail
"$CORRAL" run -q -j 1 -s st6 -H "$PLUGIN" --json leaky > out6.jsonl 2>/dev/null
is "$(jq -r 'select(.status=="ok") | .path' out6.jsonl | wc -l)" 50 "a leaking plugin: its files still ok"
is "$(jq -r 'select(.path=="leaky/x-fail") | .status + ": " + .error' out6.jsonl)" "failed: judged bad" "a plugin's failure and message"

echo 'not a shared object' > bogus.so
out=$("$CORRAL" run -q -s st7 -H ./bogus.so in 2>&1); rc=$?
is "$rc" 2 "a plugin that cannot load: exit 2"
like "$out" "worker set-up failed: .*bogus.so" "named, with dlopen's reason"
is "$("$CORRAL" status -s st7 --json | jq -r .done)" 0 "no file charged for it"
done_testing
