#!/bin/sh
# The archive handler's verdicts end to end, with the default limits: the
# hostile corpus tests/mkhostile writes goes through `corral run --json`,
# and every file's status, verdict and reason come out as its expected.tsv
# says (malformed and rejected are failed, clean and suspicious ok); the
# bombs are stopped in well under a second each; the JSON carries the
# reasons' entries, the manifest and the archive's digest; the limits and
# options given on the command line reach the handler.
. "$(dirname "$0")/lib.sh"

"$BUILD/tests/mkhostile" in
ok "$?" "the corpus is written"
mv in/expected.tsv .
"$CORRAL" run -q -j 2 -s st --json in > out.jsonl 2> err.txt
is "$?" 1 "exit status 1: some files not ok"
is "$(wc -l < out.jsonl)" "$(wc -l < expected.tsv)" "one JSON line per file"

jq -r '[(.path | ltrimstr("in/")), .status, (.result.verdict // "-"),
	([.result.reasons[]?.code] | join(","))] | @tsv' out.jsonl > got.tsv
tab=$(printf '\t')
while IFS=$tab read -r name verdict reason; do
	line=$(grep "^$name$tab" got.tsv)
	status=$(echo "$line" | cut -f2)
	v=$(echo "$line" | cut -f3)
	codes=$(echo "$line" | cut -f4)
	case $verdict in rejected|malformed) want=failed ;; *) want=ok ;; esac
	if [ "$reason" = - ]; then
		[ -z "$codes" ] && has=yes || has="no: $codes"
	else
		case ",$codes," in *",$reason,"*) has=yes ;; *) has="no: $codes" ;; esac
	fi
	is "$status $v $has" "$want $verdict yes" "$name: $want, $verdict, ${reason}"
done < expected.tsv

for b in bomb.zip bomb.gz bomb.zst; do
	ms=$(jq -r --arg p "in/$b" 'select(.path==$p) | .duration_ms' out.jsonl)
	ok "$([ "$ms" -lt 2000 ]; echo $?)" "$b stopped in ${ms} ms"
done
is "$(jq -r 'select(.path=="in/nested-trav.tar.gz") | .result.reasons[0].entry' out.jsonl)" \
	"inner.bin!/../../evil" "a nested entry is named through its archive"
is "$(jq -r 'select(.path=="in/deep.zip") | .error' out.jsonl)" \
	"too_deep level1.zip!/level2.zip!/level3.zip!/level4.zip: deeper than 3" "the error names the first reason"
is "$(jq -r 'select(.path=="in/clean.tar") | .result.sha256' out.jsonl)" \
	"$(sha256sum in/clean.tar | cut -d' ' -f1)" "the archive's sha256"
is "$(jq -r 'select(.path=="in/clean.zip") | [.result.files[] | .name] | join(" ")' out.jsonl)" \
	"d/ d/a.txt d/sub/ d/sub/b.txt d/link" "the manifest names every entry"
is "$(jq -r 'select(.path=="in/clean.tar.gz") | .result.format + " " + (.result.filters | join(","))' out.jsonl)" \
	"POSIX ustar format gzip" "format and filters (libarchive names a pax archive without extended headers ustar)"

# The limits and options from the command line reach the handler.
"$CORRAL" run -q -s st2 --max-entries 2 --max-depth 1 --fail-on suspicious --json \
	in/clean.tar in/nested-ok.zip in/trav.zip > lim.jsonl 2> /dev/null
is "$(jq -r 'select(.path=="in/clean.tar") | .status + " " + .error' lim.jsonl)" \
	"failed too_many_entries: over 2" "--max-entries 2: rejected"
is "$(jq -r 'select(.path=="in/nested-ok.zip") | .error' lim.jsonl)" \
	"too_deep level1.zip!/level2.zip: deeper than 1" "--max-depth 1: rejected one level down"
is "$(jq -r 'select(.path=="in/trav.zip") | .status + " " + .result.verdict' lim.jsonl)" \
	"failed suspicious" "--fail-on suspicious: suspicious is failed"
"$CORRAL" run -q -s st3 --entry-sha256 --json in/clean.tar > sha.jsonl 2> /dev/null
is "$(jq -r '.result.files[] | select(.name=="d/a.txt") | .sha256' sha.jsonl)" \
	"$(printf 'hello, world\n' | sha256sum | cut -d' ' -f1)" "--entry-sha256: each entry's digest"
done_testing
