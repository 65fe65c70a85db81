#!/bin/sh
# --extract end to end, on the hostile corpus of tests/mkhostile: every
# archive is judged, the clean ones come out whole under DIR/JOB/PATH/,
# byte for byte as bsdtar extracts them; a suspicious one is left alone
# (ok, "extracted": false, no directory) unless --extract-suspicious asks
# for it, and then it is extracted only if the write-time rules let every
# entry through, else it fails and leaves nothing. Whatever happens,
# nothing lands outside DIR, and DIR holds no special file, no set-id or
# world-writable mode and no link out of it.
. "$(dirname "$0")/lib.sh"

"$BUILD/tests/mkhostile" in
ok "$?" "the corpus is written"
mv in/expected.tsv .
mkdir outside canary
: > canary/keep
before=$(find "$T" -path "$T/out" -prune -o -print | sort)
"$CORRAL" run -q -j 2 -s st --job x --extract out --json in > out.jsonl 2> err.txt
rc=$?
ok "$([ "$rc" -le 1 ]; echo $?)" "the run ends (exit $rc)"
is "$(wc -l < out.jsonl)" "$(wc -l < expected.tsv)" "one outcome per file"
# The suspicious ones again, and one clean, with --extract-suspicious.
awk -F '\t' '$2 == "suspicious" || $1 == "clean.zip" { print "in/" $1 }' expected.tsv > s.list
"$CORRAL" run -q -j 2 -s st --job xs --extract out --extract-suspicious --json - < s.list > outs.jsonl 2> errs.txt
rc=$?
ok "$([ "$rc" -le 1 ]; echo $?)" "--extract-suspicious: the run ends (exit $rc)"
is "$(wc -l < outs.jsonl)" "$(wc -l < s.list)" "--extract-suspicious: one outcome per file"
after=$(find "$T" -path "$T/out" -prune -o -print | sort)
after=$(printf '%s\n' "$after" | grep -v -e "^$T/st" -e "^$T/outs\{0,1\}.jsonl$" -e "^$T/errs\{0,1\}.txt$" -e "^$T/s.list$")
before=$(printf '%s\n' "$before" | grep -v -e "^$T/st")
is "$after" "$before" "nothing new outside DIR (traversal, absolute names, links)"
is "$(find /tmp /etc -maxdepth 3 -newer canary/keep -name 'evil*' 2>/dev/null | grep -v "^$T/" | head -3)" "" \
	"no 'evil' file in /tmp or /etc"

is "$(find out ! -type f ! -type d ! -type l | head -3)" "" "no device, FIFO or socket in DIR"
is "$(find out -perm /6000 | head -3)" "" "no set-id bit in DIR"
is "$(find out -perm -o+w ! -type l | head -3)" "" "nothing world-writable in DIR"
top=$(cd out && pwd -P)
escaped=""
for l in $(find out -type l); do
	case $(readlink -m "$l") in "$top"/*) ;; *) escaped="$escaped $l" ;; esac
done
is "$escaped" "" "every symlink in DIR resolves inside it"

# status NAME [OUT]: the file's status, whether it was extracted, its verdict.
status() {
	jq -r --arg p "in/$1" 'select(.path==$p) | .status + " " + ((.result.extracted // false)|tostring) +
		" " + (.result.verdict // "")' "${2:-out.jsonl}"
}
tab=$(printf '\t')
while IFS=$tab read -r name verdict reason; do
	d=out/x/in/$name
	case $verdict in
	clean)
		is "$(status "$name")" "ok true clean" "$name: clean, extracted"
		mkdir -p "ref/$name"
		if bsdtar -xf "in/$name" -C "ref/$name" 2>/dev/null; then
			diff -r --no-dereference "ref/$name" "$d" > /dev/null
			ok "$?" "$name: the same tree as bsdtar's"
		fi ;;
	suspicious)
		is "$(status "$name")" "ok false suspicious" "$name: suspicious, ok, not extracted by default"
		ok "$([ ! -e "$d" ]; echo $?)" "$name: no directory"
		s=$(status "$name" outs.jsonl)
		d=out/xs/in/$name
		case $s in
		"ok true suspicious") ok 0 "$name: --extract-suspicious, every entry passed the write-time rules" ;;
		"failed false suspicious")
			is "$(ls -A "$d" 2>/dev/null)" "" "$name: --extract-suspicious, refused at write time, nothing left" ;;
		*) is "$s" "ok true or failed false" "$name: --extract-suspicious" ;;
		esac ;;
	*)
		is "$(status "$name")" "failed false $verdict" "$name: $verdict, not extracted"
		ok "$([ ! -e "$d" ]; echo $?)" "$name: no directory" ;;
	esac
done < expected.tsv
is "$(status clean.zip outs.jsonl)" "ok true clean" "clean.zip: with --extract-suspicious, the same"
is "$(jq -r 'select(.result.verdict=="suspicious" and .result.extracted) | .path' outs.jsonl | head -1 | grep -c .)" 1 \
	"--extract-suspicious writes out some suspicious archive"

# A second run of the job (resumed after a kill, say) starts each file's
# directory afresh.
: > out/x/in/clean.zip/stale
rm -rf st
"$CORRAL" run -q -j 2 -s st --job x --extract out in > /dev/null 2>&1
ok "$([ ! -e out/x/in/clean.zip/stale ]; echo $?)" "a re-run empties a file's directory before extracting"

# A link planted in DIR is never followed by the supervisor.
rm -rf st out/x/in/clean.tar
ln -s "$T/outside" out/x/in/clean.tar
"$CORRAL" run -q -s st --job x --extract out --json in/clean.tar > one.jsonl 2>/dev/null
is "$(jq -r .status one.jsonl)" "skipped" "a symlink where a file's directory goes: skipped"
is "$(ls -A outside)" "" "... and nothing written through it"
done_testing
