#!/bin/sh
# docs/bad-inputs.md lists every bad input the suite tries, and cannot
# drift from it. Each row's last cell names a test file and markers: each
# marker must still be in that file. In the files given over to bad input,
# every assertion (is, ok, like) must hold a marker of some row, so a case
# added without a row fails here. The archive table is the corpus
# tests/mkhostile writes, line for line. README.md and corral(1) link to it.
. "$(dirname "$0")/lib.sh"

DOC=$TOP/docs/bad-inputs.md
BOTH_WAYS="18-bad-inputs.t 19-protocol.t 32-options-anywhere.t 33-readonly-state.t"

# FILE<TAB>MARKER for every marker of every row outside the archive table,
# FILE<TAB> for a row marked planned.
awk -v tests="$TOP/tests" '
	/^<!-- archives:/ { skip = 1 } /^<!-- end archives -->/ { skip = 0; next }
	skip || !/^\|/ || /^\|---/ || /^\| bad input \|/ { next }
	{
		cell = $0
		sub(/[ \t]*\|[ \t]*$/, "", cell)
		sub(/^.*\|[ \t]*/, "", cell)
		file = ""
		while (match(cell, /`[^`]*`/)) {
			tok = substr(cell, RSTART + 1, RLENGTH - 2)
			rest = substr(cell, RSTART + RLENGTH)
			if (tok ~ /\.(t|py|c|sh)$/ && rest ~ /^[ \t]*planned/) {
				file = tok
				print file "\t"
			} else if (tok ~ /\.(t|py|c|sh)$/ && (getline dummy < (tests "/" tok)) >= 0) {
				close(tests "/" tok)
				file = tok
			} else if (file != "")
				print file "\t" tok
			else
				print "?\t" tok
			cell = rest
		}
	}' "$DOC" > markers.tsv
ok "$([ "$(wc -l < markers.tsv)" -gt 100 ]; echo $?)" "the table's rows read ($(wc -l < markers.tsv) markers)"

# Each marker is still in its file.
tab=$(printf '\t')
missing=0
while IFS=$tab read -r file marker; do
	if [ "$file" = "?" ]; then
		echo "# a row names a marker before any test file: $marker"
		missing=$((missing + 1))
	elif [ -z "$marker" ]; then
		continue
	elif ! grep -qF -- "$marker" "$TOP/tests/$file"; then
		echo "# tests/$file no longer has: $marker"
		missing=$((missing + 1))
	fi
done < markers.tsv
is "$missing" 0 "every row names something its test file still tries"

# Rows of tests still to be written.
for file in $(awk -F'\t' '$2 == "" { print $1 }' markers.tsv | sort -u); do
	if [ -f "$TOP/tests/$file" ]; then
		echo "not ok $((_tap_n += 1)) - tests/$file exists: its rows want markers # TODO"
	else
		skip "tests/$file is not written yet: its rows are planned"
	fi
done

# Every assertion of the files given over to bad input has a row.
for file in $BOTH_WAYS; do
	awk -F'\t' -v f="$file" '$1 == f && $2 != "" { print $2 }' markers.tsv > "m.$file"
	unlisted=$(awk -v mf="m.$file" '
		BEGIN { while ((getline m < mf) > 0) marks[++n] = m }
		{
			if (sub(/\\$/, "")) { buf = buf $0; next }
			line = buf $0; buf = ""
			if (line !~ /^[ \t]*(is|ok|like)[ \t]/) next
			for (i = 1; i <= n; i++)
				if (index(line, marks[i])) next
			print FNR ": " line
		}' "$TOP/tests/$file")
	is "$unlisted" "" "tests/$file: every assertion has its row in docs/bad-inputs.md"
done

# The archive table is the corpus, line for line.
"$BUILD/tests/mkhostile" corpus > /dev/null
ok "$?" "the corpus is written"
awk -F'\t' '{
	out = ($2 == "rejected" || $2 == "malformed") ? "failed" : "ok"
	printf "| `%s` | %s | %s | %s |\n", $1, out, $2, ($3 == "-" ? "—" : "`" $3 "`")
}' corpus/expected.tsv > want.md
sed -n '/^<!-- archives:/,/^<!-- end archives -->/p' "$DOC" | grep '^| `' > got.md
d=$(diff got.md want.md)
is "$d" "" "the archive table is tests/mkhostile's corpus, each file's verdict and reason"
[ -z "$d" ] || { echo "# the table as it should be:"; sed 's/^/# /' want.md; }

like "$(cat "$TOP/README.md")" "docs/bad-inputs.md" "README.md links to it"
like "$(cat "$TOP/docs/corral.1.scd")" "bad-inputs.md" "corral(1) links to it"
done_testing
