#!/bin/sh
# A state directory whose disk fills: the service says so in words (not
# "Input/output error"), keeps what it recorded, runs nothing meanwhile,
# and once there is room finishes the job with every file recorded once;
# a submit on the full disk is refused as disk_full. `corral run` says the
# disk is full and stays resumable. The disk is a small tmpfs in a mount
# namespace of the test's own (root only).
if [ -z "${CORRAL_IN_NS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && unshare -m true 2> /dev/null; then
		CORRAL_IN_NS=1 exec unshare -m sh "$0" "$@"
	fi
	echo "1..0 # skip needs root and a mount namespace (unshare -m)"
	exit 0
fi
. "$(dirname "$0")/lib-serve.sh"

mkdir small in
if ! mount -t tmpfs -o size=600k tmpfs "$T/small"; then
	echo "1..0 # skip unable to mount a tmpfs"
	exit 0
fi
S=$T/small/st
i=0
while [ $i -lt 400 ]; do echo $i > "in/f$(printf %03d $i)"; i=$((i + 1)); done
# Each result keeps 3000 bytes of output: 400 of them do not fit.
CMD='head -c 3000 /dev/zero | tr "\0" x; : {}'

start --check-workers 0
"$CORRAL" submit -q --job big -x "$CMD" in > /dev/null
wait_until grep -q "the disk is full" "$T/serve.log"
ok $? "the log says the disk is full"
unlike_io=$(grep -c "Input/output error" "$T/serve.log")
is "$unlike_io" 0 "... not 'Input/output error'"
like "$("$CORRAL" status big)" "disk is full" "status says why the job waits"
d1=$("$CORRAL" status --json big | jq -r .done)
ok "$([ "$d1" -gt 0 ] && [ "$d1" -lt 400 ]; echo $?)" "part of the job is recorded ($d1 of 400)"
"$CORRAL" submit -q --job other -H sha256 in > /dev/null 2> sub.err
is "$?" 2 "a submit on the full disk is refused"
like "$(cat sub.err)" "disk_full" "... as disk_full"
alive "$DPID"
ok $? "the service runs on"

mount -o remount,size=64m "$T/small"
wait_until grep -q "has room again" "$T/serve.log"
ok $? "once there is room, it says so"
wait_until sh -c '[ "$("$CORRAL" status --json big | jq -r .state)" = done ]'
ok $? "... and finishes the job"
is "$("$CORRAL" results --json big | jq -r .status | sort | uniq -c | tr -s ' ')" " 400 ok" \
    "every file ok"
is "$("$CORRAL" results --json big | jq -r .path | sort | uniq -d | wc -l | tr -d ' ')" 0 \
    "none recorded twice"
is "$("$CORRAL" status --json big | jq -r .done)" 400 "the counts agree: 400 done"
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops cleanly"
stop_notify

# corral run on a full disk: the words, and a job that resumes.
mkdir small2
mount -t tmpfs -o size=600k tmpfs "$T/small2"
CORRAL_SOCKET= timeout 120 "$CORRAL" run -q -j 2 -s "$T/small2/st" -x "$CMD" in > /dev/null 2> run.err &
RPID=$!
wait_until grep -q "the disk is full" run.err
ok $? "run: the disk is full, in words"
mount -o remount,size=64m "$T/small2"
wait $RPID
is "$?" 0 "... it goes on once there is room, and ends ok"
is "$(CORRAL_SOCKET= "$CORRAL" results -s "$T/small2/st" --json | jq -r .status | sort | uniq -c | tr -s ' ')" \
    " 400 ok" "... every file recorded once"
umount "$T/small" "$T/small2"
done_testing
