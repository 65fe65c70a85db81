#!/bin/sh
# The cluster examples of docs/shards.md do what they say: the Slurm array
# script (sbatch --test-only when Slurm is here, else sh -n) and the
# Kubernetes indexed Job (parsed as YAML: a Job, Indexed, completions and
# parallelism equal to the N of its command, K from JOB_COMPLETION_INDEX)
# are each run for every index, with the real corral, over one tree: their
# shards, merged, are the whole tree once, as one run without --shard
# counts it.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SLURM=$TOP/docs/slurm-array.sh
K8S=$TOP/docs/k8s-indexed-job.yaml

mkdir -p in/sub bin
i=0
while [ $i -lt 120 ]; do echo "$i" > "in/f $i"; echo "$i" > "in/sub/g$i"; i=$((i + 1)); done
ln -s "$CORRAL" bin/corral
# The examples run the default handler, archive: these files are not
# archives, so each is failed, and a run exits 1 (some files not ok).
"$CORRAL" run -q -s st0 in > /dev/null 2>&1
one=$("$CORRAL" status -s st0 --json | jq -c '[.total, .done, .ok, .failed]')

# Slurm.
if have sbatch; then
	sbatch --test-only "$SLURM" > sbatch.out 2>&1
	ok $? "sbatch --test-only accepts docs/slurm-array.sh"
else
	sh -n "$SLURM"
	ok $? "docs/slurm-array.sh is a shell script (sh -n; no sbatch here)"
fi
is "$(sed -n 's/^#SBATCH --array=//p' "$SLURM")" "0-3" "#SBATCH --array=0-3"
line=$(grep '^corral run' "$SLURM")
like "$line" '--shard "\$\(\(SLURM_ARRAY_TASK_ID \+ 1\)\)/4"' "K is SLURM_ARRAY_TASK_ID + 1, N 4"
for t in 0 1 2 3; do
	SLURM_ARRAY_TASK_ID=$t SLURM_CPUS_PER_TASK=2 INPUT=in STATES=slurm PATH="$T/bin:$PATH" \
	    sh "$SLURM" > /dev/null 2>&1
	is "$?" 1 "the script as task $t: its files done, all failed"
done
is "$("$CORRAL" status --merge slurm/st-0 slurm/st-1 slurm/st-2 slurm/st-3 --json |
    jq -c '[.total, .done, .ok, .failed]')" "$one" "its four shards merged count what one run does: $one"
is "$("$CORRAL" status --merge slurm/st-0 slurm/st-1 slurm/st-2 slurm/st-3 --json |
    jq -r '.jobs | map(.shard) | join(",")')" "1,2,3,4" "task t is shard t+1"

# Kubernetes.
if ! "$PY" -c 'import yaml' 2> /dev/null; then
	skip "no python3-yaml (scripts/deps.sh installs it)"
	done_testing
fi
fields=$("$PY" - "$K8S" <<'PYEOF'
import re, sys, yaml
j = yaml.safe_load(open(sys.argv[1]))
s = j["spec"]
c = s["template"]["spec"]["containers"][0]
cmd = c["command"]
m = re.search(r'--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)"', cmd[-1])
mounts = {v["name"]: v["mountPath"] for v in c["volumeMounts"]}
print(j["apiVersion"], j["kind"], s["completionMode"], s["completions"], s["parallelism"],
      m.group(1) if m else "none", cmd[:2] == ["sh", "-c"], "JOB_COMPLETION_INDEX" in cmd[-1],
      mounts.get("state"), mounts.get("data"))
with open("k8s.cmd", "w") as f:
    f.write(cmd[-1])
PYEOF
)
is "$fields" "batch/v1 Job Indexed 4 4 4 True True /state /data" \
    "a Job, Indexed, completions = parallelism = the N of --shard, K from JOB_COMPLETION_INDEX"
# Its command, with the volumes' mount paths as directories here.
sed "s#/state#$T/k8s#g; s#/data#$T/in#g" k8s.cmd > k8s.sh
mkdir k8s
for t in 0 1 2 3; do
	JOB_COMPLETION_INDEX=$t PATH="$T/bin:$PATH" sh k8s.sh > /dev/null 2>&1
	is "$?" 1 "its command as index $t: its files done, all failed"
done
is "$("$CORRAL" status --merge k8s/st-0 k8s/st-1 k8s/st-2 k8s/st-3 --json |
    jq -c '[.total, .done, .ok, .failed]')" "$one" "its four shards merged count what one run does: $one"
done_testing
