#!/bin/sh
# The happy path: a generated set of archives in five formats and a few broken
# files goes through `corral run` with the archive handler. Every file gets
# exactly one outcome, the good ones ok with their format, the broken ones
# failed with libarchive's message; the exit status says some were not ok;
# status and results agree; a second run of the same command does nothing.
. "$(dirname "$0")/lib.sh"

sh "$TOP/tests/mkcorpus.sh" in 100 6
"$CORRAL" run -q -j 2 -s st --json in > out.jsonl 2> err.txt
is "$?" 1 "exit status 1: the job finished, some files not ok"
is "$(wc -l < out.jsonl)" 106 "one JSON line per file"
is "$(jq -r .path out.jsonl | sort -u | wc -l)" 106 "each file exactly once"
is "$(jq -r 'select(.status=="ok") | .path' out.jsonl | wc -l)" 100 "the 100 archives are ok"
is "$(jq -r 'select(.status=="failed") | .path' out.jsonl | grep -c /bad)" 6 "the 6 broken files failed"
is "$(jq -r 'select(.path|test("a000000.zip")) | .result.format' out.jsonl)" "ZIP 2.0 (deflation)" "zip format named"
is "$(jq -r 'select(.path|test("a000001.tar.gz")) | .result.filters[0]' out.jsonl)" "gzip" "gzip filter named"
is "$(jq -r 'select(.path|test("a000001.tar.gz")) | .result.entries' out.jsonl)" 4 "entries counted (d, d/a.txt, d/sub, d/sub/b.txt)"
is "$(jq -r 'select(.path|test("a000004.7z")) | .result.bytes' out.jsonl)" "$(( $(printf 'entry 4\n' | wc -c) + $(seq 1 5 | wc -c) ))" "uncompressed bytes counted"
like "$(jq -r 'select(.path|test("truncated")) | .error' out.jsonl | head -1)" "." "a truncated archive has libarchive's message"
like "$(jq -r 'select(.path|test("text.txt")) | .error' out.jsonl | head -1)" "nrecognized archive format" "plain text is not an archive"
like "$(cat err.txt)" "job in-[0-9a-f]{8} done: 106 of 106 files done: 100 ok, 6 failed, 0 crashed, 0 timeout, 0 skipped" "summary covers the job"

st=$("$CORRAL" status -s st --json)
is "$(echo "$st" | jq -r .state)" done "status: done"
is "$(echo "$st" | jq -r '.ok, .failed, .pending' | tr '\n' ' ')" "100 6 0 " "status: counts"
is "$("$CORRAL" results -s st | wc -l)" 106 "results: every file"
is "$("$CORRAL" results -s st --failed | wc -l)" 6 "results --failed: the broken ones"
is "$("$CORRAL" results -s st --json | jq -s 'map(.seq) | sort | unique | length')" 106 "results: distinct seqs"
like "$("$CORRAL" jobs -s st)" "^in-[0-9a-f]{8} +done +106/106 done, 6 not ok" "jobs lists it"

"$CORRAL" run -q -j 2 -s st --json in > again.jsonl 2> err2.txt
is "$?" 1 "re-run of a finished job: same verdict"
is "$(wc -l < again.jsonl)" 0 "re-run processes nothing"
like "$(cat err2.txt)" "this run: 0 files .*nothing left to do" "re-run says so"
is "$("$CORRAL" status -s st --json | jq -r .runs)" 2 "the job counts its runs"

sh "$TOP/tests/mkcorpus.sh" good 10
"$CORRAL" run -q -s st good > /dev/null 2>&1
is "$?" 0 "exit status 0 when every file is ok"
is "$("$CORRAL" jobs -s st | wc -l)" 2 "a second job beside the first"
done_testing
