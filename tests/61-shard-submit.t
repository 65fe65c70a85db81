#!/bin/sh
# --shard through a service: submit sends it (two shards of one tree,
# submitted as two jobs, are the tree once between them, each file in the
# shard the rule gives), a [defaults] shard = K/N is the shard of a job
# submitted without one, and submit refuses a K/N out of its bounds before
# it talks to the service.
. "$(dirname "$0")/lib-serve.sh"

mkdir in
i=0
while [ $i -lt 60 ]; do echo "$i" > "in/f $i"; i=$((i + 1)); done
CONF=$T/corral.conf
printf '[defaults]\nhandler = sha256\nshard = 2/2\n' > "$CONF"
start --config "$CONF" --check-workers 0
ok $? "the service starts with [defaults] shard = 2/2"

"$CORRAL" submit --wait -q --job one --shard 1/2 in > /dev/null 2>&1
is "$?" 0 "submit --shard 1/2"
"$CORRAL" submit --wait -q --job two in > /dev/null 2>&1
is "$?" 0 "submit without --shard: the default 2/2"
"$CORRAL" results --json one | jq -r .path > one.txt
"$CORRAL" results --json two | jq -r .path > two.txt
is "$(cat one.txt two.txt | sort -u | wc -l) $(cat one.txt two.txt | wc -l)" "60 60" \
    "the two shards are the 60 files once"
got=$(python3 - <<'PYEOF'
import hashlib, os
def shard(rel):
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % 2 + 1
bad = 0
for k, name in ((1, "one.txt"), (2, "two.txt")):
    for line in open(name):
        bad += shard(os.path.basename(line.rstrip("\n"))) != k
print(bad)
PYEOF
)
is "$got" 0 "each file in the shard the rule gives"
out=$("$CORRAL" submit -q --job three --shard 3/2 in 2>&1)
is "$?" 2 "submit --shard 3/2 is refused"
like "$out" "--shard: '3/2' is not K/N" "... saying what K/N is"
out=$("$CORRAL" submit --wait -q --job one --shard 2/2 in 2>&1)
is "$?" 2 "a job submitted again as another shard is refused"
like "$out" "--shard 1/2; this command has --shard 2/2" "... naming both"

alive "$DPID" && kill -TERM "$DPID"
wait "$DPID"
stop_notify
done_testing
