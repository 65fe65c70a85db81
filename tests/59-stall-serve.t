#!/bin/sh
# A service's jobs have --stall and --timeout N% too: `corral submit` sends
# them (SUBMIT's stall_ms and timeout_pct), a [defaults] stall applies to a
# submit that gives none, and a timeout's limit comes back over the control
# socket in `results`, text and --json. The plugin's pace is the file's
# content (tests/plugins/pulse.c).
. "$(dirname "$0")/lib-serve.sh"

PULSE=$BUILD/tests/plugins/pulse.so
mkdir p
echo "fade 300 20000" > p/fades
echo "pulse 50 1000" > p/alive
CONF=$T/corral.conf
printf '[defaults]\nstall = 400ms\n' > "$CONF"
start --config "$CONF" --check-workers 0
is "$?" 0 "the service starts with a [defaults] stall"

"$CORRAL" submit --wait -q -r 0 -H "$PULSE" --stall 300ms -t 10s --job given p > /dev/null 2>&1
json=$("$CORRAL" results --json given)
is "$(printf '%s\n' "$json" | jq -r 'select(.path|endswith("p/fades")) | .status + " " + .limit + " " + .error')" \
    "timeout stall stalled: no progress for 0.3s" "submit --stall 300ms: the silent file is a stall, over the socket"
is "$(printf '%s\n' "$json" | jq -r 'select(.path|endswith("p/alive")) | .status')" ok "... the one with progress ok"
like "$("$CORRAL" results given)" "timeout .*p/fades  stalled: no progress for 0.3s  limit=stall" \
    "... and results' text names the limit"

"$CORRAL" submit --wait -q -r 0 -H "$PULSE" -t 10s --job defaulted p > /dev/null 2>&1
is "$("$CORRAL" results --json defaulted | jq -r 'select(.path|endswith("p/fades")) | .limit + " " + .error')" \
    "stall stalled: no progress for 0.4s" "a submit without --stall takes the [defaults] one"

kill "$DPID"
wait "$DPID"
is "$?" 0 "the service stops cleanly"
stop_notify
done_testing
