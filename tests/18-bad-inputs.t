#!/bin/sh
# Hostile inputs: each gets a clear one-line error (exit 2) or a recorded
# outcome, never a hang or a crash. Missing paths, FIFOs, devices, symlinks
# and symlink loops, unreadable files, files removed after the scan, a stdin
# list with CRLF line ends or paths never there, names with newlines and
# invalid UTF-8, unusable state dirs, bad options.
. "$(dirname "$0")/lib.sh"

# Usage errors: exit 2, one line naming the problem.
out=$("$CORRAL" run -q -s st nope 2>&1); rc=$?
is "$rc" 2 "missing path: exit 2"
is "$out" "corral: nope: No such file or directory" "missing path: named"
ln -s loop1 loop2; ln -s loop2 loop1
out=$("$CORRAL" run -q -s st loop1 2>&1); rc=$?
is "$rc" 2 "symlink loop as an input: exit 2"
is "$out" "corral: loop1: Too many levels of symbolic links" "symlink loop: named"
rm loop1 loop2
for args in "-j 0 ." "-t 5parsecs ." "-t 0 ." "-r -1 ." "--depth 100 ." "-H nosuch ." "-H exec ." "-x true -H sha256 ." "--bogus ." "" \
    "--max-entries 0 ." "--max-bytes 4Q ." "--max-bytes -1 ." "--max-entry-bytes 1.5G ." \
    "--max-ratio x ." "--max-depth 65 ." "--max-name 0 ." "--fail-on nothing ." \
    "--extract" "--extract out -H sha256 ." "--extract-suspicious ." \
    "--extract out --extract-suspicious --fail-on suspicious ." "--memory-limit 1M ." "--user nosuchuser ." \
    "--user root ."; do
	# shellcheck disable=SC2086
	out=$("$CORRAL" run -q -s st $args 2>&1 < /dev/null); rc=$?
	is "$rc" 2 "bad usage 'run $args': exit 2"
	is "$(echo "$out" | wc -l)" 1 "bad usage 'run $args': one line ($out)"
done
# --halt, the filters: one line each, naming what the value must be.
halt_want="is not now,fail=N or soon,fail=N (N >= 1), or now,fail=P% or soon,fail=P% (0 < P <= 100)"
for v in now now,fail=0 later,fail=1 soon,fail=101%; do
	out=$("$CORRAL" run -q -s st --halt "$v" . 2>&1 < /dev/null); rc=$?
	is "$rc $out" "2 corral: --halt: '$v' $halt_want" "bad halt '--halt $v': exit 2, one line"
done
for o in include exclude; do
	out=$("$CORRAL" run -q -s st --$o '' . 2>&1 < /dev/null); rc=$?
	is "$rc $out" "2 corral: --$o: an empty GLOB matches nothing" "bad filter '--$o EMPTY': exit 2, one line"
done
out=$("$CORRAL" run -q -s st --min-size 5 --max-size 4 . 2>&1 < /dev/null); rc=$?
is "$rc $out" "2 corral: --min-size 5 is more than --max-size 4: no file would be left" \
    "bad filter '--min-size 5 --max-size 4': exit 2, one line"
out=$("$CORRAL" run -q -s st --max-size 4Q . 2>&1 < /dev/null); rc=$?
like "$rc $out" "^2 corral: --max-size: '4Q' is not a size like 4096, 512K" \
    "bad filter '--max-size 4Q': exit 2, one line"
: > afile
out=$("$CORRAL" run -q -s afile/state . 2>&1); rc=$?
is "$rc" 2 "a state dir under a file: exit 2"
like "$out" "^corral: unable to [a-z]+ state dir afile/state: Not a directory$" "named"
out=$("$CORRAL" run -q -s st -H ./nosuch.so . 2>&1); rc=$?
is "$rc" 2 "a missing plugin: exit 2"
like "$out" "plugin ./nosuch.so: No such file or directory" "named"
out=$("$CORRAL" frobnicate 2>&1); rc=$?
is "$rc" 2 "unknown command: exit 2"
out=$("$CORRAL" status -s nowhere 2>&1); rc=$?
is "$rc" 2 "status of a missing state dir: exit 2"
is "$out" "corral: no corral state in nowhere" "named"

# A tree full of things that are not regular files.
mkdir -p in/sub
echo ok > in/plain
mkfifo in/fifo
ln -s plain in/link
ln -s self in/self
ln -s ../in in/sub/up
mkdir in/empty
nl=$(printf 'new\nline')
echo x > "in/$nl"
bad=$(printf 'bad\377\376name')
echo x > "in/$bad"
dev=0
if [ "$(id -u)" -eq 0 ] && mknod in/null c 1 3 2>/dev/null; then dev=1; fi
timeout 20 "$CORRAL" run -q -j 2 -s st2 -H sha256 --json in > out.jsonl 2> err.txt
rc=$?
is "$rc" 1 "the tree: the job finishes (exit 1: some skipped), no hang"
st() { jq -r --arg p "$1" 'select(.path==$p) | .status + ": " + (.error // "")' out.jsonl; }
is "$(st in/plain)" "ok: " "a regular file is ok"
is "$(st in/fifo)" "skipped: not a regular file: a FIFO" "a FIFO is skipped"
is "$(st in/link)" "skipped: not a regular file: a symbolic link (not followed)" "a symlink is skipped"
is "$(st in/self)" "skipped: not a regular file: a symbolic link (not followed)" "a symlink loop is skipped"
is "$(st in/sub/up)" "skipped: not a regular file: a symbolic link (not followed)" "a link to an ancestor is not followed"
is "$(jq -r 'select(.path|startswith("in/new")) | .status' out.jsonl)" ok "a name with a newline is processed"
is "$(jq -r 'select(.path|startswith("in/new")) | .path' out.jsonl | od -c | head -1 | grep -c '\\n')" 1 "its path keeps the newline in JSON"
is "$(jq -r 'select(.path|startswith("in/bad")) | .path_base64' out.jsonl | base64 -d | od -An -tx1 | tr -d ' ')" "$(printf 'in/%s' "$bad" | od -An -tx1 | tr -d ' ')" "an invalid UTF-8 name: exact bytes in path_base64"
like "$("$CORRAL" results -s st2 | grep bad)" 'in/bad\\xff\\xfename' "results shows invalid bytes escaped"
like "$("$CORRAL" results -s st2 | grep new)" 'in/new\\nline' "results shows the newline escaped"
is "$("$CORRAL" results -s st2 | wc -l)" "$((7 + dev))" "every entry recorded once, one line each"
if [ $dev -eq 1 ]; then
	is "$(st in/null)" "skipped: not a regular file: a character device" "a device node is skipped, never opened"
fi

# A file removed after the scan, before dispatch: recorded as vanished. The
# one child is held on the first file (empty: it waits until it is not)
# until both are tasks and the second is gone.
mkdir vin
: > vin/a-await
echo x > vin/b-victim
scanned() {	# scanned STATEDIR: both files are tasks, the first one running
	[ "$("$CORRAL" status -s "$1" --json | jq -r .total)" = 2 ] &&
	    grep -q 'stderr: await: waiting' "$1.err"
}
"$CORRAL" run -q -j 1 --depth 1 -s st3 -H "$PLUGIN" --json vin > vout.jsonl 2> st3.err &
pid=$!
wait_until scanned st3
rm vin/b-victim
echo go > vin/a-await
wait "$pid"
is "$(jq -r 'select(.path=="vin/b-victim") | .status + ": " + .error' vout.jsonl)" "skipped: vanished before processing" "a file removed after the scan: skipped, vanished"
: > vin/a-await
echo x > vin/b-victim
printf 'vin/a-await\nvin/b-victim\n' | "$CORRAL" run -q -j 1 --depth 1 -s st3b -H "$PLUGIN" --json - > vout2.jsonl 2> st3b.err &
pid=$!
wait_until scanned st3b
rm vin/b-victim
echo go > vin/a-await
wait "$pid"
is "$(jq -r 'select(.path=="vin/b-victim") | .status + ": " + .error' vout2.jsonl)" "skipped: vanished before processing" "a listed file removed after the scan: skipped, vanished"

# A stdin list with CRLF line ends, and paths that were never there: the
# truth (No such file or directory), not "vanished"; a name ending in \r is
# kept as it is (a file may be named so), shown escaped, with a hint.
mkdir lin
echo x > lin/a.tar
cr=$(printf 'lin/real\r')
echo x > "$cr"
printf 'lin/a.tar\r\nlin/never\nlin/real\r\nlin/b.tar\r\n' | "$CORRAL" run -q -s st6 -H sha256 --json - > lout.jsonl 2> lerr.txt
is "$?" 1 "a CRLF list: the job finishes (exit 1: some skipped)"
hint="No such file or directory (the name ends in a carriage return: the list may have CRLF line ends)"
is "$(jq -r 'select(.path=="lin/a.tar\r") | .status + ": " + .error' lout.jsonl)" "skipped: $hint" \
	"a listed name ending in CR that is not there: No such file or directory, with the CRLF hint"
is "$(jq -r 'select(.path=="lin/never") | .status + ": " + .error' lout.jsonl)" "skipped: No such file or directory" \
	"a listed path that was never there: No such file or directory, not vanished"
is "$(jq -r 'select(.path=="lin/real\r") | .status' lout.jsonl)" ok "a file whose name ends in CR is processed under that name"
is "$(jq -r 'select(.path=="lin/a.tar") | .path' lout.jsonl)" "" "the CR is never stripped"
is "$(grep 'stdin list' lerr.txt)" "corral: lin/a.tar\\r from the stdin list: $hint" "logged once, the name escaped"
like "$("$CORRAL" results -s st6 | grep never)" '^skipped .*  lin/never  No such file or directory$' "results: the missing path and why"
like "$("$CORRAL" results -s st6 | grep a.tar)" 'lin/a\.tar\\r  No such' "results: the CR shown escaped"
printf 'lin/a.tar\r\0' | "$CORRAL" run -q -0 -s st7 -H sha256 --json - > l0out.jsonl 2>/dev/null
is "$(jq -r '.error' l0out.jsonl)" "No such file or directory" "a NUL-separated list: no CRLF hint"

# Unreadable files and an unwritable state dir, as an unprivileged user.
if [ "$(id -u)" -eq 0 ]; then
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	asuser() { "$@"; }
fi
mkdir uin ust
echo x > uin/readable
echo x > uin/secret
chmod 000 uin/secret
chmod 777 ust
asuser "$CORRAL" run -q -s "$T/ust/s" -H sha256 --json "$T/uin" > uout.jsonl 2>/dev/null
is "$(jq -r 'select(.path|endswith("secret")) | .status + ": " + .error' uout.jsonl)" "skipped: unable to open: Permission denied" "an unreadable file: skipped with the reason"
is "$(jq -r 'select(.path|endswith("readable")) | .status' uout.jsonl)" ok "its readable neighbour is ok"
mkdir -p uin/locked/inner && echo x > uin/locked/inner/f && chmod 000 uin/locked
asuser "$CORRAL" run -q -s "$T/ust/s2" -H sha256 --json "$T/uin" > uout2.jsonl 2>/dev/null
is "$(jq -r 'select(.path|endswith("locked")) | .status + ": " + .error' uout2.jsonl)" "skipped: unable to read directory: Permission denied" "an unreadable directory: recorded as skipped"
mkdir ro && chmod 555 ro
out=$(asuser "$CORRAL" run -q -s "$T/ro/state" "$T/uin" 2>&1); rc=$?
is "$rc" 2 "an unwritable state dir: exit 2"
like "$out" "^corral: unable to create state dir .*/ro/state: Permission denied$" "named, with the reason"
chmod 755 uin/locked

# A symlink named on the command line is followed: recorded under its target.
echo x > target-file
ln -s target-file toplink
"$CORRAL" run -q -H sha256 -s st5 --json toplink > top.jsonl 2>/dev/null
is "$(jq -r '.status + " " + .path' top.jsonl)" "ok $T/target-file" "a symlink given as input: followed, its target recorded"

# An empty directory: nothing to do, exit 0.
"$CORRAL" run -q -s st4 in/empty > /dev/null 2>&1
is "$?" 0 "an empty directory: exit 0"
done_testing
