#!/bin/sh
# A file that hangs its child: recorded as timeout within the timeout plus a
# second, the child's whole group killed and replaced, the other files done,
# and the job finishes. Retries charge the file again; the kill is logged
# with its reason, the pid and the file.
. "$(dirname "$0")/lib.sh"

mkdir in
for i in 1 2 3 4 5 6 7 8; do echo "$i" > "in/ok$i"; done
echo x > in/hang-me
start=$(now_ms)
"$CORRAL" run -q -j 2 -t 1s -r 0 -s st -H "$PLUGIN" --json in > out.jsonl 2> err.txt
rc=$?
took=$(( $(now_ms) - start ))
is "$rc" 1 "exit 1: a file was not ok"
is "$(jq -r 'select(.path=="in/hang-me") | .status' out.jsonl)" timeout "the hung file is a timeout"
is "$(jq -r 'select(.path=="in/hang-me") | .error' out.jsonl)" "timeout after 1s" "its error says so"
dur=$(jq -r 'select(.path=="in/hang-me") | .duration_ms' out.jsonl)
ok "$([ "$dur" -ge 1000 ] && [ "$dur" -lt 2000 ]; echo $?)" "recorded within timeout + 1s (${dur} ms)"
ok "$([ "$took" -lt 6000 ]; echo $?)" "the job finished promptly (${took} ms)"
is "$(jq -r 'select(.status=="ok") | .path' out.jsonl | wc -l)" 8 "the other files are ok"
like "$(cat err.txt)" "worker [0-9]+ \\(slot [0-9], job [^)]+\\) killed: timeout after 1s on in/hang-me" "the kill is logged with pid and file"

# With a retry: two attempts, the file still a timeout, never a third.
"$CORRAL" run -q -j 2 -t 300ms -r 1 -s st2 -H "$PLUGIN" --json in > out2.jsonl 2> err2.txt
is "$(jq -r 'select(.path=="in/hang-me") | .attempts' out2.jsonl)" 2 "one retry: two attempts"
is "$(grep -c 'killed: timeout' err2.txt)" 2 "two kills logged"

# A hung exec command gets SIGTERM, and its whole group dies.
cat > hang.sh <<'EOS'
#!/bin/sh
sleep 300 &
echo $! > "$PIDFILE"
wait
EOS
chmod +x hang.sh
mkdir one && echo x > one/f
# Run as root, children are another user (--user): a directory they may write.
mkdir pid && chmod 777 pid
PIDFILE=$T/pid/sleep.pid "$CORRAL" run -q -j 1 -t 300ms -r 0 -s st3 -x "$T/hang.sh" --json one > out3.jsonl 2>/dev/null
is "$(jq -r .status out3.jsonl)" timeout "exec: a hung command is a timeout"
sub_gone() {
	st=$(awk '{print $3}' "/proc/$(cat pid/sleep.pid)/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}
wait_until sub_gone
ok $? "exec: the command's own subprocess was killed too (state '${st:-gone}')"

# A command that handles SIGTERM gets the grace before SIGKILL: its trap,
# which takes a fifth of the second of grace to clean up, runs to its end.
cat > trap.sh <<'EOS'
#!/bin/sh
trap 'sleep 0.2; echo "term $$" > "$MARK"; exit 3' TERM
sleep 300 &
wait
EOS
chmod +x trap.sh
MARK=$T/pid/term.mark "$CORRAL" run -q -j 1 -t 300ms -r 0 -s st4 -x "$T/trap.sh" --json one > out4.jsonl 2> err4.txt
is "$(jq -r .status out4.jsonl)" timeout "exec: a command that traps SIGTERM is still a timeout"
like "$(cat pid/term.mark 2>/dev/null)" "^term [0-9]+$" "exec: its SIGTERM trap ran within the grace (SIGTERM first, SIGKILL a second later)"
done_testing
