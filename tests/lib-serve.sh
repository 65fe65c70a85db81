# lib-serve.sh: what the tests of `corral serve` share, on top of lib.sh:
# a service on $S and $SOCK, started and waited for as systemd would.
. "$(dirname "$0")/lib.sh"

NOTIFYSOCK=$BUILD/tests/notifysock
SOCK=$T/sock
S=$T/st
export CORRAL_SOCKET=$SOCK CORRAL S

# alive PID: the process runs (a zombie not yet waited for does not).
alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# start [ARGS]: a service on $S and $SOCK, its systemd messages in notify.log;
# 0 once it says READY=1, 1 if it exits first (wait $DPID for its status).
start() {
	rm -f notify.sock
	: > "$T/notify.log"
	"$NOTIFYSOCK" "$T/notify.sock" >> "$T/notify.log" &
	NPID=$!
	wait_until test -S "$T/notify.sock"
	NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=${WATCHDOG_USEC:-} \
	    "$CORRAL" serve -v -s "$S" --socket "$SOCK" -j 2 "$@" 2>> "$T/serve.log" &
	DPID=$!
	wait_until ready_or_gone
	grep -q "READY=1" "$T/notify.log"
}

ready_or_gone() {
	grep -q "READY=1" "$T/notify.log" || ! alive "$DPID"
}

stop_notify() {
	kill "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
}
