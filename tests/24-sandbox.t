#!/bin/sh
# The sandbox end to end: a plugin that tries to open a path, create a file,
# open a socket, run a program, fork or ptrace its parent is stopped by the
# seccomp filter. Each such file is recorded crashed with the error
# "sandbox: <syscall>", nothing it tried happened, and the job goes on: the
# clean files are ok. With --no-sandbox the same tries are let through.
. "$(dirname "$0")/lib.sh"

ESCAPE=$BUILD/tests/plugins/escape.so
# A sanitizer build lets read-only opens of paths through (its leak check
# reads /proc): there, opening /etc/passwd is not a crash.
asan=0
ldd "$CORRAL" 2>/dev/null | grep -q libasan && asan=1

mkdir in
for w in open creat socket execve fork ptrace; do echo "$w" > "in/$w"; done
echo nothing > in/clean1
echo hello > in/clean2
rm -f /tmp/corral-escape
"$CORRAL" run -q -j 2 -r 0 -s st -H "$ESCAPE" --json in > out.jsonl 2> err.txt
is "$?" 1 "exit 1: some files were not ok"

outcome() { jq -r --arg p "in/$1" 'select(.path==$p) | .status + ": " + .error' out.jsonl; }
if [ "$asan" -eq 1 ]; then
	is "$(outcome open)" "ok: " "open: let through in a sanitizer build"
else
	is "$(outcome open)" "crashed: sandbox: openat" "open /etc/passwd: crashed, sandbox: openat"
fi
is "$(outcome creat)" "crashed: sandbox: creat" "creat /tmp/corral-escape: crashed, sandbox: creat"
is "$(outcome socket)" "crashed: sandbox: socket" "socket: crashed, sandbox: socket"
is "$(outcome execve)" "crashed: sandbox: execve" "execve: crashed, sandbox: execve"
is "$(outcome fork)" "crashed: sandbox: clone" "fork: crashed, sandbox: clone"
is "$(outcome ptrace)" "crashed: sandbox: ptrace" "ptrace of the parent: crashed, sandbox: ptrace"
is "$(outcome clean1)" "ok: " "a clean file after them: ok"
is "$(outcome clean2)" "ok: " "another clean file: ok"
is "$(jq -r 'select(.path=="in/clean2") | .result.tried' out.jsonl)" "hello" "the clean file's result is whole"
ok "$([ ! -e /tmp/corral-escape ]; echo $?)" "no file was created"
is "$(jq -s length out.jsonl)" 8 "every file has one outcome"

# --no-sandbox: the same plugin is let open a socket. (Only that: unsandboxed,
# its ptrace would stop the supervisor and its execve replace the worker.)
mkdir in2
echo socket > in2/socket
"$CORRAL" run -q -j 1 -r 0 -s st2 --no-sandbox -H "$ESCAPE" --json in2 > out2.jsonl 2> err2.txt
is "$(jq -r 'select(.path=="in2/socket") | .status + " " + (.result.returned >= 0 | tostring)' out2.jsonl)" \
    "ok true" "--no-sandbox: socket() is let through"
like "$(cat err2.txt)" "--no-sandbox: children run without seccomp" "--no-sandbox says so, even with -q"
rm -f /tmp/corral-escape
v=$("$CORRAL" --version)
like "$v" "^seccomp: " "--version names the seccomp wall"
like "$v" "^landlock: " "... Landlock"
like "$v" "^namespaces: " "... the namespaces"
like "$v" "^rlimits: " "... the limits"
done_testing
