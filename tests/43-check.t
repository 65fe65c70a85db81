#!/bin/sh
# corral check: a file's descriptor to the service, a verdict back. Clean,
# unclean and unreadable files and their exit statuses, stdin, a handler
# that crashes, checks from several clients during a batch job (each its
# own verdict), and a client that goes away: its check's child is killed.
. "$(dirname "$0")/lib-serve.sh"

start --check-timeout 10m
ok $? "the service is ready"

mkdir src
echo "hello" > src/a.txt
(cd src && zip -q ../clean.zip a.txt)
printf 'just text\n' > plain.txt
# A zip whose entry climbs out: suspicious, not clean.
python3 - <<'EOF'
import zipfile
with zipfile.ZipFile("evil.zip", "w") as z:
    z.writestr("../../etc/evil", "x")
EOF

"$CORRAL" check clean.zip > out.txt
is "$?" 0 "a clean zip: exit 0"
like "$(cat out.txt)" "^clean +clean.zip" "... said clean"
"$CORRAL" check evil.zip > out.txt
is "$?" 1 "a zip that climbs out: exit 1"
like "$(cat out.txt)" "^unclean +evil.zip" "... said not clean"
"$CORRAL" check --json evil.zip > out.json
is "$(jq -r .result.verdict out.json)" suspicious "--json: the archive handler's verdict"
like "$(jq -r '.result.reasons[]' out.json | tr '\n' ' ')" "path_traversal|escape|dotdot|parent" \
    "... and its reasons"
"$CORRAL" check plain.txt > /dev/null
is "$?" 1 "not an archive: exit 1"
"$CORRAL" check clean.zip evil.zip plain.txt > out.txt
is "$?" 1 "several files, one not clean: exit 1"
is "$(wc -l < out.txt | tr -d ' ')" 3 "... a line each"
"$CORRAL" check - < clean.zip > out.txt
is "$?" 0 "stdin: a clean zip"
"$CORRAL" check -H sha256 plain.txt > out.txt
is "$?" 0 "-H sha256: ok is clean"
"$CORRAL" check nosuch.zip > /dev/null 2> err.txt
is "$?" 2 "a file that cannot be opened: exit 2"
like "$(cat err.txt)" "nosuch.zip" "... named"
"$CORRAL" check clean.zip nosuch.zip evil.zip > out.txt 2> /dev/null
is "$?" 2 "... among others: exit 2"
is "$(cut -c1-8 out.txt | tr -d ' ' | sort | tr '\n' ,)" "clean,unclean," "... the others still get their verdicts"

# A handler that crashes on a file: not clean, and the lane goes on.
echo x > boom
"$CORRAL" check -H "$BUILD/tests/plugins/crashes.so" boom > out.txt
is "$?" 1 "a check whose child crashes: exit 1"
like "$(cat out.txt)" "^crashed" "... said crashed"
"$CORRAL" check clean.zip > /dev/null
is "$?" 0 "the lane serves the next check"

# Several clients at once while a batch job keeps the workers busy: each
# gets its own file's verdict.
mkdir batch
i=0
while [ $i -lt 300 ]; do cp clean.zip "batch/z$i.zip"; i=$((i + 1)); done
"$CORRAL" submit -q --job batch batch > /dev/null
i=0
while [ $i -lt 8 ]; do
	( "$CORRAL" check clean.zip evil.zip clean.zip > "c$i.txt"; echo $? > "c$i.rc" ) &
	i=$((i + 1))
done
wait_until sh -c 'ls c*.rc 2>/dev/null | wc -l | grep -qx 8'
bad=0
i=0
while [ $i -lt 8 ]; do
	[ "$(cat c$i.rc)" = 1 ] || bad=$((bad + 1))
	[ "$(grep -c '^clean' c$i.txt)" = 2 ] || bad=$((bad + 1))
	[ "$(grep -c '^unclean.*evil.zip' c$i.txt)" = 1 ] || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "8 clients during a batch: every verdict its own file's"
is "$("$CORRAL" jobs --json | jq -r 'select(.job | startswith("check")) | .job' | wc -l | tr -d ' ')" 0 \
    "checks are not jobs: nothing stored"

# A client that goes away: the child running its check is killed.
echo x > slow
"$CORRAL" check -H "$BUILD/tests/plugins/hangs.so" slow > /dev/null 2>&1 &
CPID=$!
wait_until sh -c '"$CORRAL" workers --json | jq -r .path | grep -qx -- -'
wpid=$("$CORRAL" workers --json | jq -r 'select(.path == "-") | .pid')
kill -9 $CPID
wait $CPID 2> /dev/null
wait_until sh -c "! kill -0 $wpid"
ok $? "a check's client killed: the child running its file is killed too"
timeout 60 "$CORRAL" check clean.zip > /dev/null
is "$?" 0 "... and the lane serves the next check"

kill -TERM $DPID
wait $DPID
is "$?" 0 "the service stops cleanly"
stop_notify
done_testing
