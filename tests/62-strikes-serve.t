#!/bin/sh
# A service's jobs have --max-strikes too: `corral submit` sends it (SUBMIT's
# opts, given bit 25), a [defaults] max-strikes applies to a submit that
# gives none, results over the socket show and filter quarantined files,
# `corral retry --quarantined` releases them through the socket (RETRY's
# quarantined) while a plain retry leaves them, and the state directory's
# readers (results --signatures, why) read a service's directory.
. "$(dirname "$0")/lib-serve.sh"

mkdir p
echo p > p/segv-1
echo p > p/segv-2
echo g > p/fine
CONF=$T/corral.conf
printf '[defaults]\nmax-strikes = 1\n' > "$CONF"
start --config "$CONF" --check-workers 0
is "$?" 0 "the service starts with a [defaults] max-strikes"

# Given: 3 strikes, so -r 1 ends them crashed, not quarantined.
"$CORRAL" submit --wait -q -r 1 --max-strikes 3 -H "$PLUGIN" --job given p > /dev/null 2>&1
is "$("$CORRAL" results --json given | jq -r 'select(.path|endswith("segv-1")) | "\(.status) \(.attempts)"')" \
    "crashed 2" "submit --max-strikes 3 -r 1: crashed after two"
# Defaulted: 1 strike quarantines at the first crash.
"$CORRAL" submit --wait -q -r 1 -H "$PLUGIN" --job defaulted p > /dev/null 2>&1
is "$("$CORRAL" results --json defaulted | jq -r 'select(.path|endswith("segv-1")) | "\(.status) \(.attempts)"')" \
    "quarantined 1" "a submit without --max-strikes takes the [defaults] one"
is "$("$CORRAL" results --quarantined defaulted | wc -l)" 2 "results --quarantined over the socket"
like "$("$CORRAL" results defaulted)" "^quarantined 1 .*p/segv-1  killed by signal 11" "... and its text"
is "$("$CORRAL" status --json defaulted | jq -r '.quarantined, .ok' | tr '\n' ' ')" "2 1 " "status counts them"

"$CORRAL" retry defaulted 2> /dev/null
"$CORRAL" watch defaulted > /dev/null 2>&1
is "$("$CORRAL" status --json defaulted | jq -r .quarantined)" 2 "a plain retry leaves them quarantined"
"$CORRAL" retry --quarantined defaulted 2> /dev/null
is "$?" 0 "retry --quarantined"
"$CORRAL" watch defaulted > /dev/null 2>&1
is "$("$CORRAL" why -s "$S" --job defaulted --json p/segv-2 2>/dev/null | jq -r '[.attempts[].outcome] | join(" ")')" \
    "quarantined quarantined" "released, run again, quarantined again: why reads the service's directory"
is "$(env -u CORRAL_SOCKET "$CORRAL" results -s "$S" defaulted --signatures --json | jq -r .count)" 2 \
    "results -s --signatures on the service's directory"
"$CORRAL" results --signatures defaulted > /dev/null 2> sig.err
is "$?" 2 "--signatures over the socket: exit 2"
like "$(cat sig.err)" "^corral: results: --signatures reads the state directory" "... saying to give -s"
is "$("$CORRAL" results -s "$S" --signatures --json defaulted | jq -r .count)" 2 \
    "... but with -s DIR it reads DIR, CORRAL_SOCKET set or not"
env -u CORRAL_SOCKET "$CORRAL" retry -s "$S" defaulted 2> owned.err
is "$?" 2 "retry -s on a directory a service owns: exit 2"
like "$(cat owned.err)" "^corral: state dir .* is in use by another corral process \(a service: give --socket\)$" \
    "... one line"

kill "$DPID"
wait "$DPID"
is "$?" 0 "the service stops cleanly"
stop_notify
done_testing
