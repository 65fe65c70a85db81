#!/bin/sh
# docs/jobs.md names every field of `status --json` and `jobs --json`, read
# from a state directory and answered by a service, and of the workers in a
# service's `status`. Against real output of both ways: every field printed
# is in the doc's table for that way, with the JSON type the doc gives; every
# field the doc says is always there is in every object; every field the doc
# lists for a way is printed by it here (the script makes one of each kind:
# an exec job, a child busy with a file); a field the doc marks `—` for a way
# is never printed by it. The state words the doc lists are those of the
# code's tables, times are in ms since the epoch, and the counts add up.
. "$(dirname "$0")/lib-serve.sh"

DOC=$TOP/docs/jobs.md

# rows HEADING: the table rows under that heading, one a line, cells split
# by tabs, spaces and backticks trimmed.
rows() {
	awk -v h="$1" '
		/^#/ { on = ($0 ~ "^#+ " h "$"); next }
		on && /^\| `/ {
			n = split($0, c, "|"); line = ""
			for (i = 2; i < n; i++) {
				gsub(/^ +| +$/, "", c[i])
				if (i <= 5) gsub(/`/, "", c[i])
				line = line (i > 2 ? "\t" : "") c[i]
			}
			print line
		}' "$DOC"
}

# spec COLUMN STATUS_ONLY: from the job table, "field kind type epoch" lines
# for one way: kind always, never or some; a field marked "`status` only" is
# STATUS_ONLY (always in `status`, never in `jobs`).
spec() {
	rows "The job" | awk -F'\t' -v col="$1" -v so="$2" '{
		k = $col == "always" ? "always" : $col == "—" ? "never" : \
		    $col == "status only" ? so : "some"
		print $1, k, $2, ($0 ~ /ms since the epoch/) ? "epoch" : "-"
	}'
}

# q: jq, whose failure shows in the output a check compares.
q() { jq "$@" || echo "(jq failed)"; }

mkdir d hang
echo a > d/a
echo b > d/b
echo x > hang/h

# ---- the output: two jobs of `run`, then a service on the same directory ----
"$CORRAL" run -q -s "$S" -H sha256 d 2> /dev/null
is "$?" 0 "run -H sha256"
"$CORRAL" run -q -s "$S" -x 'cat > /dev/null' --job ex d 2> /dev/null
is "$?" 0 "run -x"
start
ok $? "the service says READY=1"
"$CORRAL" submit -q -x 'sleep 600 < {}' --job hang hang > /dev/null
is "$?" 0 "submit a job that holds a child"
busy() { "$CORRAL" status --json hang | jq -e '[.workers[].state] | index("busy")'; }
wait_until busy
ok $? "... its child is busy with its file"

dir() { CORRAL_SOCKET= "$CORRAL" "$@" -s "$S" --json; }
{ dir status; dir status hang; dir status ex; dir jobs; } > dir.json
{ "$CORRAL" status --json hang; "$CORRAL" status --json ex; } > svc-status.json
"$CORRAL" jobs --json > svc-jobs.json
{ jq -c '.workers[]' svc-status.json; "$CORRAL" workers --json; } > worker.json
"$CORRAL" cancel hang 2> /dev/null
is "$?" 0 "cancel it"
"$CORRAL" status --json hang >> svc-status.json
dir status hang >> dir.json
kill -TERM "$DPID"
wait "$DPID"
is "$?" 0 "the service stops"
stop_notify

spec 3 never > dir.spec
spec 4 always > svc-status.spec
spec 4 never > svc-jobs.spec
rows "The worker" | awk -F'\t' '{ print $1, ($3 == "always" ? "always" : $3 == "—" ? "never" : "some"), $2, "-" }' \
    > worker.spec
for w in dir svc-status svc-jobs worker; do
	ok "$([ "$(wc -l < $w.spec)" -gt 5 ]; echo $?)" "$w: docs/jobs.md has its table"
done

now=$(($(date +%s) * 1000))
for w in dir svc-status svc-jobs worker; do
	n=$(wc -l < $w.json | tr -d ' ')
	ok "$(jq -e . $w.json > /dev/null && [ "$n" -gt 0 ]; echo $?)" "$w: $n JSON objects"
	q -r 'keys_unsorted[]' $w.json | sort -u > $w.keys
	awk '$2 != "never" { print $1 }' $w.spec | sort -u > $w.listed
	is "$(comm -23 $w.keys $w.listed | tr '\n' ' ')" "" \
	    "$w: every field printed is listed in docs/jobs.md"
	is "$(comm -13 $w.keys $w.listed | tr '\n' ' ')" "" \
	    "$w: every field docs/jobs.md lists is printed"
	always=$(awk '$2 == "always" { print $1 }' $w.spec | jq -R . | jq -sc .)
	is "$(q -r --argjson a "$always" '. as $o | $a[] as $f | select($o | has($f) | not) | $f' $w.json |
	    sort -u | tr '\n' ' ')" "" "$w: the fields docs/jobs.md says are always there are in every object"
	# The JSON type of every value, against the doc's: integer is a
	# number without a fraction.
	bad=$(q -r 'to_entries[] | "\(.key) \(.value | type)\(if (.value | type) == "number"
	    and (.value | floor) == .value then "-int" else "" end)"' $w.json | sort -u |
	    awk 'NR == FNR { t[$1] = $3 == "integer" ? "number-int" : $3; next }
	        ($1 in t) && t[$1] != $2 { print $1 ":" $2 }' $w.spec - | tr '\n' ' ')
	is "$bad" "" "$w: every value has the type docs/jobs.md gives"
	epoch=$(awk '$4 == "epoch" { print $1 }' $w.spec | jq -R . | jq -sc .)
	bad=$(q -r --argjson e "$epoch" --argjson now "$now" '. as $o | $e[] as $f | $o[$f] |
	    select(. != null and . != 0 and (. < $now - 3600000 or . > $now + 600000)) | "\($f)=\(.)"' $w.json |
	    sort -u | tr '\n' ' ')
	is "$bad" "" "$w: the times docs/jobs.md gives in ms since the epoch are"
done

# ---- the values ----
for w in dir svc-status svc-jobs; do
	is "$(q -r 'select(.done != .ok + .failed + .crashed + .timeout + .skipped + .quarantined or
	    .pending != .total - .done) | .job' $w.json)" "" "$w: done and pending add up"
done
words() { awk '/^static const char \*const state_names\[/, /};/' "$TOP/$1" | grep -o '"[a-z]*"' | tr -d '"' | sort | tr '\n' ' '; }
is "$(rows "Job states" | cut -f1 | sort | tr '\n' ' ')" "$(words supervisor/store.c)" \
    "the job states of docs/jobs.md are those of supervisor/store.c"
is "$(rows "Worker states" | cut -f1 | sort | tr '\n' ' ')" "$(words supervisor/slot.c)" \
    "the worker states of docs/jobs.md are those of supervisor/slot.c"
is "$(cat dir.json svc-status.json svc-jobs.json | jq -r .state | sort -u | tr '\n' ' ')" \
    "cancelled done running " "the jobs were seen running, done and cancelled"
like "$(jq -r .state worker.json | sort -u)" "busy" "a worker was seen busy"
is "$(jq -r 'select(.handler == "exec") | .exec' dir.json | sort -u | tr '\n' ' ')" \
    "cat > /dev/null sleep 600 < {} " "exec: the command as given"
is "$(jq -r '.workers | length' svc-status.json | tail -1)" 0 "an ended job has no workers"
done_testing
