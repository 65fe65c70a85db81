#!/bin/sh
# Two-tier timeouts, recorded. A child tells the supervisor that its
# running file is alive (PROGRESS: a plugin's corral_progress, exec's output,
# the archive handler's bytes): --stall kills a file whose child goes quiet
# for that long, while --timeout stays the cap on the whole file; a busy
# loop ends as a timeout (the supervisor's cap, or the kernel's RLIMIT_CPU),
# never as a crash; --timeout N% caps a file at N% of the median of the job's
# ok files. Each timeout records which limit fired (limit: stall, total,
# cpu, adaptive) in `results`, its --json and the control wire. A worker that
# floods PROGRESS frames costs a read each; one that sends them wrongly is
# killed for a protocol error. The plugin's pace is the file's content
# (tests/plugins/pulse.c): the workload takes time, the script never sleeps.
. "$(dirname "$0")/lib.sh"

PULSE=$BUILD/tests/plugins/pulse.so
# field SEQ-PATH FIELD STATEDIR: one outcome's field, from results --json
field() { "$CORRAL" results -s "$3" --json | jq -r --arg p "$1" "select(.path==\$p) | $2"; }

# --- a plugin: progress keeps it alive under --stall, not past --timeout ---
mkdir p
echo "pulse 50 1500" > p/alive	# progress every 50 ms for 1.5 s: ok
echo "fade 300 20000" > p/fades	# progress for 0.3 s, then 20 s of silence
echo "pulse 50 20000" > p/long	# progress for 20 s: past -t 3s
start=$(now_ms)
timeout 60 "$CORRAL" run -q -j 3 -r 0 -s st1 -H "$PULSE" --stall 300ms -t 3s p 2> err1.txt
rc=$?
took=$(( $(now_ms) - start ))
is "$rc" 1 "a run with timeouts exits 1"
is "$(field p/alive .status st1)" ok "progress every 50 ms for 1.5 s outlives --stall 300ms"
ok "$([ "$(field p/alive .duration_ms st1)" -ge 1500 ]; echo $?)" "... it ran past the stall 5 times over"
is "$(field p/fades '.status + " " + .limit' st1)" "timeout stall" "a plugin that stops calling corral_progress: timeout, limit stall"
d=$(field p/fades .duration_ms st1)
ok "$([ "$d" -ge 300 ] && [ "$d" -lt 3000 ]; echo $?)" "... killed after its silence, before --timeout (${d} ms)"
is "$(field p/fades .error st1)" "stalled: no progress for 0.3s" "... the error says so"
is "$(field p/long '.status + " " + .limit' st1)" "timeout total" "progress for ever is still capped by --timeout: limit total"
ok "$([ "$(field p/long .duration_ms st1)" -ge 3000 ]; echo $?)" "... at its 3 s"
ok "$([ "$took" -lt 15000 ]; echo $?)" "the run does not wait for the 20 s workloads (${took} ms)"
text=$("$CORRAL" results -s st1)
like "$text" "timeout .*p/fades  stalled: no progress for 0.3s  limit=stall" "results' text names the limit"
like "$text" "timeout .*p/long .* limit=total" "... each"
like "$(printf '%s\n' "$text" | grep 'p/alive')" "^ok " "... and none for an ok file"
ok "$(printf '%s\n' "$text" | grep 'p/alive' | grep -q limit; [ $? -ne 0 ]; echo $?)" "... (no limit= on it)"
is "$("$CORRAL" results -s st1 --json | jq -s 'map(select(.status=="ok") | has("limit")) | any')" false \
    "--json: no limit key on an ok file"

# A job is its spec: another --stall under the same name is refused.
out=$(timeout 60 "$CORRAL" run -q -r 0 -s st1 -H "$PULSE" --stall 1s -t 3s p 2>&1); rc=$?
is "$rc" 2 "resuming with another --stall: refused (exit 2)"
like "$out" "was run with --stall 300ms; this command has --stall 1s" "... naming the option and both values"
out=$(timeout 60 "$CORRAL" run -q -r 0 -s st1 -H "$PULSE" --stall 300ms -t 3s -t 200% p 2>&1); rc=$?
like "$out" "was run with --timeout a fixed cap; this command has --timeout 200%" "... and another --timeout N%"
out=$("$CORRAL" run -q -s st0 --stall 100ms p 2>&1); rc=$?
is "$rc" 2 "--stall under 200ms: refused"
like "$out" "--stall: '100ms' is not a duration" "... said so"
out=$("$CORRAL" run -q -s st0 -t 0% p 2>&1); rc=$?
like "$rc $out" "^2 .*--timeout: '0%' is not a share of the median" "--timeout 0%: refused"

# --- exec: bytes of output are progress ---
mkdir x
printf 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo tick; sleep 0.1; done\n' > x/talks
printf 'echo one line; exec sleep 20\n' > x/silent
start=$(now_ms)
timeout 60 "$CORRAL" run -q -j 2 -r 0 -s st2 -x 'sh {}' --stall 400ms -t 30s x 2> err2.txt
took=$(( $(now_ms) - start ))
is "$(field x/talks .status st2)" ok "a command that keeps printing outlives --stall 400ms"
ok "$([ "$(field x/talks .duration_ms st2)" -ge 1500 ]; echo $?)" "... for 1.5 s"
is "$(field x/silent '.status + " " + .limit' st2)" "timeout stall" "a command that goes silent: timeout, limit stall"
ok "$([ "$took" -lt 15000 ]; echo $?)" "... long before its 20 s (${took} ms)"

# --- the archive handler: an honest archive that takes longer than --stall ---
# 896 MiB of zeros in one tar entry, zstd in concatenated frames (one frame
# of 64 MiB written 14 times), read and hashed whole with --entry-sha256.
mkdir a
python3 -c '
import sys, tarfile
ti = tarfile.TarInfo("zeros.bin"); ti.size = 14 << 26; ti.mtime = 0
sys.stdout.buffer.write(ti.tobuf(tarfile.GNU_FORMAT))' > h.tar
if have zstd && [ -s h.tar ]; then
	zstd -q -1 < h.tar > h.zst && head -c 64M /dev/zero | zstd -q -1 > z.zst &&
	    head -c 1024 /dev/zero | zstd -q -1 > t.zst &&
	    { cat h.zst; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do cat z.zst; done; cat t.zst; } > a/big.tar.zst
	timeout 120 "$CORRAL" run -q -r 0 -s st3 --stall 200ms --entry-sha256 --max-ratio 1000000 a 2> err3.txt
	is "$(field a/big.tar.zst '.status + " " + (.result.bytes | tostring)' st3)" "ok 939524096" \
	    "an archive of 896 MiB read whole under --stall 200ms: ok"
	d=$(field a/big.tar.zst .duration_ms st3)
	ok "$([ "$d" -gt 200 ]; echo $?)" "... though it took longer than the stall (${d} ms): its bytes were progress"
else
	skip "no zstd or python3 to write the archive"
	skip "no zstd or python3 to write the archive"
fi

# --- a busy loop: the supervisor's cap or the kernel's, a timeout either way ---
mkdir c
echo "burn 0 0" > c/spin
timeout 60 "$CORRAL" run -q -r 0 -s st4 -H "$PULSE" -t 1s c 2> err4.txt
like "$(field c/spin '.status + " " + .limit' st4)" "^timeout (total|cpu)$" "a plugin spinning under -t 1s: timeout, limit total or cpu"
is "$(field c/spin '(.limit == "cpu") == has("signal")' st4)" true "... with a signal (SIGXCPU) only for the kernel's limit"

# --- --timeout N%: a share of the median of the job's ok files ---
mkdir m
for i in 1 2 3 4 5 6 7 8; do echo "sleep 50 0" > "m/f$i"; done
echo "sleep 20000 0" > m/z	# sorted last: run after the eight
start=$(now_ms)
timeout 60 "$CORRAL" run -q -j 1 -r 0 -s st5 -H "$PULSE" -t 300% m 2> err5.txt
took=$(( $(now_ms) - start ))
is "$("$CORRAL" results -s st5 --json | jq -r 'select(.status=="ok") | .path' | wc -l)" 8 "eight files of 50 ms: ok"
is "$(field m/z '.status + " " + .limit' st5)" "timeout adaptive" "one of 20 s under -t 300%: timeout, limit adaptive"
d=$(field m/z .duration_ms st5)
ok "$([ "$d" -ge 1000 ] && [ "$d" -lt 20000 ]; echo $?)" "... at the 1 s floor, not at the fixed 60 s (${d} ms)"
like "$(field m/z .error st5)" "^timeout after 1s \(of the median" "... the error says whose cap"
ok "$([ "$took" -lt 15000 ]; echo $?)" "... the run did not wait for it (${took} ms)"

# --- a plugin calling corral_progress in a tight loop ---
mkdir f
echo "flood 1000 0" > f/flood
timeout 60 "$CORRAL" run -q -r 0 -s st6 -H "$PULSE" --stall 300ms f 2> err6.txt
is "$(field f/flood .status st6)" ok "a plugin calling corral_progress in a tight loop for 1 s: ok under --stall"
ok "$([ "$(field f/flood .result.calls st6)" -gt 10000 ]; echo $?)" "... it made $(field f/flood .result.calls st6) calls"

# --- a worker that sends PROGRESS wrongly ---
mkdir w
for n in flood progresswrong progressbad fine; do echo x > "w/$n"; done
CORRAL_WORKER=$FAKEWORKER timeout 60 "$CORRAL" run -q -j 2 -r 0 -s st7 w 2> err7.txt
is "$(field w/flood .status st7)" ok "100000 PROGRESS frames at full speed, then the answer: ok, no hang"
is "$(field w/progresswrong '.status + ": " + .error' st7)" "crashed: protocol error: progress for a task not running" \
    "a PROGRESS for another task: a protocol error"
is "$(field w/progressbad '.status + ": " + .error' st7)" \
    "crashed: protocol error: field what is not UTF-8 or holds a NUL byte" "a PROGRESS whose words are not UTF-8: refused"
is "$(field w/fine .status st7)" ok "the other files are fine"

done_testing
