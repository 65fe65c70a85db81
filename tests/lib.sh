# lib.sh: what every end-to-end test script shares. Source it first: it finds
# the binaries, makes a private temp dir (removed on exit, children killed),
# and gives TAP helpers: ok, is, like, done_testing.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
CORRAL=${CORRAL:-$TOP/corral}
BUILD=${CORRAL_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PLUGIN=$BUILD/tests/plugins/misbehave.so
FAKEWORKER=$BUILD/tests/fakeworker
EXAMPLE=$BUILD/examples/count_bytes.so
T=$(mktemp -d /tmp/corral-test.XXXXXX)
chmod 755 "$T"
_tap_n=0
_tap_failed=0
_cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT
cd "$T" || exit 1

ok() {	# ok STATUS DESCRIPTION: passes when STATUS is 0
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

like() {	# like TEXT REGEX DESCRIPTION (grep -E)
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'
		echo "#   does not match: $2"
	fi
}

skip() {	# skip WHY: one passing TAP line marked skipped
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # skip $*"
}

have() { command -v "$1" > /dev/null 2>&1; }	# have CMD: it is installed

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# wait_until [-t SECONDS] CMD...: runs CMD (a command or a function; its
# output is thrown away) every 50 ms until it succeeds. Fails, saying what
# it waited for, after SECONDS (60 unless told): a bound for a loaded
# machine under a sanitizer, never the time a thing is expected to take.
# What a test waits for is a thing that happens, never a time that passes.
wait_until() {
	_wu_limit=60
	if [ "${1:-}" = -t ]; then
		_wu_limit=$2
		shift 2
	fi
	_wu_end=$(($(date +%s) + _wu_limit))
	while ! "$@" > /dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_wu_end" ]; then
			echo "# gave up after ${_wu_limit} s waiting for: $*"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# done_at_least STATEDIR N: the state dir's job has N outcomes committed.
done_at_least() {
	_dal=$("$CORRAL" status -s "$1" --json 2>/dev/null | jq -r .done 2>/dev/null)
	[ -n "$_dal" ] && [ "$_dal" != null ] && [ "$_dal" -ge "$2" ]
}

# now_ms: monotonic-enough milliseconds for measuring a run.
now_ms() { date +%s%3N; }

# count of JSON lines in results with a given status
count_status() {	# count_status STATEDIR STATUS
	"$CORRAL" results -s "$1" --json | jq -r .status | grep -cx "$2"
}
