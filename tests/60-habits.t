#!/bin/sh
# What a user of GNU parallel expects, each tried as such a user would:
# counts in English ("1 file"), times in the local time zone (UTC with
# --utc), and -j relative to the CPUs (50%, +2, -1).
. "$(dirname "$0")/lib.sh"

mkdir in two
echo x > in/a
echo x > two/a
echo y > two/b

# ---- counts in English ----
"$CORRAL" run -q -s st -H sha256 in 2> one.err
like "$(cat one.err)" 'done: 1 of 1 file done: 1 ok' "one file is '1 of 1 file'"
like "$(cat one.err)" 'this run: 1 file in ' "... and 'this run: 1 file'"
"$CORRAL" run -q -s st -H sha256 two 2> two.err
like "$(cat two.err)" 'done: 2 of 2 files done: 2 ok' "two are '2 of 2 files'"
like "$(cat two.err)" 'this run: 2 files in ' "... and 'this run: 2 files'"

# ---- times: the local zone with its offset, or UTC ----
created=$("$CORRAL" status -s st --json | jq .created_ms)
secs=$((created / 1000))
want_utc=$(date -u -d "@$secs" '+%Y-%m-%d %H:%M:%S UTC')
want_ny=$(TZ=America/New_York date -d "@$secs" '+%Y-%m-%d %H:%M:%S %z')
is "$(TZ=America/New_York "$CORRAL" status -s st | sed -n 's/^created *//p')" "$want_ny" \
    "status shows times in TZ's zone, with its offset"
is "$(TZ=America/New_York "$CORRAL" status -s st --utc | sed -n 's/^created *//p')" "$want_utc" \
    "... and in UTC with --utc"
is "$(TZ=Asia/Kolkata "$CORRAL" status -s st | sed -n 's/^created *//p')" \
    "$(TZ=Asia/Kolkata date -d "@$secs" '+%Y-%m-%d %H:%M:%S %z')" "... another zone, another time"

# ---- -j relative to the CPUs ----
cpus=$(getconf _NPROCESSORS_ONLN)
clamp() { if [ "$1" -lt 1 ]; then echo 1; else echo "$1"; fi; }
workers() {	# workers J: how many children `run -j J` starts
	rm -rf stj
	"$CORRAL" run -v -s stj -j "$1" -H sha256 in 2>&1 | grep -c 'started worker'
}
is "$(workers 50%)" "$(clamp $((cpus / 2)))" "-j 50%: half the $cpus CPUs"
is "$(workers 200%)" "$((cpus * 2))" "-j 200%: twice them"
is "$(workers +2)" "$((cpus + 2))" "-j +2: two more"
is "$(workers -1)" "$(clamp $((cpus - 1)))" "-j -1: one fewer (at least one)"
is "$(workers -1000)" 1 "-j -1000: at least one"
is "$(workers 3)" 3 "-j 3: three, as before"
for bad in 0 abc 1025 +x 50%% ''; do
	"$CORRAL" run -q -s stj -j "$bad" -H sha256 in > /dev/null 2> bad.err
	is "$?" 2 "-j '$bad': a usage error"
done
like "$(cat bad.err)" "--workers: '' is not a count from 1 to 1024, a share of the CPUs like 50%" \
    "... saying what it takes"

done_testing
