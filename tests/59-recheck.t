#!/bin/sh
# --recheck and status --changed: an outcome keeps the size and mtime its
# file had when dispatch opened it. After a job's run, two files get new
# content (one a new size, one the same size and an mtime set apart), one
# only a new mtime, one (named with a newline) new content, one is removed,
# and two stay as they were. `status --changed` lists exactly the changed
# five, its paths escaped as results escapes them, and says how each
# changed in --json. The same run again without --recheck processes
# nothing; with --recheck exactly the five run again: the sha256 handler's
# digests of the rewritten files change to their new content, the touched
# one runs again with its digest unchanged, the removed one is recorded
# skipped, and the others keep their outcomes byte for byte. A service's
# submit --recheck does the same for a job taken up again.
. "$(dirname "$0")/lib-serve.sh"
export CORRAL_SOCKET=''

NL=$(printf 'in/n\nl')
mkdir in
for f in a b c d e f; do echo "file $f" > "in/$f"; done
echo "newline" > "$NL"
"$CORRAL" run -q -s st -H sha256 --job rc in > /dev/null 2>&1
is "$?" 0 "the first run: exit 0"
"$CORRAL" results -s st --json rc > r1.json
is "$(jq -r .status r1.json | sort | uniq -c | tr -s ' ')" " 7 ok" "7 files ok"
is "$("$CORRAL" status -s st --changed rc)" "" "nothing has changed yet: status --changed lists nothing"

digest() { jq -r --arg p "$2" 'select(.path == $p) | .result.sha256' "$1"; }
sha() { sha256sum < "$1" | cut -d' ' -f1; }
echo "more" >> in/b				# a new size
echo "FILE c" > in/c				# the same size, new content ...
touch -d '2002-02-02 02:02:02' in/c		# ... and an mtime set apart
touch -d '2001-01-01 01:01:01' in/d		# only the mtime
rm in/e
echo "NEWLINE" > "$NL"
touch -d '2003-03-03 03:03:03' "$NL"

"$CORRAL" status -s st --changed rc > changed.txt
is "$?" 0 "status --changed: exit 0"
is "$(sort changed.txt | tr '\n' ' ')" 'in/b in/c in/d in/e in/n\nl ' \
    "status --changed lists exactly the changed files, a newline escaped"
"$CORRAL" results -s st rc | grep -F 'in/n\nl' > /dev/null
ok $? "... as results prints that path"
"$CORRAL" status -s st --changed --json rc > changed.json
is "$(jq -r '"\(.path | @json)=\(.change)"' changed.json | sort | tr '\n' ' ')" \
    '"in/b"=size "in/c"=mtime "in/d"=mtime "in/e"=vanished "in/n\nl"=mtime ' \
    "status --changed --json: how each changed"
is "$(jq -r .job changed.json | sort -u)" rc "... with the job's name"
"$CORRAL" status -s st --changed --bogus rc > /dev/null 2> err.txt
is "$?" 2 "status --changed with an unknown option: exit 2"
"$CORRAL" results -s st --changed rc > /dev/null 2> err.txt
is "$?" 2 "results has no --changed: exit 2"
is "$(wc -l < err.txt | tr -d ' ')" 1 "... and one line: $(cat err.txt)"
"$CORRAL" status --changed --merge st > /dev/null 2> err.txt
is "$?" 2 "status --changed --merge: exit 2"
like "$(cat err.txt)" "^corral: status: --changed reads one state dir, not --merge" "... one line: $(cat err.txt)"
"$CORRAL" run -q -s st -H sha256 --job rc --recheck=yes in > /dev/null 2> err.txt
is "$?" 2 "--recheck=yes: exit 2"
is "$(wc -l < err.txt | tr -d ' ')" 1 "... one line: $(cat err.txt)"

"$CORRAL" run --dry-run -s st -H sha256 --job rc --recheck in > dry.txt 2> /dev/null
is "$(sort dry.txt | tr '\n' ' ')" 'in/b in/c in/d in/e in/n\nl ' "--dry-run --recheck lists the same files"
is "$("$CORRAL" run --dry-run -s st -H sha256 --job rc in 2> /dev/null)" "" "... and none without --recheck"

# The same run again, without --recheck: nothing is processed.
"$CORRAL" run -q -s st -H sha256 --job rc in > /dev/null 2>&1
is "$?" 0 "a run again without --recheck: exit 0"
"$CORRAL" results -s st --json rc > r2.json
cmp -s r1.json r2.json
ok $? "... processed nothing: every outcome as it was"
is "$("$CORRAL" status -s st --changed rc | wc -l | tr -d ' ')" 5 "... and the five are still listed"

# With --recheck: exactly the changed files run again.
"$CORRAL" run -q -s st -H sha256 --job rc --recheck in > /dev/null 2>&1
is "$?" 1 "a run with --recheck: exit 1 (the removed file is not ok)"
"$CORRAL" results -s st --json rc > r3.json
is "$(digest r3.json in/b)" "$(sha in/b)" "in/b: its new content's digest"
is "$(digest r3.json in/c)" "$(sha in/c)" "in/c (same size, new content): its new content's digest"
ok "$([ "$(digest r1.json in/c)" != "$(digest r3.json in/c)" ]; echo $?)" "... not the old one"
is "$(digest r3.json "$NL")" "$(sha "$NL")" "the file named with a newline: its new digest"
is "$(digest r3.json in/d)" "$(digest r1.json in/d)" "in/d (only touched): the same digest ..."
newer=$(jq -s -r '(map(select(.path == "in/d")) | .[0].finished_ms) as $old | $old' r1.json)
is "$(jq -r --argjson old "$newer" 'select(.path == "in/d") | .finished_ms > $old' r3.json)" true \
    "... from a new run of it"
is "$(jq -r 'select(.path == "in/e") | "\(.status) \(.error)"' r3.json)" \
    "skipped vanished before processing" "in/e (removed): skipped, vanished"
for f in in/a in/f; do
	is "$(jq -c --arg p "$f" 'select(.path == $p)' r3.json)" \
	    "$(jq -c --arg p "$f" 'select(.path == $p)' r1.json)" "$f (unchanged): its outcome untouched"
done
is "$(jq -r .status r3.json | sort | uniq -c | awk '{ printf "%s %s,", $1, $2 }')" "6 ok,1 skipped," \
    "6 ok, 1 skipped: each file once"
is "$("$CORRAL" status -s st --changed rc)" "" "status --changed: nothing changed since"
"$CORRAL" run -q -s st -H sha256 --job rc --recheck in > /dev/null 2>&1
"$CORRAL" results -s st --json rc > r4.json
cmp -s r3.json r4.json
ok $? "--recheck again with nothing changed processes nothing"
is "$("$CORRAL" status -s st --json rc | jq -r .runs)" 4 "the job was taken up four times"

# A service: submit --recheck takes the job up again and runs its changed
# file; submit without it does not.
export CORRAL_SOCKET="$SOCK"
start
ok $? "a service started"
sres() { CORRAL_SOCKET='' "$CORRAL" results -s "$S" --json "$1"; }
"$CORRAL" submit --wait -q -H sha256 --job sv "$T/in" > /dev/null 2>&1
sres sv > s1.json
echo "changed again" >> in/a
"$CORRAL" submit --wait -q -H sha256 --job sv "$T/in" > /dev/null 2>&1
sres sv > s2.json
cmp -s s1.json s2.json
ok $? "submit again without --recheck: nothing processed"
"$CORRAL" submit --wait -q -H sha256 --recheck --job sv "$T/in" > /dev/null 2>&1
sres sv > s3.json
is "$(digest s3.json "$T/in/a")" "$(sha in/a)" "submit --recheck: the changed file's new digest"
is "$(jq -c 'select(.path | endswith("/in/a") | not)' s3.json)" \
    "$(jq -c 'select(.path | endswith("/in/a") | not)' s1.json)" "... and the others untouched"
kill -TERM "$DPID"
wait "$DPID"
stop_notify
export CORRAL_SOCKET=''

# A file that a FIFO replaced since its outcome is looked at, not opened as
# the earlier walk's regular file: recorded as what it is now. So too for a
# file a plain retry makes pending again.
mkdir ff
echo a > ff/a
echo b > ff/b
"$CORRAL" run -q -s stf -x 'exit 1' ff > /dev/null 2>&1
rm ff/a ff/b
mkfifo ff/a ff/b
"$CORRAL" run -q -s stf --recheck -x 'exit 1' ff > /dev/null 2>&1
is "$("$CORRAL" results -s stf --format '{path} {error}' | head -1)" "ff/a not a regular file: a FIFO" \
    "--recheck: a file now a FIFO is said to be one"
"$CORRAL" retry -s stf "$("$CORRAL" status -s stf --json | jq -r .job)" 2> /dev/null
"$CORRAL" run -q -s stf -x 'exit 1' ff > /dev/null 2>&1
is "$("$CORRAL" results -s stf --format '{path} {error}' | tail -1)" "ff/b not a regular file: a FIFO" \
    "retry: so is one a retry makes pending again"

# A stdin list's relative paths are under the directory the list was given
# in: read from elsewhere, they are not gone, and why finds them.
mkdir lst
echo a > lst/a
printf 'lst/a\n' | "$CORRAL" run -q -s stl -H sha256 - > /dev/null 2>&1
is "$(cd / && "$CORRAL" status -s "$T/stl" --changed)" "" \
    "status --changed from another directory: a listed relative path is not gone"
like "$(cd / && "$CORRAL" why -s "$T/stl" "$T/lst/a")" "file lst/a " "... and why finds it by its absolute path"
echo longer > lst/a
is "$(cd / && "$CORRAL" status -s "$T/stl" --changed --json | jq -r .change)" size "... and its change is seen"

done_testing
