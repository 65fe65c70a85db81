#!/bin/sh
# --shard K/N splits one tree over N jobs, each in its own state directory:
# the shards' results together are the whole tree, each file exactly once,
# each in the shard docs/shards.md's rule names (checked here by its own
# computation, in Python), and the split is the same every time. A shard
# killed with kill -9 mid-run resumes to the same files. status --merge sums
# what one run over the whole tree counts; results --merge gives every
# outcome with its shard; shards of another N, a shard twice, a job of
# another handler and a DIR that is no state directory are refused. A job
# is its shard: resuming it as another shard is refused. The stdin list is
# split by the paths as listed.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# The input: 300 files over nested directories, names with spaces, a
# newline, invalid UTF-8; and one file, named so that the rule puts it in
# shard 2, that holds a child in its handler (the plugin's "await") until
# it is no longer empty.
"$PY" - <<'PYEOF'
import hashlib, os
os.makedirs(b"in/a b/deep", exist_ok=True)
os.makedirs(b"in/\xff\xfe dir", exist_ok=True)
names = []
for i in range(300):
    d = [b"in", b"in/a b", b"in/a b/deep", b"in/\xff\xfe dir"][i % 4]
    n = [b"plain-%d", b"with space %d", b"new\nline %d", b"bad\xc3(utf8 %d"][(i // 4) % 4] % i
    names.append(d + b"/" + n)
for p in names:
    with open(p, "wb") as f:
        f.write(b"x" * (1 + len(p)))
def shard(rel, n):
    return int.from_bytes(hashlib.sha256(rel).digest()[:8], "big") % n + 1
i = 0
while shard(b"await-%d" % i, 4) != 2:
    i += 1
open(b"in/await-%d" % i, "wb").close()
open("gate", "w").write("in/await-%d\n" % i)
PYEOF
gate=$(cat gate)
ok "$([ -f "$gate" ] && [ "$(find in -type f -printf x | wc -c)" -eq 301 ]; echo $?)" "301 files, the gate $gate among them"

run_shard() {	# run_shard K STATEDIR [more options]: shard K of 4 over in
	_k=$1 _st=$2
	shift 2
	"$CORRAL" run -q -j 2 -H "$PLUGIN" --shard "$_k/4" -s "$_st" "$@" in
}

# Shards 1, 3 and 4 run to their end; shard 2 is killed while a child is
# held on the gate.
for k in 1 3 4; do
	run_shard $k st$k > /dev/null 2> err$k
	is "$?" 0 "shard $k/4 runs to its end"
done
"$CORRAL" run -q -j 2 -H "$PLUGIN" --shard 2/4 -s st2 in > /dev/null 2> err2 &
pid=$!
wait_until grep -q 'await: waiting' err2
ok $? "shard 2/4 holds a child on the gate"
wait_until done_at_least st2 5
ok $? "... while its other files are committed"
kill -9 "$pid"
wait "$pid" 2>/dev/null
# Its children die with it; the last one gone, nothing owns st2.
interrupted() { [ "$("$CORRAL" status -s st2 --json | jq -r .state)" = interrupted ]; }
wait_until interrupted
ok $? "shard 2/4, killed with kill -9, is interrupted"
st2=$("$CORRAL" status -s st2 --json | jq -r '"\(.done) \(.total)"')
ok "$(echo "$st2" | { read -r d t; [ "$d" -gt 0 ] && [ "$d" -lt "$t" ]; }; echo $?)" \
    "... mid-run: some of its files are done, not all ($st2)"
like "$("$CORRAL" status --merge st1 st2 st3 st4)" "shard 2/4  interrupted .*resumable" \
    "status --merge names the interrupted shard"
is "$("$CORRAL" status --merge st1 st2 st3 st4 --json | jq -r .state)" interrupted \
    "status --merge --json: interrupted while a shard is"
echo x > "$gate"
run_shard 2 st2 > /dev/null 2> err2b
is "$?" 0 "the same command resumes shard 2/4 to its end"

# One run over the whole tree, for the totals.
"$CORRAL" run -q -j 2 -H "$PLUGIN" -s st0 in > /dev/null 2>&1
is "$?" 0 "one run over the whole tree"
one=$("$CORRAL" status -s st0 --json | jq -c '[.total, .done, .ok, .failed, .crashed, .timeout, .skipped]')
sum=$("$CORRAL" status --merge st1 st2 st3 st4 --json |
    jq -c '[.total, .done, .ok, .failed, .crashed, .timeout, .skipped]')
is "$sum" "$one" "status --merge sums what one run counts: $one"
is "$("$CORRAL" status --merge st1 st2 st3 st4 --json | jq -r '.state, .shards, .present, (.missing | length), (.jobs | map(.shard) | join(","))' | tr '\n' ' ')" \
    "done 4 4 0 1,2,3,4 " "status --merge --json: done, 4 of 4 shards, each once"
like "$("$CORRAL" status --merge st1 st2 st3 st4)" "^files +301 known, 301 done, 0 pending" \
    "status --merge: 301 files, all done"
like "$("$CORRAL" status --merge st1 st3)" "^missing +2 4" "status --merge of 2 shards names the missing ones"

# Every outcome: each file once, in the shard the rule gives, with its
# shard and state dir named.
"$CORRAL" results --merge st1 st2 st3 st4 --json > merged.json
is "$?" 0 "results --merge --json"
is "$(wc -l < merged.json)" 301 "301 outcomes"
check=$("$PY" - <<'PYEOF'
import base64, hashlib, json, os
def shard(rel, n):
    return int.from_bytes(hashlib.sha256(rel).digest()[:8], "big") % n + 1
seen, bad = [], []
for line in open("merged.json", encoding="utf-8"):
    o = json.loads(line)
    p = base64.b64decode(o["path_base64"]) if "path_base64" in o else o["path"].encode()
    seen.append(p)
    want = shard(p[len(b"in/"):], 4)
    if o["shard"] != want or o["shards"] != 4 or o["state_dir"] != "st%d" % want or o["status"] != "ok":
        bad.append(p)
files = set()
for d, _, fs in os.walk(b"in"):
    files.update(os.path.join(d, f) for f in fs)
print(len(seen), len(set(seen)), set(seen) == files, len(bad))
PYEOF
)
is "$check" "301 301 True 0" "each file of the tree exactly once, each in the shard the documented rule gives"
seqs=$(jq -r '[.state_dir, .seq] | @tsv' merged.json | sort -s -k1,1 -k2,2n | md5sum)
is "$(jq -r '[.state_dir, .seq] | @tsv' merged.json | md5sum)" "$seqs" "in DIR order, then by seq"
like "$("$CORRAL" results --merge st3 st1 | head -n 1)" "^3/4  ok " "the text form starts each line with its shard"

# The same split again.
run_shard 1 st1b > /dev/null 2>&1
is "$("$CORRAL" results -s st1b --json | jq -r .path | sort | md5sum)" \
    "$("$CORRAL" results -s st1 --json | jq -r .path | sort | md5sum)" "shard 1/4 again: the same files"

# Refusals.
job1=$("$CORRAL" status -s st1 --json | jq -r .job)
like "$job1" "^in-1of4-" "a shard's derived name says which ($job1)"
out=$(run_shard 2 st1 --job "$job1" 2>&1)
is "$?" 2 "a job resumed as another shard is refused"
like "$out" "run with --shard 1/4; this command has --shard 2/4" "... naming both shards"
"$CORRAL" run -q -j 2 -H "$PLUGIN" --shard 2/3 -s st5 in > /dev/null 2>&1
out=$("$CORRAL" status --merge st1 st5 2>&1)
is "$?" 2 "status --merge of shards of another N is refused"
like "$out" "^corral: st5: .* is shard 2 of 3, but st1 holds shard 1 of 4" "... naming the DIR and both"
out=$("$CORRAL" results --merge st1 st1 2>&1)
is "$?" 2 "results --merge of one shard twice is refused"
"$CORRAL" run -q -j 2 -H sha256 --shard 2/4 -s st6 in > /dev/null 2>&1
out=$("$CORRAL" status --merge st1 st6 2>&1)
is "$?" 2 "status --merge of a job of another handler is refused"
like "$out" "st6: .* has -H sha256, but the job in st1 has -H " "... naming the option"
out=$("$CORRAL" status --merge st1 nowhere 2>&1)
is "$?" 2 "a DIR that is no state directory: exit 2"
is "$(printf '%s\n' "$out" | wc -l)" 1 "... in one line"
like "$out" "nowhere" "... naming it"
"$CORRAL" run -q -H sha256 -s st7 in > /dev/null 2>&1
like "$("$CORRAL" status --merge st7 2>&1)" "st7: job .* is not a shard" "a job run without --shard is no shard"
out=$("$CORRAL" run -q --shard 0/4 -s st8 in 2>&1)
is "$?" 2 "--shard 0/4 is refused (K counts from 1)"

# The stdin list: split by the paths as listed.
find in -type f -name 'plain-*' -print0 | sort -z | tr '\0' '\n' > list
for k in 1 2; do
	"$CORRAL" run -q -H sha256 --shard $k/2 -s sl$k - < list > /dev/null 2>&1
done
got=$("$CORRAL" results --merge sl1 sl2 --json | "$PY" -c '
import base64, hashlib, json, sys
ok = n = 0
for line in sys.stdin:
    o = json.loads(line)
    n += 1
    p = base64.b64decode(o["path_base64"]) if "path_base64" in o else o["path"].encode()
    h = int.from_bytes(hashlib.sha256(p).digest()[:8], "big") % 2 + 1
    ok += h == o["shard"]
print(n, ok)')
n=$(wc -l < list)
is "$got" "$n $n" "the stdin list: each path once, in the shard of the path as listed"
done_testing
