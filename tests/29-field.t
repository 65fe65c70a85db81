#!/bin/sh
# What archives from the field need beyond the generated corpus: sparse
# entries, whose holes are bytes for every limit, in inspection and
# extraction alike; the overlap of a bomb's kernel as the first reason;
# --formats choosing the readers (mtree off by default, text is no
# archive); a real lzop stream named unsupported, not a crash of the
# sandbox.
. "$(dirname "$0")/lib.sh"

# GNU tar's sparse formats: old GNU (type S) and pax 1.0, of files that are
# all hole but five bytes. Sizes are apparent: a few KB on disk.
mkdir sp
truncate -s 2G sp/big2
truncate -s 6G sp/big6
printf hello | dd of=sp/big6 bs=1 seek=100000 conv=notrunc 2>/dev/null
tar -C sp -S -cf gnu2.tar big2
tar -C sp -S -cf gnu6.tar big6
tar -C sp --format=pax -S -cf pax6.tar big6
ok "$([ "$(stat -c %s pax6.tar)" -lt 100000 ]; echo $?)" "sparse archives of a few KB made"

"$CORRAL" run -q -s st1 --json gnu2.tar gnu6.tar pax6.tar > d.jsonl 2>/dev/null
for f in gnu2.tar gnu6.tar pax6.tar; do
	is "$(jq -r --arg p "$f" 'select(.path==$p) | .status + " " + .result.verdict' d.jsonl)" \
		"failed rejected" "$f: holes count: rejected with the default limits"
done
is "$(jq -r 'select(.path=="gnu2.tar") | .result.reasons[0].code' d.jsonl)" "ratio" \
	"gnu2.tar: 2 GiB of holes in 10 KB is past the ratio"

# With the ratio lifted, the entry's size is the limit hit, in inspection
# and in extraction alike (both say entry_too_large).
"$CORRAL" run -q -s st2 --max-ratio 1000000000 --json gnu2.tar pax6.tar > e.jsonl 2>/dev/null
for f in gnu2.tar pax6.tar; do
	is "$(jq -r --arg p "$f" 'select(.path==$p) | .error' e.jsonl | cut -d' ' -f1)" "entry_too_large" \
		"$f: over --max-entry-bytes by its holes"
done

# Limits that let it through: clean, 6 GiB in the manifest and the total,
# extracted whole (a sparse file again) and equal to the original.
"$CORRAL" run -q -s st3 --job sp --max-ratio 1000000000 --max-entry-bytes 8G --max-bytes 8G \
	--extract out --json gnu6.tar pax6.tar > f.jsonl 2>/dev/null
for f in gnu6.tar pax6.tar; do
	is "$(jq -r --arg p "$f" 'select(.path==$p) | [.status, .result.verdict, .result.bytes,
		.result.files[0].size, .result.extracted] | map(tostring) | join(" ")' f.jsonl)" \
		"ok clean 6442450944 6442450944 true" "$f: clean, its logical size counted, extracted"
	# Its size, and its first MiB (the data at 100000 included): reading
	# all 6 GiB of zeros twice would cost a minute.
	is "$(stat -c %s "out/sp/$f/big6")" 6442450944 "$f: the extracted file has the original's size"
	cmp -s -n 1048576 "out/sp/$f/big6" sp/big6
	ok "$?" "$f: ... and its bytes"
done

# A zip bomb's shared kernel, whose first entry's data starts with another
# entry's local header: the overlap is the first reason, and no phantom
# nested archive is reported.
"$BUILD/tests/mkhostile" corpus > /dev/null
"$CORRAL" run -q -s st4 --json corpus/overlap-kernel.zip > o.jsonl 2>/dev/null
is "$(jq -r '[.result.reasons[].code] | join(",")' o.jsonl)" "overlapping_entries" \
	"overlap-kernel.zip: the overlap is the one reason"

# --formats: text that mtree would take is no archive by default; asked
# for, mtree reads it; a list names the whole set.
"$CORRAL" run -q -s st5 --json corpus/digest.sha256 > m.jsonl 2>/dev/null
is "$(jq -r '.result.reasons[0].code' m.jsonl)" "not_archive" "a digest line is no archive by default"
"$CORRAL" run -q -s st6 --formats +mtree --json corpus/digest.sha256 > m2.jsonl 2>/dev/null
is "$(jq -r '.result.format' m2.jsonl)" "mtree" "--formats +mtree reads it as mtree"
"$CORRAL" run -q -s st7 --formats zip --json corpus/clean.tar corpus/clean.zip > m3.jsonl 2>/dev/null
is "$(jq -r 'select(.path=="corpus/clean.tar") | .result.reasons[0].code' m3.jsonl)" "not_archive" \
	"--formats zip: a tar is not read"
is "$(jq -r 'select(.path=="corpus/clean.zip") | .result.verdict' m3.jsonl)" "clean" \
	"--formats zip: a zip is"
"$CORRAL" run -q -s st8 --formats zip,nosuch x > /dev/null 2> err.txt
is "$?" 2 "--formats with an unknown name: usage error"
like "$(cat err.txt)" "'nosuch' is no format" "... naming it"

# A real lzop stream: this libarchive runs the lzop program for it, which
# the sandbox forbids; recorded as unsupported, never a crash.
if have lzop; then
	lzop -q -o clean.tar.lzo corpus/clean.tar
	"$CORRAL" run -q -s st9 --json clean.tar.lzo > z.jsonl 2>/dev/null
	is "$(jq -r '[.status, .result.verdict, .result.reasons[0].code] | join(" ")' z.jsonl)" \
		"failed malformed unsupported" "a .tar.lzo: failed, malformed, unsupported"
	like "$(jq -r .error z.jsonl)" "lzop" "... and the error names lzop"
else
	skip lzop is not installed
	skip lzop is not installed
fi
done_testing
