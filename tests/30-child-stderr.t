#!/bin/sh
# A child's stderr is a pipe the supervisor reads: each line is logged with
# the worker's pid and slot, escaped, and bounded in length and rate; when a
# child dies on a file, its last line goes into the error and its last
# lines into the outcome's "stderr", also in `corral results`. A child that
# floods stderr costs the supervisor no memory, and one whose grandchild
# keeps the pipe open after its death hangs and leaks nothing. A task that
# exit()s for want of memory under --memory-limit, as libarchive does when
# an allocation fails, is failed, verdict rejected, reason memory: with a
# plugin, and with the archive handler on an ISO whose Rock Ridge
# continuation area loops. (Sanitizer builds set no memory limit: those
# cases are skipped there.)
. "$(dirname "$0")/lib.sh"

asan=0
ldd "$CORRAL" 2>/dev/null | grep -q libasan && asan=1
skip() {	# skip COUNT REASON
	i=0
	while [ "$i" -lt "$1" ]; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # skip $2"
		i=$((i + 1))
	done
}
field() {	# field FILE PATH JQ-EXPR
	jq -r --arg p "$2" "select(.path==\$p) | $3" "$1"
}

# Last words, then exit(5): under the default memory limit, an exit that
# is not for want of memory stays a crash.
mkdir in
echo x > in/shout-1
echo x > in/ok-1
"$CORRAL" run -q -j 1 -r 0 -s st -H "$PLUGIN" --json in > out.jsonl 2> err.txt
is "$?" 1 "exit 1: a file crashed"
is "$(field out.jsonl in/shout-1 '.status + " " + (.exit_code|tostring)')" "crashed 5" "exit(5): crashed, exit code 5"
is "$(field out.jsonl in/shout-1 .error)" "$(printf 'exited with status 5; stderr: shout: last words \033[31mred')" \
    "the error ends with its last stderr line"
is "$(field out.jsonl in/shout-1 .stderr)" "$(printf 'shout: a first line\nshout: last words \033[31mred')" \
    "the outcome keeps its last lines as stderr"
is "$(field out.jsonl in/ok-1 'has("stderr")')" "false" "a file answered has no stderr field"
like "$(cat err.txt)" 'worker [0-9]+ \(slot 0\) stderr: shout: last words \\x1b\[31mred' \
    "each line is logged with pid and slot, escaped"
ok "$(grep -q "$(printf '\033')" err.txt; [ $? -ne 0 ]; echo $?)" "no raw escape byte reaches the log"
like "$("$CORRAL" results -s st)" 'crashed +1 +[0-9]+ms +in/shout-1 +exited with status 5; stderr: shout: last words \\x1b\[31mred' \
    "corral results shows the last line"
is "$("$CORRAL" results -s st --json | jq -r 'select(.path=="in/shout-1") | .stderr' | tail -1)" \
    "$(printf 'shout: last words \033[31mred')" "corral results --json has the stderr field"

# 33 MiB on stderr: the supervisor's memory stays put, the log gets a few
# lines a second, the run completes.
mkdir base flood
echo x > base/ok-1
echo x > flood/flood-1
"$CORRAL" run -q -j 1 -r 0 -s stb -H "$PLUGIN" --stats base.json base > /dev/null 2>&1
start=$(now_ms)
"$CORRAL" run -q -j 1 -r 0 -s stf -H "$PLUGIN" --stats flood.json --json flood > fout.jsonl 2> ferr.txt
is "$?" 1 "a flood: the run completes"
took=$(( $(now_ms) - start ))
ok "$([ "$took" -lt 20000 ]; echo $?)" "in bounded time (${took} ms)"
is "$(field fout.jsonl flood/flood-1 .error)" "exited with status 6; stderr: flood: the last line" \
    "the last line after 33 MiB is the one in the error"
n=$(field fout.jsonl flood/flood-1 '.stderr | length')
ok "$([ "$n" -gt 0 ] && [ "$n" -le 2048 ]; echo $?)" "the kept tail is bounded ($n bytes)"
n=$(grep -c 'stderr: ' ferr.txt)
ok "$([ "$n" -le 200 ]; echo $?)" "the log got a bounded number of lines ($n)"
like "$(cat ferr.txt)" 'worker [0-9]+ \(slot 0\): [0-9]+ more lines on stderr not shown' "the rest is counted"
ok "$([ "$(wc -c < ferr.txt)" -lt 65536 ]; echo $?)" "the log stays small ($(wc -c < ferr.txt) bytes)"
b=$(jq .maxrss_kb base.json)
f=$(jq .maxrss_kb flood.json)
ok "$([ $((f - b)) -lt 8192 ]; echo $?)" "the supervisor's memory did not grow with the flood (${b} KiB, ${f} KiB)"

# A grandchild that leaves the group keeps the pipe open: nothing waits for
# it, no descriptor is left behind, the next child works, and the
# grandchild's next write meets a closed pipe.
mkdir orph
echo x > orph/a-orphan
for i in 1 2 3; do echo x > "orph/ok-$i"; done
start=$(now_ms)
"$CORRAL" run -v -j 1 -r 0 -s sto -H "$PLUGIN" --no-sandbox --json orph > oout.jsonl 2> oerr.txt
is "$?" 1 "a grandchild holding stderr: the run completes"
took=$(( $(now_ms) - start ))
ok "$([ "$took" -lt 5000 ]; echo $?)" "without waiting for it (${took} ms; it lives 100 s)"
like "$(field oout.jsonl orph/a-orphan .error)" "^exited with status 9; stderr: orphan: " \
    "the dead child's last line (its or the grandchild's)"
like "$(field oout.jsonl orph/a-orphan .stderr)" "orphan: the parent goes" "and its last words in the tail"
is "$(jq -r 'select(.status=="ok") | .path' oout.jsonl | wc -l)" 3 "the files after it are ok"
fds=$(grep -o 'open descriptors: [0-9]* after start-up, [0-9]* at the end' oerr.txt)
a=$(echo "$fds" | sed 's/.*: \([0-9]*\) after.*/\1/')
b=$(echo "$fds" | sed 's/.*, \([0-9]*\) at the end/\1/')
is "$b" "$a" "no descriptor leaked"
gc=$(sed -n 's/.*stderr: orphan: grandchild \([0-9]*\)$/\1/p' oerr.txt)
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# Gone long before its own end: only the closed pipe can have ended it.
ok "$([ -n "$gc" ] && wait_until gone "$gc"; echo $?)" "the grandchild is gone: its next write met a closed pipe"
[ -n "$gc" ] && ! gone "$gc" && kill -9 "$gc" 2>/dev/null

# Out of memory under --memory-limit.
if [ "$asan" -eq 1 ]; then
	skip 6 "a sanitizer build sets no memory limit"
	done_testing
fi
mkdir mem
echo x > mem/nomem-1
"$CORRAL" run -q -j 1 -r 1 -s stm -H "$PLUGIN" --memory-limit 64M --json mem > mout.jsonl 2> merr.txt
is "$(field mout.jsonl mem/nomem-1 '[.status, .result.verdict, .result.reasons[0].code, .attempts] | join(" ")')" \
    "failed rejected memory 1" "a plugin out of memory under the limit: failed, rejected, memory, not retried"
like "$(field mout.jsonl mem/nomem-1 .error)" '^memory: out of memory under the limit of 64M$' "the error starts with memory"
like "$(cat merr.txt)" 'worker [0-9]+ \(slot 0\) stderr: misbehave: Out of memory' "what it said is logged"
like "$("$CORRAL" results -s stm)" '^failed +1 .*mem/nomem-1 +memory: ' "corral results: failed, memory"
# The archive handler: libarchive follows the CE loop, appending the name
# until an allocation fails, says "Out of memory" and calls exit(1).
"$BUILD/tests/mkceloop" loop.iso
"$CORRAL" run -q -j 1 -r 1 -t 30 -s sta --memory-limit 64M --json loop.iso > aout.jsonl 2> aerr.txt
if [ "$(field aout.jsonl loop.iso .result.verdict)" = malformed ]; then
	skip 2 "this libarchive refuses the CE loop"
	done_testing
fi
is "$(field aout.jsonl loop.iso '[.status, .result.verdict, .result.reasons[0].code, .attempts] | join(" ")')" \
    "failed rejected memory 1" "an ISO whose CE loops: failed, rejected, memory"
like "$(cat aerr.txt)" 'stderr: .*Out of memory' "libarchive's words are logged"
done_testing
