#!/bin/sh
# status, results and jobs read a state directory they cannot write: a
# read-only copy (chmod -R a-w, read by a user other than root, whom chmod
# does not stop), one without LMDB's lock file, a read-only bind mount. They
# write nothing into it, and still tell a job left running by an owner that
# is gone (interrupted) from one whose owner runs (running). While an owner
# runs, a reader that cannot write the lock file readers share with it is
# refused in one line: reading without it is safe only with no writer.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -eq 0 ]; then
	if ! have setpriv; then
		skip "root without setpriv: chmod does not stop root, and no other user to read as"
		done_testing
	fi
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	asuser() { "$@"; }
fi

# A job whose owner is still running: one file done, one hanging in its child.
mkdir in
echo x > in/a-ok
echo x > in/b-hang
mkfifo out.fifo
"$CORRAL" run -q -j 1 --depth 1 -t 60s -s st -H "$PLUGIN" --json in > out.fifo 2> run.err &
owner=$!
exec 3< out.fifo
IFS= read -r first <&3
like "$first" '"path":"in/a-ok","status":"ok"' "the owner has committed its first outcome"

# A copy of it, made read-only: nobody owns the copy.
cp -a st copy
chmod -R a+rX,a-w copy
before=$(cd copy && ls -l --time-style=+%s.%N)
out=$(asuser "$CORRAL" status -s "$T/copy" 2>&1); rc=$?
is "$rc" 0 "status of a read-only copy: exit 0"
is "$(printf '%s\n' "$out" | awk '$1=="state"{print $2}')" interrupted \
	"status of a read-only copy: a job its owner left running is interrupted"
is "$(asuser "$CORRAL" results -s "$T/copy" 2>&1 | awk '{print $1, $NF}')" "ok in/a-ok" \
	"results of a read-only copy: the committed outcome"
is "$(asuser "$CORRAL" jobs -s "$T/copy" --json 2>&1 | jq -r '.state + " " + (.done|tostring)')" "interrupted 1" \
	"jobs of a read-only copy"
is "$(cd copy && ls -l --time-style=+%s.%N)" "$before" "nothing in the copy was made or changed"

# The copy without LMDB's lock file, which a reader cannot make there.
cp -a st copy2
rm -f copy2/lock.mdb copy2/lock
chmod -R a+rX,a-w copy2
out=$(asuser "$CORRAL" status -s "$T/copy2" 2>&1); rc=$?
is "$rc" 0 "status of a read-only copy without its lock files: exit 0"
is "$(printf '%s\n' "$out" | awk '$1=="state"{print $2}')" interrupted "and the job is interrupted"
is "$(ls copy2)" data.mdb "no lock file was made"

# The live directory, readable by another user but not writable: refused
# while its owner runs (only root's run can be read so by another user).
if [ "$(id -u)" -eq 0 ]; then
	chmod 755 st
	chmod 644 st/*
	out=$(asuser "$CORRAL" status -s "$T/st" 2>&1); rc=$?
	is "$rc" 2 "status of a running owner's dir it cannot write: exit 2"
	is "$out" "corral: unable to read state dir $T/st while its owner runs: readers must be able to write its lock.mdb" \
		"named in one line"
else
	skip "another user's running state dir: needs root to run the owner"
	skip "another user's running state dir: needs root to run the owner"
fi

# A read-only bind mount of the live directory: the owner is seen running.
mkdir ro
if [ "$(id -u)" -eq 0 ]; then ns="unshare -m"; else ns="unshare -rm"; fi
if $ns sh -c "mount --bind '$T/st' '$T/ro' && mount -o remount,bind,ro '$T/ro'" 2>/dev/null; then
	out=$($ns sh -c "mount --bind '$T/st' '$T/ro' && mount -o remount,bind,ro '$T/ro' &&
	    '$CORRAL' status -s '$T/ro'" 2>&1); rc=$?
	is "$rc" 0 "status through a read-only bind mount: exit 0"
	is "$(printf '%s\n' "$out" | awk '$1=="state"{print $2}')" running \
		"status through a read-only bind mount: its owner is seen, the job is running"
else
	skip "no mount namespace here (unshare -m / -rm refused): a read-only bind mount"
	skip "no mount namespace here (unshare -m / -rm refused): a read-only bind mount"
fi

kill -9 "$owner"
wait "$owner" 2>/dev/null
exec 3<&-
is "$("$CORRAL" status -s st | awk '$1=="state"{print $2}')" interrupted "the owner gone: interrupted in its own dir too"
chmod -R u+w copy copy2
done_testing
