#!/bin/sh
# The fuzz targets (fuzz/, docs/fuzzing.md) still build and find nothing in
# a short run: each runs for a bounded time on a copy of its seed corpus,
# all at once, and a crash, a leak, a failed check or a hang fails it.
# The input that did it is kept under build-fuzz/crashes/ and shown here.
# Skipped when `make fuzz` has not been run, and when CORRAL_FUZZ_SECONDS
# is 0 (the sanitizer pass: the targets are sanitizer builds already).
. "$(dirname "$0")/lib.sh"

FUZZ=${CORRAL_FUZZ_BUILD:-$TOP/build-fuzz}
SECS=${CORRAL_FUZZ_SECONDS:-20}
if [ "$SECS" = 0 ]; then
	echo "1..0 # SKIP fuzzing turned off (CORRAL_FUZZ_SECONDS=0)"
	exit 0
fi
if [ ! -x "$FUZZ/fuzz_ipc_decode" ] || [ ! -x "$FUZZ/fuzz_ctl_decode" ] ||
    [ ! -x "$FUZZ/fuzz_archive" ] || [ ! -f "$FUZZ/corpus/.done" ]; then
	echo "1..0 # SKIP no fuzz targets in $FUZZ: run make fuzz"
	exit 0
fi

# run NAME SEEDS: NAME's fuzzer on a copy of SEEDS, in the background.
run() {
	mkdir "corpus-$1"
	cp "$FUZZ/corpus/$2/"* "corpus-$1/"
	# Not the settings of the suite's sanitizer runs: the fuzzer handles
	# crashes itself. addr2line names the frames where llvm-symbolizer
	# is not installed.
	ASAN_OPTIONS=allow_addr2line=1 UBSAN_OPTIONS=print_stacktrace=1:allow_addr2line=1 \
	    "$FUZZ/fuzz_$1" -max_total_time="$SECS" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$T/artifact-$1-" "corpus-$1" > "$1.log" 2>&1
	echo $? > "$1.rc"
}

run ipc_decode ipc &
run ctl_decode ctl &
run archive archive &
wait

for name in ipc_decode ctl_decode archive; do
	rc=$(cat "$name.rc")
	is "$rc" 0 "fuzz_$name: ${SECS}s from its seeds, nothing found"
	grep -Eq '^Done [0-9]+ runs' "$name.log"
	ok $? "fuzz_$name: ran to its time limit"
	if [ "$rc" = 0 ]; then
		echo "# fuzz_$name: $(grep -Eo '^Done [0-9]+ runs in [0-9]+ second' "$name.log" | head -1),"\
		    "$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$name.log" | tail -1)"
	else
		grep -E 'ERROR|runtime error|check failed|refuses|SUMMARY|^ *#[0-9]' "$name.log" |
		    head -30 | sed 's/^/#   /'
		mkdir -p "$FUZZ/crashes"
		for a in "$T"/artifact-"$name"-*; do
			[ -f "$a" ] || continue
			cp "$a" "$FUZZ/crashes/"
			echo "#   input kept: $FUZZ/crashes/$(basename "$a") ($(wc -c < "$a") bytes):"
			od -An -tx1 "$a" | head -8 | sed 's/^/#   /'
		done
	fi
done
done_testing
